// How one task ended on one host, before it becomes a TaskEvent.
import type { TaskStatus } from '../model/events.js';
import type { Vars } from '../model/inventory.js';

export interface Outcome {
  status: TaskStatus;
  msg?: string;
  diff?: string;
  after?: string;
  ignored?: boolean;
  failure?: { msg: string; cmd?: string; rc?: number; stderr?: string };
  registered?: Vars;
  /** A read-only query ran: its result may seed the next run's speculation. */
  query?: boolean;
  /** Values the task publishes for the recap (an onion address), by the name to read them. */
  outputs?: Record<string, string>;
}
