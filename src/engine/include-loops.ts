// Ansible's include_tasks with a loop, laid out before contact: fleet's program is a flat list
// every host walks (one round trip when nothing changes), so the included tasks are copied
// once per item, as many times as the longest list any host of the play has. Copy k reads its
// item as `(LOOP)[k]` and runs only where the list has more than k items; the include's own
// conditions are read first (`users is defined` guards a loop over `users`, as in Ansible).
// The list must be known before contact: one read from facts or registered results is
// refused at the include's file:line:col.
import { ConfigError } from '../model/errors.js';
import type { Inventory, Vars } from '../model/inventory.js';
import type { IncludeLoop, Play, Playbook, RoleRef, Task } from '../model/playbook.js';
import { evalExpression, renderValue, truthy } from '../template/index.js';

import type { HostSelector } from './run-shared.js';
import { buildContext, groupsMap, type HostRuntime, type VarsScope } from './vars.js';

export interface IncludeLoopInput {
  inventory: Inventory;
  playbook: Playbook;
  extraVars: Vars;
  limit?: string;
  selectHosts: HostSelector;
  mode: 'apply' | 'check';
}

/** The playbook with every looped include laid out (the same object when it has none). */
export function expandIncludeLoops(input: IncludeLoopInput): Playbook {
  const { inventory: inv, playbook, selectHosts } = input;
  const has = (ts: readonly Task[]) => ts.some((t) => t.includeLoop);
  if (!playbook.plays.some((p) => has(p.tasks) || has(p.preTasks ?? []) || p.roles.some((r) => has(r.role.tasks)))) return playbook;
  const limited = input.limit ? new Set(selectHosts(inv, input.limit)) : undefined;
  const groups = groupsMap(inv);
  const plays = playbook.plays.map((play): Play => {
    const hosts = selectHosts(inv, play.hosts, play.hostsSource ?? play.source).filter((h) => !limited || limited.has(h));
    const scope: VarsScope = { inventory: inv, groups, extraVars: input.extraVars, mode: input.mode, runtimes: new Map(), playHosts: hosts, generation: { value: 0 } };
    const lay = (tasks: Task[], ref?: RoleRef) => (has(tasks) ? layOut(tasks, (t, f) => longest(f, t, play, t.roleRef ?? ref, hosts, scope)) : tasks);
    return {
      ...play,
      ...(play.preTasks ? { preTasks: lay(play.preTasks) } : {}),
      tasks: lay(play.tasks),
      roles: play.roles.map((ref) => (has(ref.role.tasks) ? { ...ref, role: { ...ref.role, tasks: lay(ref.role.tasks, ref) } } : ref)),
    };
  });
  return { ...playbook, plays };
}

/** Each run of tasks from one looped include, copied `count` times. */
function layOut(tasks: Task[], count: (t: Task, f: IncludeLoop) => { n: number; items?: unknown[] }): Task[] {
  const out: Task[] = [];
  for (let i = 0; i < tasks.length; ) {
    const f = tasks[i].includeLoop;
    if (!f) {
      out.push(tasks[i++]);
      continue;
    }
    let j = i;
    while (j < tasks.length && tasks[j].includeLoop?.id === f.id) j++;
    const group = tasks.slice(i, j);
    const { n, items } = count(group[0], f);
    for (let k = 0; k < n; k++) out.push(...group.map((t) => copyFor(t, f, k, items)));
    i = j;
  }
  return out;
}

/** The loop as an expression (a template string's inside), or its literal items. */
function loopOf(f: IncludeLoop): { expr?: string; items?: unknown[] } {
  if (Array.isArray(f.loop)) return { items: f.loop };
  const s = String(f.loop).trim();
  const m = /^\{\{(.*)\}\}$/s.exec(s);
  return { expr: m ? m[1].trim() : s };
}

function copyFor(t: Task, f: IncludeLoop, k: number, items: unknown[] | undefined): Task {
  const { expr } = loopOf(f);
  const item = items ? items[k] : `{{ (${expr})[${k}] }}`;
  const { includeLoop: _done, ...rest } = t;
  const out: Task = { ...rest, includeVars: { ...t.includeVars, [f.loopVar]: item, ...(f.indexVar ? { [f.indexVar]: k } : {}) } };
  if (!items) {
    // After the include's own conditions (unless they read the item), before the task's.
    const when = t.when === undefined ? [] : Array.isArray(t.when) ? t.when : [t.when];
    const at = f.when.some((c) => typeof c === 'string' && readsName(c, f.loopVar)) ? 0 : f.when.length;
    out.when = [...when.slice(0, at), `(${expr}) | length > ${k}`, ...when.slice(at)];
  }
  // The included file's blocks are new blocks for each item (their rescue state is their own).
  if (t.blocks && f.blocksInside > 0) {
    const cut = t.blocks.length - f.blocksInside;
    out.blocks = t.blocks.map((b, i) => (i < cut ? b : { ...b, id: `${b.id}@${f.id}[${k}]` }));
  }
  return out;
}

function readsName(cond: string, name: string): boolean {
  return new RegExp(`(^|[^A-Za-z0-9_.])${name}([^A-Za-z0-9_]|$)`).test(cond);
}

/** How many copies: the longest list any host of the play has (0 where the include's own
 * condition is false). */
function longest(f: IncludeLoop, t: Task, play: Play, ref: RoleRef | undefined, hosts: string[], scope: VarsScope): { n: number; items?: unknown[] } {
  const { expr, items } = loopOf(f);
  if (items) return { n: items.length, items };
  let n = 0;
  for (const name of hosts) {
    const host = scope.inventory.hosts.get(name)!;
    const rt: HostRuntime = { host, registered: {}, sshPort: host.connection.port, controllerIp: '' };
    const ctx = buildContext(scope, rt, play, ref, { withHostvars: false, task: { ...t, includeVars: undefined } });
    try {
      if (f.when.length && !f.when.every((c) => truthy(evalExpression(c, ctx, f.source)))) continue;
    } catch {
      // A condition read from facts: the loop decides alone (copies keep the condition).
    }
    let list: unknown;
    try {
      list = renderValue(`{{ ${expr} }}`, ctx, f.source);
    } catch (err) {
      throw new ConfigError(
        f.source.file,
        f.source.line,
        f.source.column,
        `'${f.name}': the loop of an include_tasks must be known before contact (fleet lays out the included tasks for each item before it runs), and for host ${name} it is not: ${(err as Error).message}. Loop over variables from the inventory, the play, the role or -e (not facts or registered results), or loop over the tasks inside the file`,
      );
    }
    if (!Array.isArray(list))
      throw new ConfigError(f.source.file, f.source.line, f.source.column, `'${f.name}': loop must be a list, got ${list === null ? 'null' : typeof list} for host ${name}`);
    n = Math.max(n, list.length);
  }
  return { n };
}
