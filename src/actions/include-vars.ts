// include_vars (Ansible's): variables from a YAML file of the role, chosen at run time (the
// name may read facts: "{{ ansible_facts.os_family }}.yml"), read on the controller.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { parse } from 'yaml';
import type { Action } from '../model/action.js';
import type { Vars } from '../model/inventory.js';
import { paramsObject, type Params } from '../model/params.js';

const schema = paramsObject({
  file: Type.String({ minLength: 1 }),
  /** Where a relative name is looked for, first match wins (the role's vars/, its tasks/...). */
  search: Type.Array(Type.String({ pattern: '^/' })),
  /** Every name the candidate files define (set at load: what later tasks may read). */
  names: Type.Array(Type.String()),
});

/** The file's variables; an error names the file and what was wrong. */
export function varsFromFile(p: Params<typeof schema>): Vars {
  const file = isAbsolute(p.file) ? p.file : p.search.map((d) => join(d, p.file)).find((f) => existsSync(f));
  if (!file || !existsSync(file)) throw new Error(`include_vars: ${p.file} not found (looked in ${p.search.join(', ')})`);
  // YAML 1.1, as Ansible reads it (yes/no are booleans).
  const data: unknown = parse(readFileSync(file, 'utf8'), { version: '1.1' });
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new Error(`include_vars: ${file} must hold a mapping of variables`);
  // Values holding {{ }} stay templates, resolved when read in the host's scope (the engine
  // adds them with addIncludedVars, as a role's vars are).
  return data as Vars;
}

export const includeVars: Action<typeof schema> = {
  name: 'include_vars',
  schema,
  factsOf: varsFromFile,
  run(p) {
    try {
      return Promise.resolve({ status: 'ok', facts: varsFromFile(p) });
    } catch (e) {
      return Promise.resolve({ status: 'failed', msg: (e as Error).message });
    }
  },
};
