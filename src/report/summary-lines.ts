// The text of the live view when the hosts do not fit the terminal: counts per state, the
// hosts that have run longest, and one permanent line per host that went wrong. Pure (the
// clock and the terminal size are passed in), so it is testable as plain text.
import type { TaskEvent } from '../model/events.js';
import { formatMs, oneLine, type HostState } from './state.js';
import type { Style } from './style.js';

/** Where a host is in its run, as the summary counts it. */
export type HostPhase = 'waiting' | 'running' | 'unchanged' | 'changed' | 'failed' | 'unreachable';

export function hostPhase(h: HostState): HostPhase {
  const d = h.done;
  if (d) {
    if (d.status === 'unreachable') return 'unreachable';
    if (d.status === 'failed') return 'failed';
    return h.counts.changed > 0 ? 'changed' : 'unchanged';
  }
  return h.connectMs === undefined ? 'waiting' : 'running';
}

export interface SummaryInput {
  mode: 'apply' | 'check';
  total: number;
  counts: Record<HostPhase, number>;
  /** Running hosts with when each connected (ms, the caller's clock) and its task now. */
  running: { host: string; since: number; current?: string }[];
  now: number;
  /** The terminal's size: no line is wider than columns - 1, the block no taller than rows - 1. */
  rows: number;
  columns: number;
}

/** The block redrawn in place. Its first line is the counts; then, as far as the terminal has
 * room (at most 5), the hosts that have been running longest. */
export function summaryBlock(s: SummaryInput, style: Style): string[] {
  const c = s.counts;
  const doneCount = c.unchanged + c.changed + c.failed + c.unreachable;
  const parts = [
    `${doneCount}/${s.total} hosts done`,
    `${c.running} running`,
    `${c.waiting} connecting or waiting`,
    `${c.unchanged} ${s.mode === 'check' ? 'in state' : 'unchanged'}`,
    `${c.changed} ${s.mode === 'check' ? 'would change' : 'changed'}`,
    `${c.failed} failed`,
    `${c.unreachable} unreachable`,
  ];
  const fit = (line: string) => clip(line, s.columns);
  const head = fit(parts.join(' · '));
  const lines = [c.failed + c.unreachable > 0 ? style.red(head) : style.bold(head)];
  const room = Math.min(5, s.rows - 3, s.running.length);
  if (room > 0) {
    lines.push(style.dim(fit('running longest:')));
    const slowest = [...s.running].sort((a, b) => a.since - b.since || a.host.localeCompare(b.host)).slice(0, room);
    const width = Math.max(...slowest.map((r) => r.host.length));
    for (const r of slowest) {
      const line = fit(`  ${r.host.padEnd(width)}  ${formatMs(s.now - r.since).padStart(7)}${r.current ? `  › ${r.current}` : ''}`);
      lines.push(style.cyan(line));
    }
  }
  return lines;
}

/** One line, printed once above the block, for a host that failed or was unreachable. */
export function failureLine(e: TaskEvent, columns: number, style: Style): string {
  const task = e.role ? `${e.role} : ${e.task}` : e.task;
  const msg = oneLine(e.failure?.msg ?? e.msg ?? '');
  const what = e.status === 'failed' ? 'failed' : e.status;
  return style.red(clip(`✖ ${e.host} ${what} | ${task}${msg ? ` | ${msg}` : ''}`, columns));
}

/** At most columns - 1 characters: a line as wide as the terminal wraps on some terminals,
 * and a wrapped line breaks the cursor arithmetic of the redraw. */
function clip(line: string, columns: number): string {
  const max = Math.max(10, columns - 1);
  return line.length <= max ? line : line.slice(0, max - 1) + '…';
}
