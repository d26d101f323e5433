// The task event a host's outcome becomes (model/events.ts), for report/ to render.
import type { TaskEvent, TaskStatus } from '../model/events.js';
import type { Host } from '../model/inventory.js';
import type { Task } from '../model/playbook.js';
import type { Outcome } from './outcome.js';

/** What Ansible prints for a no_log task's result, word for word. */
export const NO_LOG_MSG = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

export function taskEvent(host: string, play: string, task: Task, outcome: Outcome, durationMs: number, opts: { handler: boolean; diff: boolean }): TaskEvent {
  if (task.noLog) outcome = hidden(outcome);
  const ev: TaskEvent = { type: 'task', host, play, role: task.role, task: task.name, status: outcome.status, durationMs: Math.round(durationMs) };
  if (outcome.msg) ev.msg = outcome.msg;
  if (outcome.diff && (task.diff ?? opts.diff)) ev.diff = outcome.diff;
  if (outcome.after) ev.after = outcome.after;
  if (opts.handler) ev.handler = true;
  if (outcome.ignored) ev.ignored = true;
  if (outcome.failure) ev.failure = { host, task: task.name, role: task.role, location: `${task.source.file}:${task.source.line ?? 0}`, ...outcome.failure };
  return ev;
}

/** no_log: the status stays, every text the task produced (message, diff, command, output) goes. */
function hidden(o: Outcome): Outcome {
  const out: Outcome = { ...o, msg: o.msg === undefined ? undefined : NO_LOG_MSG, diff: undefined };
  if (o.failure) out.failure = { msg: NO_LOG_MSG, ...(o.failure.rc !== undefined ? { rc: o.failure.rc } : {}) };
  return out;
}

/** The host stopped under `task`: its connection failed (unreachable) or sudo refused (failed). */
export function stoppedEvent(host: Host, play: string, task: string, status: Extract<TaskStatus, 'unreachable' | 'failed' | 'unknown'>, msg: string): TaskEvent {
  const location = `${host.connection.address}:${host.connection.port}`;
  return { type: 'task', host: host.name, play, role: '', task, status, durationMs: 0, msg, failure: { host: host.name, task, role: '', location, msg } };
}
