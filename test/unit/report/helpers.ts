// Drive a reporter built by createReporter with a list of events and collect what it wrote.
import { createReporter, Redactor } from '../../../src/report/index.js';
import type { FleetEvent } from '../../../src/model/events.js';
import { capture } from './fixtures.js';

export async function render(
  events: FleetEvent[],
  opts: { json?: boolean; tty?: boolean; diff?: boolean; secrets?: string[]; gapMs?: number } = {},
): Promise<{ out: string; err: string }> {
  const out = capture();
  const err = capture();
  const redactor = new Redactor();
  for (const s of opts.secrets ?? []) redactor.add(s);
  const rep = createReporter({
    json: opts.json ?? false,
    tty: opts.tty ?? false,
    diff: opts.diff ?? false,
    out: out.stream,
    err: err.stream,
    redactor,
  });
  for (const e of events) {
    rep.onEvent(e);
    // The live view renders asynchronously; a gap lets each event reach the screen.
    if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
  }
  await rep.close();
  return { out: out.text(), err: err.text() };
}
