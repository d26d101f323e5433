// Controller-side modules (actions): the engine runs them itself and hands them the ports
// they may use; they never import the engine. probe/plan/apply are not sent to a host.
import type { ExecResult } from '../../model/transport.js';

export function hostSideNever(name: string): () => never {
  return () => {
    throw new Error(`module ${name} runs on the controller; the engine must not send it to a host`);
  };
}

/** What an action may do, given by the engine. */
export interface ActionPorts {
  /** Inventory name of the task's host. */
  host: string;
  check: boolean;
  /** Check mode: the name of an earlier task of this host that would change, if any. */
  pendingAfter?: string;
  /** Run a POSIX sh script on the task's host (one round trip), as root. */
  run(script: string): Promise<ExecResult>;
  /** Run a script on another inventory host, as root: over its live connection of this run,
   * else over a fresh one (closed afterwards). Rejects when the host cannot be reached. */
  runOn(host: string, script: string): Promise<ExecResult>;
  /** Stream a controller file's bytes into `dest` on the task's host (temp file, size check, rename). */
  upload(file: string, dest: string, mode?: string): Promise<ExecResult>;
  /** Members of an inventory group, in inventory order ([] for an unknown group). */
  groupHosts(group: string): string[];
  /** The address fleet reaches a host on. */
  address(host: string): string;
  /** Hosts of this run (after --limit). */
  runHosts(): string[];
  /** Resolves once `host` is past this task in the current batch (or not in it, or stopped). */
  waitForHost(host: string): Promise<void>;
  /** A run-level warning, printed once however many hosts report it. */
  warn(msg: string): void;
  /** A value that must never be printed: redacted from every output from now on. */
  secret(value: string): void;
  /** Run-wide memo: the same read made by several hosts' tasks of one run (the managers'
   * state, the node specs) is made once. Never for secrets. */
  memo<T>(key: string, read: () => Promise<T>): Promise<T>;
  /** Drop a memo entry (what it read has changed). */
  forget(key: string): void;
}

export interface ActionResult {
  status: 'ok' | 'changed' | 'failed' | 'skipped';
  msg?: string;
  diff?: string;
  /** Check mode: the earlier pending task this result depends on. */
  after?: string;
  failure?: { msg: string; cmd?: string; rc?: number; stderr?: string };
  registered?: Record<string, unknown>;
}

export type ActionRun<P> = (params: P, ports: ActionPorts) => Promise<ActionResult>;

/** Check mode with an earlier pending change: "will change (after: X)", never a false failure. */
export function afterPending(ports: ActionPorts, what: string): ActionResult | undefined {
  if (!ports.check || !ports.pendingAfter) return undefined;
  return { status: 'changed', after: ports.pendingAfter, msg: `${what} (after: ${ports.pendingAfter})` };
}

export function failed(msg: string, extra: Omit<NonNullable<ActionResult['failure']>, 'msg'> = {}): ActionResult {
  return { status: 'failed', msg, failure: { msg, ...extra } };
}
