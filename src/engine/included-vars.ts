// Variables include_vars read: a value holding {{ }} stays a template, resolved lazily in the
// scope of the host that reads it (as role and play vars are); set_fact's are final values.
import type { Vars } from '../model/inventory.js';
import type { Task } from '../model/playbook.js';
import { assignVars } from '../template/index.js';

export function addFacts(into: Vars, facts: Vars, task: Pick<Task, 'module' | 'source'>): void {
  if (task.module !== 'include_vars') {
    Object.assign(into, facts);
    return;
  }
  assignVars(into, facts, () => ({ file: task.source.file, line: task.source.line }));
}
