// --json: one event per line, for machines. task_start is left out: it doubles the volume
// and carries nothing a consumer cannot read from the task event that follows.
import type { FleetEvent } from '../model/events.js';

export function ndjsonLine(e: FleetEvent): string | null {
  if (e.type === 'task_start') return null;
  // `type` first for readers that dispatch on the first key (and for people scanning logs).
  const { type, ...rest } = e;
  return JSON.stringify({ type, ...rest }) + '\n';
}
