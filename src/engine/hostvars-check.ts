// A task that reads another host's variable (hostvars['db1'].db_port) cannot be rendered
// before contact: that host's registered results and facts are not known yet. But the NAME
// it reads can be checked: a name that no layer gives that host (inventory, -e), that no
// task of the playbook registers, that no inventory_var task writes and that is not one of
// the names every host has, is a typo, and fails every run it is in. Found here, before any
// host is contacted, instead of failing on the hosts (or, in check mode, hiding behind
// "will change (after ...)").
import { ConfigError } from '../model/errors.js';
import type { Inventory, Vars } from '../model/inventory.js';
import type { Playbook, Task } from '../model/playbook.js';
import { ANY_VARIABLE, type VarRef } from '../template/index.js';

/** What hostvars.H has besides its variables (engine/vars.ts hostvarsOf). */
const ALWAYS = new Set(['inventory_hostname', 'ansible_host', 'groups', 'group_names', 'hostvars', 'facts']);

/** Names tasks give hosts while the run goes: `register:` results and inventory_var keys. */
export function runtimeNames(playbook: Playbook): Set<string> | undefined {
  const out = new Set<string>();
  for (const play of playbook.plays) {
    const tasks: Task[] = [...(play.preTasks ?? []), ...play.tasks, ...play.handlers, ...play.roles.flatMap((r) => [...r.role.tasks, ...r.role.handlers])];
    for (const t of tasks) {
      if (t.register) out.add(t.register);
      if (t.module === 'inventory_var') {
        const key = t.params.key;
        if (typeof key !== 'string' || key.includes('{')) return undefined;
        out.add(key);
      }
    }
  }
  return out;
}

/** Throws a ConfigError at the task for a constant hostvars[H].NAME read that cannot resolve. */
export function checkHostvarsReads(
  task: Task,
  refs: readonly VarRef[],
  inv: Inventory,
  extraVars: Vars,
  runtime: Set<string> | undefined,
): void {
  if (!runtime || refs.some((r) => r.name === ANY_VARIABLE)) return;
  for (const r of refs) {
    if (r.name !== 'hostvars' || r.path.length < 1) continue;
    const [hostName, attr] = r.path;
    const host = inv.hosts.get(hostName);
    const where = `task '${task.name}'`;
    if (!host)
      throw new ConfigError(
        task.source.file,
        task.source.line,
        task.source.column,
        `${where}: reads hostvars['${hostName}'], but there is no host ${hostName} in the inventory`,
      );
    if (attr === undefined || ALWAYS.has(attr) || runtime.has(attr)) continue;
    if (Object.hasOwn(host.vars, attr) || Object.hasOwn(extraVars, attr)) continue;
    throw new ConfigError(
      task.source.file,
      task.source.line,
      task.source.column,
      `${where}: reads hostvars['${hostName}'].${attr}, but host ${hostName} has no variable '${attr}' ` +
        `(not in the inventory or -e, and no task registers it)`,
    );
  }
}
