// One task on one host: its loop items, each rendered, probed, planned and applied (or, for
// an action, run on the controller), each result judged by the task's rules (outcome.ts).
import { writtenBy } from './written-by.js';
import type { ActionResult } from '../model/action.js';
import type { Vars } from '../model/inventory.js';
import type { HostFacts } from '../model/module.js';
import type { Task } from '../model/playbook.js';
import type { SecretRegistry } from '../model/secrets.js';
import { evalExpression, renderValue, truthy } from '../template/index.js';
import type { CheckLedger } from './check-ledger.js';
import { CONDITION_FALSE, combineLoop, errorText, failed, ignoreErrors, judge, registeredOf, unlessPending, willChangeAfter, type Evaluate, type Outcome, type Verdict } from './outcome.js';
import { prepareTask, TaskError, type PreparedActionTask, type PreparedTask } from './prepare-task.js';
import type { Unit } from './program.js';
import type { Section, SectionResult } from './script.js';
import { registerParamSecrets } from './secrets.js';
import type { Timings } from './timings.js';
import { actionVerdict, appliedVerdict, planVerdict, queryVerdict } from './verdicts.js';

/** What executing a task needs from its host. */
export interface TaskEnv {
  check: boolean;
  facts?: HostFacts;
  ledger: CheckLedger;
  timings: Timings;
  secrets: SecretRegistry;
  /** The probe's result: from the cache, or a round trip (that also speculates). */
  probe(section: Section): Promise<SectionResult>;
  /** Apply the change (and what can be pipelined after it) in one round trip; `madeDirs`: the
   * directories it leaves in place, which the tasks pipelined after it may count on; `written`:
   * what else it leaves for them to predict from (pipeline.ts writtenBy). */
  apply(text: string, madeDirs: readonly string[], lastItem?: boolean, written?: readonly string[]): Promise<SectionResult>;
  /** Run the action, with what its own probe printed (when it has one); `lastItem` as for apply. */
  runAction(prepared: PreparedActionTask, probed?: SectionResult, lastItem?: boolean): Promise<ActionResult>;
  /** until/retries: wait `ms`, then forget what was probed (the next attempt reads the host
   * afresh: one more round trip each). True when the run was interrupted meanwhile. */
  retryPause(ms: number, why: string): Promise<boolean>;
  /** The loop item's (`item`: its index) params and probe; prepareTask unless given (the host
   * runner's gives back what speculation prepared when nothing it read changed). */
  prepare?(unit: Unit, item: number, ctx: Vars): PreparedTask;
  /** Loop items already applied behind their guards in an earlier round trip's script
   * (pipeline.ts), by position: judged from how they ended there, not run again. */
  decidedItems?: ReadonlyMap<number, Verdict>;
}

/** Every item of the task's loop (one without a loop), stopping at the first failure. */
export async function executeTask(unit: Unit, context: () => Vars, env: TaskEnv): Promise<Outcome> {
  const task = unit.task;
  let base: Vars;
  let items: unknown[];
  try {
    base = context();
  } catch (err) {
    return ignoreErrors(task, renderFailure(err, env));
  }
  try {
    items = loopItems(unit, base);
  } catch (err) {
    // Ansible: a loop that cannot be read is an error only if the task's condition holds
    // (`when: x is defined` with `loop: "{{ x }}"` is skipped).
    if (whenFalseWithoutItem(unit, base)) return CONDITION_FALSE;
    return ignoreErrors(task, renderFailure(err, env));
  }
  if (items === NO_LOOP) return ignoreErrors(task, await attempts(unit, base, env, 0));
  const results: Outcome[] = [];
  for (const [i, item] of items.entries()) {
    // The last item's change may carry what follows the loop (the items before it may not).
    const itemEnv: TaskEnv =
      i === items.length - 1
        ? { ...env, apply: (text, madeDirs, _last, written) => env.apply(text, madeDirs, true, written), runAction: (prepared, probed) => env.runAction(prepared, probed, true) }
        : env;
    const ctx = itemScope(task, base, item, i);
    const done = env.decidedItems?.get(i);
    const r = done ? judge(task, done, evaluator(unit, ctx)) : await attempts(unit, ctx, itemEnv, i);
    results.push(r);
    if (r.status === 'failed') break;
  }
  const combined = combineLoop(results);
  // A loop of queries is a query: its results seed the next run's speculation too.
  if (results.length && results.every((r) => r.query)) combined.query = true;
  return ignoreErrors(task, combined);
}

const NO_LOOP: unknown[] = [undefined];

/** The variables of one loop item: the item under loop_var, its position under index_var. */
export function itemScope(task: Pick<Task, 'loopVar' | 'indexVar'>, base: Vars, item: unknown, index: number): Vars {
  return task.indexVar ? { ...base, [task.loopVar]: item, [task.indexVar]: index } : { ...base, [task.loopVar]: item };
}

/** The loop's items (NO_LOOP when the task has none): a list, or a template or expression
 * that gives one. */
export function loopItems(unit: Unit, ctx: Vars): unknown[] {
  const task = unit.task;
  if (task.loop === undefined) return NO_LOOP;
  const loop = task.loop;
  const items =
    typeof loop === 'string' && !loop.trim().startsWith('{{') ? evalExpression(loop.trim(), ctx, task.source) : renderValue(loop, ctx, task.source);
  if (!Array.isArray(items)) throw new TaskError(`loop must be a list, got ${typeof items}`);
  return items;
}

/** The task's conditions, read without a loop item, are known to be false. */
export function whenFalseWithoutItem(unit: Unit, ctx: Vars): boolean {
  try {
    return !whenHolds(unit, ctx);
  } catch {
    return false;
  }
}

/** The unit's conditions (its role's, then its own) all hold. */
export function whenHolds(unit: Unit, ctx: Vars): boolean {
  for (const cond of [unit.roleWhen, unit.task.when]) {
    if (cond === undefined) continue;
    for (const c of Array.isArray(cond) ? cond : [cond]) if (!truthy(evalExpression(c, ctx, unit.task.source))) return false;
  }
  return true;
}

/** The task's conditions (changed_when, failed_when) evaluated in its item's variables. */
export function evaluator(unit: Unit, ctx: Vars): Evaluate {
  return (cond, extra) => evalExpression(cond, { ...ctx, ...extra }, unit.task.source);
}

/** Ansible's until: the item runs again after `delay` seconds until the condition holds (it
 * reads the result under the register name, with `attempts`), at most retries + 1 times
 * (3 when retries is not given); then it fails. Check mode does not retry a change it did
 * not make. */
async function attempts(unit: Unit, ctx: Vars, env: TaskEnv, item: number): Promise<Outcome> {
  const task = unit.task;
  if (task.until === undefined) return executeItem(unit, ctx, env, item);
  const max = task.retries === undefined ? 3 : task.retries <= 0 ? 1 : task.retries + 1;
  const conds = Array.isArray(task.until) ? task.until : [task.until];
  for (let n = 1; ; n++) {
    const r = await executeItem(unit, ctx, env, item);
    if (r === CONDITION_FALSE || r.status === 'skipped' || r.after || (env.check && r.status === 'changed' && !r.query)) return r;
    const reg = { ...registeredOf(r), attempts: n };
    const scope = task.register ? { ...ctx, [task.register]: reg } : ctx;
    let done: boolean;
    try {
      done = conds.every((c) => truthy(evalExpression(c, scope, task.source)));
    } catch (err) {
      return failed(`until: ${errorText(err)}`);
    }
    if (done) return { ...r, registered: reg };
    if (n >= max) {
      const msg = `until (${conds.join(' and ')}) still false after ${n} attempts${r.msg ? `: ${r.msg}` : ''}`;
      return { ...r, status: 'failed', msg, failure: { ...r.failure, msg }, registered: { ...reg, failed: true } };
    }
    if (await env.retryPause((task.delay ?? 5) * 1000, `FAILED - RETRYING: ${task.name} (${max - n} retries left)`)) return r;
  }
}

async function executeItem(unit: Unit, ctx: Vars, env: TaskEnv, item: number): Promise<Outcome> {
  const task = unit.task;
  let prepared: PreparedTask;
  try {
    const go = env.timings.measure('renderMs', () => whenHolds(unit, ctx));
    if (!go) return CONDITION_FALSE;
    prepared = env.timings.measure('renderMs', () => (env.prepare ? env.prepare(unit, item, ctx) : prepareTask(task, ctx, env.facts)));
  } catch (err) {
    return renderFailure(err, env);
  }
  const evaluate = evaluator(unit, ctx);
  registerParamSecrets(prepared.kind === 'module' ? prepared.module.secretParams : prepared.action.secretParams, prepared.params, env.secrets);
  if (prepared.kind === 'action') {
    const probed = prepared.section ? await env.probe(prepared.section) : undefined;
    const res = await env.runAction(prepared, probed);
    // In check mode, later tasks of this host cannot see what this action would change.
    if (env.check && res.status === 'changed' && !res.after) env.ledger.add(task.name, []);
    // A skip (nothing to prove in check mode) or a wait for a pending change is not a result to judge.
    if (res.status === 'skipped' || res.after) return { status: res.status, msg: res.msg, after: res.after, registered: res.registered };
    return judge(task, actionVerdict(res), evaluate);
  }
  const { module, params, section } = prepared;
  const probed = await env.probe(section);
  const pending = env.check ? env.ledger.last() : undefined;
  if (prepared.query) {
    const o: Outcome = { ...judge(task, queryVerdict(prepared, probed), evaluate), query: true };
    // Check mode: a query that fails after a change that was not made (a self-check of a
    // deploy) checked the state before it: it waits for that change, not a failure.
    return o.status === 'failed' ? unlessPending(pending, o) : o;
  }
  if (probed.rc !== 0) {
    return unlessPending(pending, failed('probe failed', { msg: 'probing the current state failed', cmd: section.text.trim().split('\n')[0], rc: probed.rc, stderr: probed.stderr }));
  }
  let plan;
  try {
    plan = env.timings.measure('planMs', () => module.plan(params, probed.stdout, env.facts));
  } catch (err) {
    return failed(errorText(err));
  }
  const resources = module.resources?.(params) ?? [];
  if (plan.kind === 'ok') {
    const after = env.check ? env.ledger.touching(resources) : undefined;
    return after ? willChangeAfter(after) : judge(task, planVerdict(plan), evaluate);
  }
  if (plan.kind === 'blocked') return unlessPending(pending, judge(task, planVerdict(plan), evaluate));
  if (env.check) {
    env.ledger.add(task.name, resources);
    // The operator's command did not run: there is no result for its rules to judge yet.
    if (module.traits?.guards) return { status: 'changed', msg: plan.summary, registered: { changed: true, failed: false } };
    return judge(task, planVerdict(plan), evaluate);
  }
  const out = await env.apply(module.apply(params, plan, env.facts), module.madeDirs?.(params, plan) ?? [], undefined, writtenBy(module.name, module.resources?.(params) ?? []));
  return judge(task, appliedVerdict(prepared, plan.summary, plan.diff, out), evaluate);
}

/** The task could not be rendered: a failure, unless in check mode an earlier change that was
 * not made is what it needs. */
function renderFailure(err: unknown, env: TaskEnv): Outcome {
  return unlessPending(env.check ? env.ledger.last() : undefined, failed(errorText(err)));
}
