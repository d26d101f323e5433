// Which variables a task reads, computed once per task from the syntax of its params, loop,
// conditions and template file (template/'s free variables). The engine decides from it what a
// task waits for (other hosts' registered values), what it can probe early, and what keeps it
// out of a pipeline.
import { isAbsolute, join } from 'node:path';
import type { Inventory, Vars } from '../model/inventory.js';
import type { Playbook, Task } from '../model/playbook.js';
import { getModule } from '../modules/index.js';
import { ANY_VARIABLE, freeVariables, freeVariablesInFile, hasTemplate, type VarRef } from '../template/index.js';
import type { Unit } from './program.js';

export interface TaskReads {
  /** What rendering its params, loop, template file and `creates`/`unless` guards reads. */
  render: VarRef[];
  /** What its conditions (`when`, and its role's `when`) read. */
  when: VarRef[];
  /** It reads `hostvars` (or anything at all): the context must carry every host's values. */
  hostvars: boolean;
}

const byTask = new WeakMap<Task, { generation: number; reads: TaskReads }>();

// Variables are templates until read (D2): a task that reads `matrix_url`, written as
// "https://{{ matrix_domain }}", reads matrix_domain too, and so on down the chain. These are
// the raw values every name has in any layer of the run (inventory, play vars, role defaults
// and params, -e) when it holds a template: a task's reads include theirs, to any depth.
let variableTemplates = new Map<string, unknown[]>();
let templatesGeneration = 0;

/** The variables of a run that are templates, for taskReads to follow (set before a run and
 * before the checks made before contact). */
export function setVariableTemplates(inv: Inventory, playbook: Playbook, extraVars: Vars): void {
  const out = new Map<string, unknown[]>();
  const add = (layer: Vars | undefined): void => {
    for (const [k, v] of Object.entries(layer ?? {})) {
      if (!hasTemplate(v)) continue;
      const list = out.get(k);
      if (!list) out.set(k, [v]);
      else if (!list.includes(v)) list.push(v);
    }
  };
  for (const h of inv.hosts.values()) add(h.vars);
  const addTasks = (tasks: readonly Task[]): void => tasks.forEach((t) => {
    add(t.vars);
    add(t.includeVars);
  });
  for (const play of playbook.plays) {
    add(play.vars);
    addTasks([...(play.preTasks ?? []), ...play.tasks, ...play.handlers]);
    for (const ref of play.roles) {
      add(ref.role.defaults);
      add(ref.role.vars);
      add(ref.vars);
      addTasks([...ref.role.tasks, ...ref.role.handlers]);
    }
  }
  add(extraVars);
  variableTemplates = out;
  templatesGeneration++;
}

/** Changes whenever the variables that are templates do (what followVariables follows). */
export function variableTemplatesGeneration(): number {
  return templatesGeneration;
}

const readsAll = (refs: VarRef[]) => refs.some((r) => r.name === 'hostvars' || r.name === ANY_VARIABLE);

/** References and what the variables they name read when those are templates, to any depth.
 * hostvars.H.x, where x is a template, reads what x reads as host H sees it. */
export function followVariables(refs: VarRef[], templates: ReadonlyMap<string, unknown[]> = variableTemplates): VarRef[] {
  if (templates.size === 0) return refs;
  const out = [...refs];
  const seen = new Set<string>();
  const queue = [...refs];
  while (queue.length) {
    const r = queue.pop()!;
    const viaHost = r.name === 'hostvars' && r.path.length >= 2 ? r.path[0] : undefined;
    const name = viaHost === undefined ? r.name : r.path[1];
    const raws = templates.get(name);
    const key = `${viaHost ?? ''}\0${name}`;
    if (!raws || seen.has(key)) continue;
    seen.add(key);
    for (const raw of raws) {
      for (const f of freeVariables(raw, 'value')) {
        const inner =
          viaHost === undefined || f.name === ANY_VARIABLE || f.name === 'hostvars'
            ? f
            : { name: 'hostvars', path: [viaHost, f.name, ...f.path] };
        out.push(inner);
        queue.push(inner);
      }
    }
  }
  return out;
}

export function taskReads(unit: Pick<Unit, 'task' | 'roleWhen'>): TaskReads {
  const task = unit.task;
  let cached = byTask.get(task);
  if (!cached || cached.generation !== templatesGeneration) {
    const render = followVariables([
      ...freeVariables(task.params, 'value'),
      ...freeVariables(task.loop, 'value'),
      // The guards are rendered with the params (prepare-task.ts): a guard reading a result
      // registered again in this round trip must not be planned from the old value.
      ...freeVariables(task.creates, 'value'),
      ...freeVariables(task.unless, 'value'),
      ...renderedFileReads(task),
    ]);
    const when = followVariables(freeVariables(task.when, 'condition'));
    cached = { generation: templatesGeneration, reads: { render, when, hostvars: readsAll(render) || readsAll(when) } };
    byTask.set(task, cached);
  }
  const reads = cached.reads;
  if (unit.roleWhen === undefined) return reads;
  const roleWhen = followVariables(freeVariables(unit.roleWhen, 'condition'));
  return { ...reads, when: [...roleWhen, ...reads.when], hostvars: reads.hostvars || readsAll(roleWhen) };
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
