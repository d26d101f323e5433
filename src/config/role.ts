// loadRole: roles/NAME/ with role.yml + tasks.yml (fleet), or tasks/main.yml +
// defaults/main.yml + handlers/main.yml (Ansible's layout).
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ConfigError } from '../model/errors.js';
import type { Source, Vars } from '../model/inventory.js';
import type { Handler, Role, RoleDependency, Task } from '../model/playbook.js';
import { parseAnsibleTasks } from './ansible/tasks.js';
import { readVarsSchema } from './role-vars-schema.js';
import { parseHandlers, parseTasks } from './task.js';
import { entries, errAt, isMap, isNullNode, isSeq, kindOf, readYaml, sourceOf, toJS } from './yaml-source.js';
import type { YamlFile } from './yaml-source.js';

const ROLE_KEYS = ['description', 'variables', 'handlers'];
const ANSIBLE_DIRS = ['tasks', 'handlers', 'defaults', 'vars', 'meta'];
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
  // Ansible's layout: a role may have only some of its directories (a meta-only role of
  // dependencies, a role included with tasks_from and no main.yml).
  if (ANSIBLE_DIRS.some((d) => existsSync(join(root, d)))) return withWarnings(loadAnsibleRole(root, name, owner, read));
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

/** A fleet-format role has no dependencies (its roles are listed in the play); an
 * Ansible-layout role's meta/main.yml dependencies are run (readDependencies). */
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
  const tasksDir = join(root, 'tasks');
  const aOwner = { ...owner, tasksDir, read };
  const tasksFile = mainFile(tasksDir);
  const tyf = tasksFile ? read(tasksFile) : undefined;
  const tasks = tyf ? (parseAnsibleTasks(tyf, tyf.doc.contents, aOwner, `role '${name}' tasks/main.yml`) as Task[]) : [];
  let handlers: Handler[] = [];
  const hFile = mainFile(join(root, 'handlers'));
  if (hFile) {
    const yf = read(hFile);
    handlers = parseAnsibleTasks(yf, yf.doc.contents, aOwner, `role '${name}' handlers/main.yml`, true) as Handler[];
  }
  const defaults = varsFile(mainFile(join(root, 'defaults')), name, 'defaults', read);
  const vars = varsFile(mainFile(join(root, 'vars')), name, 'vars', read);
  // No schema in this layout: every default is a known variable, anything else is allowed.
  const properties = Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, { default: v }]));
  const role: Role = {
    name,
    dir: root,
    description: '',
    varsSchema: { type: 'object', properties },
    defaults,
    tasks,
    handlers,
    source: { file: tasksFile ?? root, line: 1, column: 1 },
  };
  if (Object.keys(vars).length) role.vars = vars;
  const deps = readDependencies(root, name, read);
  if (deps.length) role.dependencies = deps;
  return role;
}

/** include_role's tasks_from / vars_from / defaults_from / handlers_from: the role with those
 * files of its directories read instead of main (a name without extension finds NAME.yml,
 * NAME.yaml or NAME, as Ansible does). Errors point at the include. */
export function roleVariant(role: Role, from: { tasks?: string; vars?: string; defaults?: string; handlers?: string }, at: Source): Role {
  if (!Object.values(from).some((v) => v !== undefined)) return role;
  if (existsSync(join(role.dir, 'role.yml')) || existsSync(join(role.dir, 'tasks.yml')))
    throw new ConfigError(at.file, at.line, at.column, `role '${role.name}' is in fleet's format: tasks_from and the other *_from options are for Ansible-layout roles`);
  const warnings: string[] = [];
  const read: Read = (file) => {
    const yf = readYaml(file);
    warnings.push(...yf.warnings);
    return yf;
  };
  const find = (dir: string, name: string): string => {
    const base = join(role.dir, dir);
    const file = [name, `${name}.yml`, `${name}.yaml`].map((f) => resolve(base, f)).find((f) => f.startsWith(base + '/') && existsSync(f));
    if (!file) throw new ConfigError(at.file, at.line, at.column, `role '${role.name}': ${dir}_from '${name}': no such file in ${base}`);
    return file;
  };
  const owner = { role: role.name, roleDir: role.dir, tasksDir: join(role.dir, 'tasks'), read };
  const out: Role = { ...role };
  if (from.tasks) {
    const f = find('tasks', from.tasks);
    const yf = read(f);
    out.tasks = parseAnsibleTasks(yf, yf.doc.contents, owner, `role '${role.name}' tasks/${from.tasks}`) as Task[];
    out.source = { file: f, line: 1, column: 1 };
  }
  if (from.handlers) {
    const yf = read(find('handlers', from.handlers));
    out.handlers = parseAnsibleTasks(yf, yf.doc.contents, owner, `role '${role.name}' handlers/${from.handlers}`, true) as Handler[];
  }
  if (from.defaults) {
    out.defaults = varsFile(find('defaults', from.defaults), role.name, 'defaults', read);
    out.varsSchema = { type: 'object', properties: Object.fromEntries(Object.entries(out.defaults).map(([k, v]) => [k, { default: v }])) };
  }
  if (from.vars) out.vars = varsFile(find('vars', from.vars), role.name, 'vars', read);
  if (warnings.length) out.warnings = [...(role.warnings ?? []), ...warnings];
  return out;
}

/** Ansible reads main.yml, main.yaml or main in each of a role's directories. */
function mainFile(dir: string): string | undefined {
  return ['main.yml', 'main.yaml', 'main'].map((f) => join(dir, f)).find((f) => existsSync(f));
}

function varsFile(file: string | undefined, name: string, what: string, read: Read): Vars {
  if (!file) return {};
  const yf = read(file);
  const d = yf.doc.contents;
  if (!isNullNode(d) && !isMap(d)) throw errAt(yf, d, `role '${name}': ${what} must be a mapping of variables, got ${kindOf(yf, d)}`);
  return (toJS(yf, d) as Vars | null) ?? {};
}

const DEP_KEYS = ['role', 'name', 'vars', 'when', 'tags'];

/** meta/main.yml `dependencies`: names, or {role, vars, when, tags} (Ansible also takes a
 * role's variables as keys of the entry itself: read as vars, as Ansible does). */
function readDependencies(root: string, name: string, read: Read): RoleDependency[] {
  const file = mainFile(join(root, 'meta'));
  if (!file) return [];
  const yf = read(file);
  const doc = yf.doc.contents;
  if (!isMap(doc)) return [];
  const dep = entries(yf, doc).find((e) => e.key === 'dependencies');
  if (!dep || isNullNode(dep.value)) return [];
  if (!isSeq(dep.value)) throw errAt(yf, dep.value, `role '${name}': dependencies must be a list of roles, got ${kindOf(yf, dep.value)}`);
  return dep.value.items.map((n) => {
    const source = sourceOf(yf, n);
    const v = toJS(yf, n);
    if (typeof v === 'string' && v.trim()) return { name: v.trim(), vars: {}, tags: [], source };
    if (!isMap(n) || !v || typeof v !== 'object')
      throw errAt(yf, n, `role '${name}': a dependency is a role name or {role: NAME, vars: {...}}, got ${kindOf(yf, n)}`);
    const m = v as Record<string, unknown>;
    const roleName = m.role ?? m.name;
    if (typeof roleName !== 'string' || !roleName.trim()) throw errAt(yf, n, `role '${name}': dependency has no 'role'`);
    for (const e of entries(yf, n)) {
      if (['src', 'scm', 'version'].includes(e.key))
        throw errAt(yf, e.keyNode, `role '${name}': '${e.key}' in a dependency is for ansible-galaxy; fleet reads roles from roles_path`);
    }
    const vars: Vars = { ...(m.vars as Vars | undefined) };
    for (const [k, x] of Object.entries(m)) if (!DEP_KEYS.includes(k)) vars[k] = x;
    const d: RoleDependency = {
      name: roleName.trim(),
      vars,
      tags: Array.isArray(m.tags) ? m.tags.map(String) : typeof m.tags === 'string' ? [m.tags] : [],
      source,
    };
    if (typeof m.when === 'string' || typeof m.when === 'boolean') d.when = m.when;
    return d;
  });
}
