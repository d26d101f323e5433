// Across hosts: a task whose variables have the same values on two hosts prepares the same
// params (rendered, validated, templates and copy sources read): before contact and in
// speculation each host prepared every task the others had (shared-results.ts says when a
// result is shared). The probe, which reads the host's facts, is written for each host.
import type { Vars } from '../model/inventory.js';
import type { HostFacts } from '../model/module.js';
import type { Task } from '../model/playbook.js';
import { prepareParams, withFacts, type PreparedParams, type PreparedTask } from './prepare-task.js';
import { SharedResults } from './shared-results.js';

const tasks = new SharedResults<Task, PreparedParams>(new WeakMap());

/** The task prepared for `ctx` and `facts`. `values`: the snapshot of what it reads in `ctx`
 * (undefined: not comparable, prepared here). The params returned may be another host's: they
 * are never modified (as with the memo's). */
export function sharedPrepare(task: Task, values: readonly string[] | undefined, ctx: Vars, facts: HostFacts | undefined): PreparedTask {
  return withFacts(sharedParams(task, values, ctx), facts);
}

/** The task's params for `ctx` (its probe not written), or another host's for the same values. */
export function sharedParams(task: Task, values: readonly string[] | undefined, ctx: Vars): PreparedParams {
  return tasks.get(task, values, () => prepareParams(task, ctx));
}
