// The variables a task sets for the rest of its host's run besides `register` (set_fact's
// keys, include_vars' candidate files' names): later tasks reading them wait for the task,
// like readers of a registered result (no speculation, no pipelining past it).
import type { Task } from '../model/playbook.js';

export function factNamesOf(t: Task): string[] {
  if (t.module === 'set_fact') return Object.keys(t.params);
  if (t.module === 'include_vars' && Array.isArray(t.params.names)) return t.params.names.map(String);
  return [];
}
