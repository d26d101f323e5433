// loadRole: roles/NAME/ with role.yml + tasks.yml (fleet), or tasks/main.yml +
// defaults/main.yml + handlers/main.yml (Ansible's layout).
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ConfigError } from '../model/errors.js';
import type { Vars } from '../model/inventory.js';
import type { Handler, Role, Task } from '../model/playbook.js';
import { readVarsSchema } from './role-vars-schema.js';
import { parseHandlers, parseTasks } from './task.js';
import { entries, errAt, isMap, isNullNode, isSeq, kindOf, readYaml, toJS } from './yaml-source.js';
import type { YamlFile } from './yaml-source.js';

const ROLE_KEYS = ['description', 'variables', 'handlers'];
type Read = (file: string) => YamlFile;

export function loadRole(dir: string): Role {
  const root = resolve(dir);
  const name = basename(root);
  const owner = { role: name, roleDir: root };
  // YAML 1.1 surprises of every file of the role, for the run's warnings.
  const warnings: string[] = [];
  const read: Read = (file) => {
    const yf = readYaml(file);
    warnings.push(...yf.warnings);
    return yf;
  };
  const withWarnings = (r: Role): Role => (warnings.length ? { ...r, warnings } : r);
  if (existsSync(join(root, 'role.yml')) || existsSync(join(root, 'tasks.yml')))
    return withWarnings(loadFleetRole(root, name, owner, read));
  if (existsSync(join(root, 'tasks', 'main.yml'))) return withWarnings(loadAnsibleRole(root, name, owner, read));
  throw new ConfigError(root, undefined, undefined, `not a role: expected role.yml and tasks.yml (or Ansible's tasks/main.yml) in ${root}`);
}

function loadFleetRole(root: string, name: string, owner: { role: string; roleDir: string }, read: Read): Role {
  refuseDependencies(root, name, read);
  let description = '';
  let varsSchema: Record<string, unknown> = { type: 'object', properties: {} };
  let defaults: Vars = {};
  let handlers: Handler[] = [];
  const roleFile = join(root, 'role.yml');
  if (existsSync(roleFile)) {
    const yf = read(roleFile);
    const doc = yf.doc.contents;
    if (!isNullNode(doc)) {
      if (!isMap(doc)) throw errAt(yf, doc, `role '${name}': expected a mapping with ${ROLE_KEYS.join(', ')}, got ${kindOf(yf, doc)}`);
      for (const e of entries(yf, doc)) {
        if (e.key === 'description') {
          const v = toJS(yf, e.value);
          if (v !== null && typeof v !== 'string')
            throw errAt(yf, e.value, `role '${name}': 'description' must be a string, got ${kindOf(yf, e.value)}`);
          description = (v ?? '').trim();
        } else if (e.key === 'variables') {
          ({ schema: varsSchema, defaults } = readVarsSchema(yf, e.value, name));
        } else if (e.key === 'handlers') {
          handlers = parseHandlers(yf, e.value, owner, `role '${name}' handlers`);
        } else {
          throw errAt(yf, e.keyNode, `unknown key '${e.key}' in role '${name}' (allowed: ${ROLE_KEYS.join(', ')})`);
        }
      }
    }
  }
  const tasksFile = join(root, 'tasks.yml');
  let tasks: Task[] = [];
  if (existsSync(tasksFile)) {
    const yf = read(tasksFile);
    tasks = parseTasks(yf, yf.doc.contents, owner, `role '${name}' tasks.yml`);
  }
  const source = { file: existsSync(roleFile) ? roleFile : tasksFile, line: 1, column: 1 };
  return { name, dir: root, description, varsSchema, defaults, tasks, handlers, source };
}

/** Ansible runs the roles a role's meta/main.yml lists under `dependencies` first. fleet does
 * not: refused loudly rather than silently running the role without them. */
function refuseDependencies(root: string, name: string, read: Read): void {
  for (const f of ['main.yml', 'main.yaml']) {
    const file = join(root, 'meta', f);
    if (!existsSync(file)) continue;
    const yf = read(file);
    const doc = yf.doc.contents;
    if (!isMap(doc)) continue;
    const dep = entries(yf, doc).find((e) => e.key === 'dependencies');
    if (!dep || isNullNode(dep.value) || (isSeq(dep.value) && dep.value.items.length === 0)) continue;
    throw errAt(
      yf,
      dep.value,
      `role '${name}': role dependencies (meta/main.yml) are not run by fleet; list those roles in the play's roles, before '${name}'`,
    );
  }
}

function loadAnsibleRole(root: string, name: string, owner: { role: string; roleDir: string }, read: Read): Role {
  refuseDependencies(root, name, read);
  const tasksFile = join(root, 'tasks', 'main.yml');
  const tyf = read(tasksFile);
  const tasks = parseTasks(tyf, tyf.doc.contents, owner, `role '${name}' tasks/main.yml`);
  let handlers: Handler[] = [];
  const hFile = join(root, 'handlers', 'main.yml');
  if (existsSync(hFile)) {
    const yf = read(hFile);
    handlers = parseHandlers(yf, yf.doc.contents, owner, `role '${name}' handlers/main.yml`);
  }
  let defaults: Vars = {};
  const dFile = join(root, 'defaults', 'main.yml');
  if (existsSync(dFile)) {
    const yf = read(dFile);
    const d = yf.doc.contents;
    if (!isNullNode(d) && !isMap(d)) throw errAt(yf, d, `role '${name}': defaults must be a mapping of variables, got ${kindOf(yf, d)}`);
    defaults = (toJS(yf, d) as Vars | null) ?? {};
  }
  // No schema in this layout: every default is a known variable, anything else is allowed.
  const properties = Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, { default: v }]));
  return {
    name,
    dir: root,
    description: '',
    varsSchema: { type: 'object', properties },
    defaults,
    tasks,
    handlers,
    source: { file: tasksFile, line: 1, column: 1 },
  };
}
