// The engine's event stream. Reporters (report/) only render these.

/** `unknown`: the task was in flight when its connection was lost or the run was aborted (a
 * second Ctrl-C): it may or may not have changed the host; the next check tells. */
export type TaskStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable' | 'unknown';

export interface RunEvent {
  type: 'run';
  mode: 'apply' | 'check';
  playbook: string;
  hosts: string[];
}

export interface PlayEvent {
  type: 'play';
  play: string;
  hosts: string[];
  batch?: number;
}

export interface ConnectEvent {
  type: 'connect';
  host: string;
  connectMs: number;
  /** Present when the first tries failed for a passing reason: why each one failed. */
  retries?: string[];
}

export interface TaskStartEvent {
  type: 'task_start';
  host: string;
  play: string;
  role: string;
  task: string;
}

export interface TaskEvent {
  type: 'task';
  host: string;
  play: string;
  role: string;
  task: string;
  status: TaskStatus;
  durationMs: number;
  /** Human summary of the change ("create /etc/x"), or the skip/ok reason. */
  msg?: string;
  diff?: string;
  /** Check mode: name of the earlier pending task this one depends on. */
  after?: string;
  handler?: boolean;
  /** The task failed but has ignore_errors: counted as ok, the error kept in msg. */
  ignored?: boolean;
  /** The task failed inside an Ansible block whose rescue handles it: the host goes on. */
  rescued?: boolean;
  /** Failure detail for the recap. */
  failure?: Failure;
}

export interface Failure {
  host: string;
  task: string;
  role: string;
  /** role file:line */
  location: string;
  msg: string;
  cmd?: string;
  rc?: number;
  stderr?: string;
}

export interface HostEvent {
  type: 'host';
  host: string;
  roundTrips: number;
  connectMs: number;
  status: 'ok' | 'failed' | 'unreachable';
  timings?: { connectMs: number; probeMs: number; planMs: number; applyMs: number; renderMs: number };
}

/** `unknown` is present only when some task's outcome is unknown (older readers see the rest). */
export type HostCounts = Record<Exclude<TaskStatus, 'unknown'>, number> & {
  unknown?: number;
  /** Failed tasks an Ansible block's rescue handled (Ansible's recap `rescued`): not in `failed`. */
  rescued?: number;
};

export interface RecapEvent {
  type: 'recap';
  hosts: Record<string, HostCounts>;
  failures: Failure[];
  durationMs: number;
  mode: 'apply' | 'check';
  interrupted?: boolean;
  /** Values tasks published (onion addresses...): host -> variable path -> value. */
  outputs?: Record<string, Record<string, string>>;
}

export interface WarningEvent {
  type: 'warning';
  host?: string;
  msg: string;
}

/** Why the engine did something costly (a round trip), when tracing was asked for. */
export interface TraceEvent {
  type: 'trace';
  host: string;
  msg: string;
}

export type FleetEvent =
  | RunEvent
  | PlayEvent
  | ConnectEvent
  | TaskStartEvent
  | TaskEvent
  | HostEvent
  | RecapEvent
  | WarningEvent
  | TraceEvent;
