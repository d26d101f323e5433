// Which variables a task reads, computed once per task from the syntax of its params, loop,
// conditions and template file (template/'s free variables). The engine decides from it what a
// task waits for (other hosts' registered values), what it can probe early, and what keeps it
// out of a pipeline.
import { isAbsolute, join } from 'node:path';
import type { Task } from '../model/playbook.js';
import { getModule } from '../modules/index.js';
import { ANY_VARIABLE, freeVariables, freeVariablesInFile, type VarRef } from '../template/index.js';
import type { Unit } from './program.js';

export interface TaskReads {
  /** What rendering its params, loop and template file reads. */
  render: VarRef[];
  /** What its conditions (`when`, and its role's `when`) read. */
  when: VarRef[];
  /** It reads `hostvars` (or anything at all): the context must carry every host's values. */
  hostvars: boolean;
}

const byTask = new WeakMap<Task, TaskReads>();

export function taskReads(unit: Pick<Unit, 'task' | 'roleWhen'>): TaskReads {
  const task = unit.task;
  let reads = byTask.get(task);
  if (!reads) {
    const render = [...freeVariables(task.params, 'value'), ...freeVariables(task.loop, 'value'), ...renderedFileReads(task)];
    const when = freeVariables(task.when, 'condition');
    reads = { render, when, hostvars: [...render, ...when].some((r) => r.name === 'hostvars' || r.name === ANY_VARIABLE) };
    byTask.set(task, reads);
  }
  if (unit.roleWhen === undefined) return reads;
  const roleWhen = freeVariables(unit.roleWhen, 'condition');
  return { ...reads, when: [...roleWhen, ...reads.when], hostvars: reads.hostvars || roleWhen.some((r) => r.name === 'hostvars' || r.name === ANY_VARIABLE) };
}

/** A template module renders a role file: what the file reads is what the task reads. A
 * templated file name is only known when rendered: then it may read anything. */
function renderedFileReads(task: Task): VarRef[] {
  const param = getModule(task.module)?.traits?.rendersFile;
  const src = param ? task.params[param] : undefined;
  if (typeof src !== 'string') return [];
  if (src.includes('{{')) return [{ name: ANY_VARIABLE, path: [] }];
  return freeVariablesInFile(isAbsolute(src) ? src : join(task.roleDir ?? process.cwd(), 'templates', src));
}

/** Do these references read one of `names` (or anything at all)? */
export function readsAnyOf(refs: readonly VarRef[], names: ReadonlySet<string>): boolean {
  return refs.some((r) => r.name === ANY_VARIABLE || names.has(r.name));
}

/** Does the task read a value another host produces during the run (a registered result, or
 * facts gathered when that host starts)? Then it waits until every host of the play got that
 * far. Inventory values (hostvars.X.ansible_host) need no wait. A host or attribute only
 * known when rendering (hostvars[item]...) might be either: it waits. */
export function readsOtherHostsResults(reads: TaskReads, registerNames: ReadonlySet<string>): boolean {
  if (!reads.hostvars) return false;
  for (const r of [...reads.render, ...reads.when]) {
    if (r.name === ANY_VARIABLE) return true;
    if (r.name !== 'hostvars') continue;
    const attr = r.path[1];
    if (attr === undefined || attr === 'facts' || registerNames.has(attr)) return true;
  }
  return false;
}
