// A play flattened into the ordered units a host runs: role tasks then play tasks,
// filtered by --tags/--skip-tags (tags are static, so this happens once per play).
import type { Handler, Play, RoleRef, Task } from '../model/playbook.js';
export { FLUSH_HANDLERS } from '../model/playbook.js';

export interface Unit {
  task: Task;
  roleRef?: RoleRef;
  /** Position in the play, for barriers (hostvars, run_once). */
  index: number;
  /** A `when` inherited from `roles: [{role, when}]`. */
  roleWhen?: string | boolean;
  /** Ansible's any_errors_fatal holds for this task: its failure on a host ends the play for all. */
  fatal?: boolean;
  /** The task before is fatal: every host of the batch finishes it before this one runs. */
  barrier?: boolean;
}

export interface PlayProgram {
  play: Play;
  playIndex: number;
  units: Unit[];
  handlers: { handler: Handler; roleRef?: RoleRef }[];
}

export interface TagFilter {
  tags?: string[];
  skipTags?: string[];
}

export function selectedByTags(tags: string[], f: TagFilter): boolean {
  const has = (t: string): boolean => tags.includes(t);
  if (f.skipTags?.some((t) => has(t) || t === 'all')) return false;
  if (has('never') && !f.tags?.some((t) => has(t))) return false;
  if (!f.tags || f.tags.length === 0 || f.tags.includes('all')) return true;
  if (has('always')) return true;
  if (f.tags.includes('tagged') && tags.length > 0) return true;
  if (f.tags.includes('untagged') && tags.length === 0) return true;
  return f.tags.some((t) => has(t));
}

/** The variables a task sees: its own role's (include_role sets Task.roleRef), with the role
 * listed in the play that included it visible below (Ansible shows the including role's vars). */
const scopes = new WeakMap<RoleRef, WeakMap<RoleRef, RoleRef>>();
function scopeOf(task: Task, listed: RoleRef | undefined): RoleRef | undefined {
  const own = task.roleRef;
  if (!own || !listed || own === listed) return own ?? listed;
  let byListed = scopes.get(own);
  if (!byListed) scopes.set(own, (byListed = new WeakMap()));
  let r = byListed.get(listed);
  if (!r) byListed.set(listed, (r = withOuter(own, listed)));
  return r;
}
function withOuter(r: RoleRef, outer: RoleRef): RoleRef {
  return { ...r, outer: r.outer ? withOuter(r.outer, outer) : outer };
}

export function buildProgram(play: Play, playIndex: number, filter: TagFilter): PlayProgram {
  const units: Unit[] = [];
  const add = (task: Task, roleRef?: RoleRef): void => {
    const tags = [...task.tags, ...(roleRef?.tags ?? [])];
    if (!selectedByTags(tags, filter)) return;
    const unit: Unit = { task, roleRef: scopeOf(task, roleRef), index: units.length, roleWhen: roleRef?.when };
    if (task.anyErrorsFatal ?? play.anyErrorsFatal) unit.fatal = true;
    if (units.at(-1)?.fatal) unit.barrier = true;
    units.push(unit);
  };
  for (const t of play.preTasks ?? []) add(t);
  for (const ref of play.roles) for (const t of ref.role.tasks) add(t, ref);
  for (const t of play.tasks) add(t);
  const handlers: PlayProgram['handlers'] = [];
  for (const ref of play.roles) for (const h of ref.role.handlers) handlers.push({ handler: h, roleRef: ref });
  for (const h of play.handlers) handlers.push({ handler: h, roleRef: h.roleRef });
  return { play, playIndex, units, handlers };
}
