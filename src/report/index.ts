// The report layer: picks a renderer for the run and makes sure every event passes through
// the redactor before any renderer sees it, and, for the human views, through terminalSafe
// (text from hosts may hold escape sequences meant for the operator's terminal).
import type { FleetEvent } from '../model/events.js';
import { LiveRenderer } from './live.js';
import { ndjsonLine } from './ndjson.js';
import { PlainRenderer } from './plain.js';
import { Redactor } from './redact.js';
import { createStyle, useColor } from './style.js';
import { terminalSafe, terminalSafeValue } from './terminal-safe.js';

export { Redactor } from './redact.js';
export { formatRecap, formatFailure } from './recap.js';
export { formatDiff } from './diff-format.js';
export { openEventLog, type EventLog } from './log-file.js';
export { createStyle, type Style } from './style.js';
export { terminalSafe, terminalSafeValue } from './terminal-safe.js';

export interface Reporter {
  onEvent(e: FleetEvent): void;
  /** Resolves once everything has been written and flushed. */
  close(): Promise<void>;
}

export interface ReporterOptions {
  /** NDJSON on `out`, one event per line. */
  json: boolean;
  /** `out` is a terminal: live view. Otherwise plain lines. */
  tty: boolean;
  /** Print diffs the engine attached to task events (human modes). */
  diff: boolean;
  /** Colour the human view; default: on a terminal unless NO_COLOR is set. */
  color?: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  redactor: Redactor;
}

interface Sink {
  onEvent(e: FleetEvent): void;
  close(): Promise<void>;
}

export function createReporter(opts: ReporterOptions): Reporter {
  const sink = createSink(opts);
  let closed: Promise<void> | undefined;
  return {
    onEvent(e) {
      if (closed) return;
      const safe = opts.redactor.redactEvent(e);
      // Traces (FLEET_TRACE=1) go to stderr in every mode, beside the view, not in it.
      // They are for people in every mode, so they are made terminal-safe even beside --json.
      if (safe.type === 'trace') opts.err.write(terminalSafe(`[trace] ${safe.host}: ${safe.msg}`) + '\n');
      else sink.onEvent(opts.json ? safe : terminalSafeValue(safe));
    },
    close() {
      closed ??= sink.close().then(() => Promise.all([flush(opts.out), flush(opts.err)])).then(() => undefined);
      return closed;
    },
  };
}

function createSink(opts: ReporterOptions): Sink {
  const write = (text: string) => {
    opts.out.write(text);
  };
  if (opts.json) {
    return {
      onEvent: (e) => {
        const line = ndjsonLine(e);
        if (line) write(line);
      },
      close: async () => undefined,
    };
  }
  const style = createStyle(opts.color ?? useColor(opts.tty));
  if (opts.tty) return new LiveRenderer(opts.out, opts.err, style, opts.diff);
  const plain = new PlainRenderer(write, style, opts.diff);
  return { onEvent: (e) => plain.onEvent(e), close: async () => undefined };
}

/** Resolves when everything written so far has been handed to the OS (or the stream died). */
function flush(stream: NodeJS.WritableStream): Promise<void> {
  const s = stream as NodeJS.WritableStream & { writableEnded?: boolean; destroyed?: boolean };
  if (s.writableEnded || s.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    try {
      s.write('', () => resolve());
    } catch {
      resolve();
    }
  });
}
