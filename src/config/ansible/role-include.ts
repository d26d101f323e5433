// include_role / import_role: the placeholder task the Ansible task parser leaves is replaced by
// the role's tasks (tasks_from & co. chosen), its meta dependencies first, each task carrying
// the include's keywords and running in the included role's variable scope; the role's
// handlers join the play's. Read at load (fleet knows every task before contact), so both run
// as Ansible's static import_role does; docs in the README's "Coming from Ansible".
import { ConfigError } from '../../model/errors.js';
import type { Source } from '../../model/inventory.js';
import { INCLUDE_ROLE, type Condition, type Handler, type Role, type RoleRef, type Task } from '../../model/playbook.js';
import { roleVariant } from '../role.js';

export interface Expanded {
  tasks: Task[];
  /** Handlers of the included roles, each with its role's scope (Task.roleRef). */
  handlers: Handler[];
}

export type FindRole = (name: string, at: Source) => Role;

/** Each include expanded in place; tasks without one are kept as they are (same objects). */
export function expandRoleIncludes(tasks: Task[], find: FindRole, stack: string[] = []): Expanded {
  if (!tasks.some((t) => t.module === INCLUDE_ROLE)) return { tasks, handlers: [] };
  const out: Expanded = { tasks: [], handlers: [] };
  for (const t of tasks) {
    if (t.module !== INCLUDE_ROLE) out.tasks.push(t);
    else {
      const inc = includedRole(t, find, stack);
      out.tasks.push(...inc.tasks);
      out.handlers.push(...inc.handlers);
    }
  }
  return out;
}

/** Numbers each expansion: a role included twice gets blocks of its own each time. */
let seq = 0;

function includedRole(p: Task, find: FindRole, stack: string[]): Expanded {
  const params = p.params as Record<string, string | undefined>;
  const base = find(String(params.name), p.source);
  const role = roleVariant(
    base,
    { tasks: params.tasks_from, vars: params.vars_from, defaults: params.defaults_from, handlers: params.handlers_from },
    p.source,
  );
  if (stack.includes(role.dir))
    throw new ConfigError(p.source.file, p.source.line, p.source.column, `include_role: role cycle: ${[...stack, role.dir].join(' -> ')}`);
  const ref: RoleRef = { role, vars: {}, tags: [] };
  const inner = [...stack, role.dir];
  const out: Expanded = { tasks: [], handlers: [] };
  // Ansible runs an included role's meta dependencies before it.
  for (const d of role.dependencies ?? []) {
    const dep = find(d.name, d.source);
    const fake: Task = {
      ...p,
      params: { name: d.name },
      tags: [...new Set([...d.tags, ...p.tags])],
      vars: { ...p.vars, ...d.vars },
      ...(d.when !== undefined || p.when !== undefined ? { when: andAll(p.when, d.when) } : {}),
    };
    if (inner.includes(dep.dir))
      throw new ConfigError(d.source.file, d.source.line, d.source.column, `role dependency cycle: ${[...inner, dep.dir].join(' -> ')}`);
    const x = includedRole(fake, find, inner);
    out.tasks.push(...x.tasks);
    out.handlers.push(...x.handlers);
  }
  const body = expandRoleIncludes(role.tasks, find, inner);
  const id = ++seq;
  out.tasks.push(...body.tasks.map((c) => carried(p, c, ref, id)));
  out.handlers.push(...body.handlers.map((h) => ({ ...h, roleRef: linked(h.roleRef ?? ref, ref) })));
  out.handlers.push(...role.handlers.map((h) => ({ ...h, roleRef: ref })));
  return out;
}

/** One task of the included role, with the include's keywords (the task's own win, as with a
 * block) and the role's variable scope. */
function carried<T extends Task>(p: Task, c: T, ref: RoleRef, id: number): T {
  const out: T = { ...c, roleRef: c.roleRef ? linked(c.roleRef, ref) : ref };
  if (p.when !== undefined) out.when = andAll(p.when, c.when);
  if (p.tags.length) out.tags = [...new Set([...p.tags, ...c.tags])];
  if (out.become === undefined && p.become !== undefined) out.become = p.become;
  if (p.ignoreErrors) out.ignoreErrors = true;
  if (p.vars) out.vars = { ...p.vars, ...c.vars };
  if (p.noLog) out.noLog = true;
  if (out.diff === undefined && p.diff !== undefined) out.diff = p.diff;
  if (p.checkMode) out.checkMode = true;
  if (out.anyErrorsFatal === undefined && p.anyErrorsFatal !== undefined) out.anyErrorsFatal = p.anyErrorsFatal;
  const own = (c.blocks ?? []).map((f) => ({ ...f, id: `${f.id}@${id}` }));
  if (p.blocks?.length || own.length) out.blocks = [...(p.blocks ?? []), ...own];
  return out;
}

/** A nested include's scope, with the including role's variables visible below its own. */
function linked(r: RoleRef, outer: RoleRef): RoleRef {
  if (r === outer) return r;
  return { ...r, outer: r.outer ? linked(r.outer, outer) : outer };
}

function andAll(a: Condition | undefined, b: Condition | undefined): Condition {
  const list = (c: Condition | undefined): (string | boolean)[] => (c === undefined ? [] : Array.isArray(c) ? c : [c]);
  return [...list(a), ...list(b)];
}
