// A sink whose module is loaded when it is first needed: the live view pulls in listr2 and its
// terminal libraries (colorette, wrap-ansi, ansi-styles...), whose start-up every run paid,
// a --json or piped one too, for a view only a terminal shows. Events that come while it
// loads wait, in order; close() waits for the load and then for the sink.
import type { FleetEvent } from '../model/events.js';

export interface Sink {
  onEvent(e: FleetEvent): void;
  close(): Promise<void>;
}

export function deferredSink(load: () => Promise<Sink>): Sink {
  let sink: Sink | undefined;
  const waiting: FleetEvent[] = [];
  const ready = load().then((s) => {
    sink = s;
    for (const e of waiting.splice(0)) s.onEvent(e);
    return s;
  });
  // A failed load is reported by close(), where the run waits for its view; not as unhandled.
  ready.catch(() => undefined);
  return {
    onEvent(e) {
      if (sink) sink.onEvent(e);
      else waiting.push(e);
    },
    close: async () => (await ready).close(),
  };
}
