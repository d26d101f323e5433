// The task event a host's outcome becomes (model/events.ts), for report/ to render.
import type { TaskEvent, TaskStatus } from '../model/events.js';
import type { Host } from '../model/inventory.js';
import type { Task } from '../model/playbook.js';
import type { Outcome } from './outcome.js';

export function taskEvent(host: string, play: string, task: Task, outcome: Outcome, durationMs: number, opts: { handler: boolean; diff: boolean }): TaskEvent {
  const ev: TaskEvent = { type: 'task', host, play, role: task.role, task: task.name, status: outcome.status, durationMs: Math.round(durationMs) };
  if (outcome.msg) ev.msg = outcome.msg;
  if (outcome.diff && opts.diff) ev.diff = outcome.diff;
  if (outcome.after) ev.after = outcome.after;
  if (opts.handler) ev.handler = true;
  if (outcome.ignored) ev.ignored = true;
  if (outcome.failure) ev.failure = { host, task: task.name, role: task.role, location: `${task.source.file}:${task.source.line ?? 0}`, ...outcome.failure };
  return ev;
}

/** The host stopped under `task`: its connection failed (unreachable) or sudo refused (failed). */
export function stoppedEvent(host: Host, play: string, task: string, status: Extract<TaskStatus, 'unreachable' | 'failed' | 'unknown'>, msg: string): TaskEvent {
  const location = `${host.connection.address}:${host.connection.port}`;
  return { type: 'task', host: host.name, play, role: '', task, status, durationMs: 0, msg, failure: { host: host.name, task, role: '', location, msg } };
}
