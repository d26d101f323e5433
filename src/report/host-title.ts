// The text of one host's row in the live view. Kept apart from listr2 so it is testable as
// plain text.
import { formatMs, plural, type HostState } from './state.js';
import type { Style } from './style.js';

export function hostTitle(name: string, width: number, h: HostState, style: Style): string {
  const padded = name.padEnd(width);
  const c = h.counts;
  const counters =
    `ok ${c.ok}  ` +
    (c.changed ? style.yellow(`changed ${c.changed}`) : 'changed 0') +
    '  ' +
    (c.failed ? style.red(`failed ${c.failed}`) : 'failed 0') +
    `  skipped ${c.skipped}`;
  const done = h.done;
  if (done?.status === 'unreachable') return style.red(`${padded}  unreachable`);
  if (done) {
    const figures = style.dim(`connect ${formatMs(done.connectMs)}, ${plural(done.roundTrips, 'round trip')}`);
    if (done.status === 'failed') return style.red(`${padded}  ${counters}  `) + figures;
    return `${style.bold(padded)}  ${counters}  ${figures}`;
  }
  const label = style.bold(padded);
  if (h.current) return `${label}  ${counters}  ${style.cyan('› ' + h.current)}`;
  if (Object.values(c).some((n) => n > 0)) return `${label}  ${counters}`;
  if (h.connectMs !== undefined) return `${label}  ${counters}  ${style.dim(`connected in ${formatMs(h.connectMs)}`)}`;
  return `${label}  ${style.dim('connecting…')}`;
}
