// What a module or an action said about one run of a task, as a Verdict for the task's rules
// (outcome.ts): from a plan, from an apply's result, from a query, from an action.
import type { ActionResult } from '../model/action.js';
import type { Plan } from '../model/module.js';
import type { Verdict } from './outcome.js';
import type { PreparedModuleTask } from './prepare-task.js';
import type { SectionResult } from './script.js';

/** A plan that needs no apply: nothing to do, a change check mode only reports, or a missing
 * precondition (which fails the task). */
export function planVerdict(plan: Plan<unknown>): Verdict {
  if (plan.kind === 'ok') return { changed: false, failed: false, msg: plan.note, ...(plan.registered ? { result: plan.registered } : {}) };
  if (plan.kind === 'blocked') return { changed: false, failed: true, msg: plan.reason, failure: { msg: plan.reason } };
  return { changed: true, failed: false, msg: plan.summary, diff: plan.diff };
}

/** An apply ran: the module reads its result (default: failed when it exited non-zero). */
export function appliedVerdict(prepared: PreparedModuleTask, summary: string, diff: string | undefined, r: SectionResult): Verdict {
  const res = prepared.module.result?.(prepared.params, r) ?? { failed: r.rc !== 0 };
  if (!res.failed) return { changed: true, failed: false, msg: summary, diff, result: res.registered };
  return {
    changed: true,
    failed: true,
    msg: res.msg ?? `${summary}: failed`,
    failure: { msg: res.msg ?? summary, cmd: res.cmd ?? summary, rc: r.rc, stderr: r.stderr || r.stdout },
    result: res.registered ?? { rc: r.rc, stderr: r.stderr },
  };
}

/** A query ran with the probes: it changed nothing by its own promise. */
export function queryVerdict(prepared: PreparedModuleTask, r: SectionResult): Verdict {
  const res = prepared.module.result?.(prepared.params, r) ?? { failed: r.rc !== 0 };
  const msg = res.msg ?? `exit ${r.rc}`;
  return {
    changed: false,
    failed: res.failed,
    msg: res.failed ? msg : undefined,
    failure: res.failed ? { msg, cmd: res.cmd, rc: r.rc, stderr: r.stderr.replace(/\n$/, '') || r.stdout.replace(/\n$/, '') } : undefined,
    result: res.registered,
  };
}

/** An action that ran (skipped and check-mode "after" results are outcomes as they are). */
export function actionVerdict(res: ActionResult): Verdict {
  return {
    changed: res.status === 'changed',
    failed: res.status === 'failed',
    msg: res.msg,
    diff: res.diff,
    failure: res.status === 'failed' ? (res.failure ?? { msg: res.msg ?? 'failed' }) : undefined,
    result: res.registered,
    outputs: res.outputs,
    facts: res.facts,
  };
}
