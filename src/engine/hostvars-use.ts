// How a task uses other hosts' values. Reading `hostvars` (in its params, loop, condition, or
// the template file it renders) means the context must carry them; reading a value that
// hosts *register* during the run means waiting until every host of the play got that far.
// Inventory values (hostvars.X.ansible_host) need no wait, so such tasks are still probed in
// the first round trip.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Task } from '../model/playbook.js';
import { referencesHostvars } from '../template/index.js';

export interface HostvarsUse {
  reads: boolean;
  /** Text that reads hostvars, to look for registered names in. */
  text: string;
}

const cache = new WeakMap<Task, HostvarsUse>();

function templateText(task: Task): string {
  const src = task.module === 'template' ? task.params.src : undefined;
  if (typeof src !== 'string' || src.includes('{{')) return '';
  try {
    return readFileSync(isAbsolute(src) ? src : join(task.roleDir ?? process.cwd(), 'templates', src), 'utf8');
  } catch {
    return '';
  }
}

export function hostvarsUse(task: Task): HostvarsUse {
  let u = cache.get(task);
  if (!u) {
    const tpl = templateText(task);
    const reads = referencesHostvars(task.params) || referencesHostvars(task.loop) || referencesHostvars(task.when) || tpl.includes('hostvars');
    // Only the lines that mention hostvars can read another host's registered values.
    const text = [JSON.stringify([task.params, task.loop ?? null, task.when ?? null]), tpl]
      .join('\n')
      .split(/\\n|\n/)
      .filter((l) => l.includes('hostvars'))
      .join('\n');
    u = { reads, text };
    cache.set(task, u);
  }
  return u;
}

/** Does the task read another host's value that some task of the run registers? */
export function readsRegistered(task: Task, registerNames: Iterable<string>): boolean {
  const u = hostvarsUse(task);
  if (!u.reads) return false;
  return mentionsAny(u.text, registerNames);
}

/** Does the text name one of these variables as a whole word? */
export function mentionsAny(text: string, names: Iterable<string>): boolean {
  for (const name of names) if (new RegExp(`\\b${name.replace(/\W/g, '')}\\b`).test(text)) return true;
  return false;
}
