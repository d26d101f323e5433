// How one task ended on one host, and the rules that decide it, in one place: changed_when
// and failed_when over every module's result (as Ansible applies them), ignore_errors,
// "will change (after: X)" in check mode, loops, and what `register` keeps.
import type { TaskStatus } from '../model/events.js';
import type { Vars } from '../model/inventory.js';
import type { Task } from '../model/playbook.js';
import { truthy } from '../template/index.js';

export interface FailureDetail {
  msg: string;
  cmd?: string;
  rc?: number;
  stderr?: string;
}

export interface Outcome {
  status: TaskStatus;
  msg?: string;
  diff?: string;
  /** Check mode: the earlier pending task this one waits for. */
  after?: string;
  /** Failed, but ignore_errors: counted as ok. */
  ignored?: boolean;
  failure?: FailureDetail;
  registered?: Vars;
  /** A read-only query ran: its result may seed the next run's speculation. */
  query?: boolean;
  /** Values the task publishes for the recap (an onion address), by the name to read them. */
  outputs?: Record<string, string>;
  /** Variables the task sets for the rest of the host's run (set_fact, include_vars). */
  facts?: Vars;
}

/** What a module (or action) said about one run of a task, before the task's own rules. */
export interface Verdict {
  changed: boolean;
  failed: boolean;
  /** What changed (or would), or why nothing had to. */
  msg?: string;
  diff?: string;
  failure?: FailureDetail;
  /** What the module returns besides changed/failed (a command's rc, stdout...). */
  result?: Vars;
  /** Values published for the recap (an action's outputs). */
  outputs?: Record<string, string>;
  facts?: Vars;
}

/** Evaluates a condition of the task with these values on top of its variables. */
export type Evaluate = (cond: string | boolean | (string | boolean)[], extra: Vars) => unknown;

export const CONDITION_FALSE: Outcome = { status: 'skipped', msg: 'condition false', registered: { changed: false, skipped: true } };

/** Check mode: a task whose state depends on an earlier change that was not made. */
export function willChangeAfter(after: string): Outcome {
  return { status: 'changed', after, msg: `will change (after: ${after})` };
}

/** Check mode: when an earlier change was not made (`pending`), a task that fails to see the
 * state it needs is not a failure: it will change after that one. Otherwise `o` stands. */
export function unlessPending(pending: string | undefined, o: Outcome): Outcome {
  return pending ? willChangeAfter(pending) : o;
}

export function failed(msg: string, detail: Partial<FailureDetail> = {}): Outcome {
  return { status: 'failed', msg, failure: { msg, ...detail } };
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** changed_when and failed_when decide over the verdict; the result is what register keeps
 * (under the register name and at the top, like Ansible's `result.rc` and `rc`). */
export function judge(task: Pick<Task, 'changedWhen' | 'failedWhen' | 'register'>, v: Verdict, evaluate: Evaluate): Outcome {
  const reg: Vars = { ...v.result, changed: v.changed, failed: v.failed };
  let isFailed = v.failed;
  let isChanged = v.changed;
  try {
    const scope = { ...reg, ...(task.register ? { [task.register]: reg } : {}) };
    if (task.failedWhen !== undefined) isFailed = truthy(evaluate(task.failedWhen, scope));
    if (task.changedWhen !== undefined) isChanged = truthy(evaluate(task.changedWhen, scope));
  } catch (err) {
    return { ...failed(errorText(err)), registered: { ...reg, changed: false, failed: true } };
  }
  reg.changed = isChanged && !isFailed;
  reg.failed = isFailed;
  if (isFailed) {
    const failure = v.failed ? (v.failure ?? { msg: v.msg ?? 'failed' }) : { msg: `failed_when is true (${String(task.failedWhen)})` };
    return { status: 'failed', msg: v.failed ? (v.msg ?? failure.msg) : failure.msg, failure, registered: reg };
  }
  const outputs = { ...(v.outputs ? { outputs: v.outputs } : {}), ...(v.facts ? { facts: v.facts } : {}) };
  if (isChanged) return { status: 'changed', msg: v.msg, diff: v.diff, registered: reg, ...outputs };
  return { status: 'ok', msg: v.changed ? undefined : v.msg, registered: reg, ...outputs };
}

/** ignore_errors: a failure is kept in the message and counted as ok. */
export function ignoreErrors(task: Pick<Task, 'ignoreErrors'>, o: Outcome): Outcome {
  if (o.status === 'failed' && task.ignoreErrors) return { ...o, ignored: true, msg: `ignored error: ${o.failure?.msg ?? o.msg ?? ''}` };
  return o;
}

/** One outcome for a loop: the first failure, else changed if any item changed. */
export function combineLoop(results: Outcome[]): Outcome {
  const firstFailure = results.find((r) => r.status === 'failed');
  const registered: Vars = { results: results.map((r) => r.registered ?? {}), changed: results.some((r) => r.status === 'changed') };
  if (firstFailure) return { ...firstFailure, registered };
  const changed = results.filter((r) => r.status === 'changed');
  if (changed.length > 0) {
    return {
      status: 'changed',
      msg: changed
        .map((r) => r.msg)
        .filter(Boolean)
        .join('; '),
      diff:
        changed
          .map((r) => r.diff)
          .filter(Boolean)
          .join('\n') || undefined,
      after: changed.find((r) => r.after)?.after,
      registered,
    };
  }
  // As in Ansible: a loop whose every item was skipped registers skipped: true, so a later
  // `when: x is skipped` can tell "no item applied" from "some item ran".
  if (results.length > 0 && results.every((r) => r.status === 'skipped'))
    return { status: 'skipped', registered: { ...registered, skipped: true } };
  return { status: 'ok', registered };
}

/** What `register` keeps of an outcome. */
export function registeredOf(o: Outcome): Vars {
  return o.registered ?? { changed: o.status === 'changed', failed: o.status === 'failed', skipped: o.status === 'skipped' };
}
