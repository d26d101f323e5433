// --start-at-task NAME: the playbook from the first task whose name matches, as Ansible has
// it: NAME is the task's name or `role : name`, with shell wildcards; earlier plays are left
// out, and in the play that holds the task, every task before it. Handlers all stay (a later
// task may notify a handler of an earlier role), so earlier roles stay too, without tasks.
import { ConfigError } from '../model/errors.js';
import type { Play, Playbook, RoleRef, Task } from '../model/playbook.js';

function matcher(pattern: string): (name: string) => boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return (name) => name === pattern || re.test(name);
}

const fullName = (t: Task): string => (t.role ? `${t.role} : ${t.name}` : t.name);

export function startAtTask(playbook: Playbook, pattern: string): Playbook {
  const matches = matcher(pattern);
  const hit = (t: Task) => matches(t.name) || matches(fullName(t));
  for (const [pi, play] of playbook.plays.entries()) {
    const ri = play.roles.findIndex((r) => r.role.tasks.some(hit));
    if (ri >= 0) {
      const ref = play.roles[ri];
      const from = ref.role.tasks.findIndex(hit);
      const roles: RoleRef[] = play.roles.map((r, i) => (i < ri ? withTasks(r, []) : i === ri ? withTasks(r, r.role.tasks.slice(from)) : r));
      return { ...playbook, plays: [{ ...play, roles }, ...playbook.plays.slice(pi + 1)] };
    }
    const ti = play.tasks.findIndex(hit);
    if (ti >= 0) {
      const first: Play = { ...play, roles: play.roles.map((r) => withTasks(r, [])), tasks: play.tasks.slice(ti) };
      return { ...playbook, plays: [first, ...playbook.plays.slice(pi + 1)] };
    }
  }
  const names = playbook.plays.flatMap((p) => [...p.roles.flatMap((r) => r.role.tasks), ...p.tasks]).map(fullName);
  throw new ConfigError(playbook.file, undefined, undefined, `--start-at-task '${pattern}' matches no task (tasks: ${names.slice(0, 40).join('; ')}${names.length > 40 ? '; ...' : ''})`);
}

/** The same role reference with other tasks; the Role object is shared, so it is copied. */
function withTasks(ref: RoleRef, tasks: Task[]): RoleRef {
  return { ...ref, role: { ...ref.role, tasks } };
}
