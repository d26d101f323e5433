// loadPlaybook: a YAML list of plays -> Playbook, with roles loaded and everything validated.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../model/errors.js';
import { FLUSH_HANDLERS } from '../model/playbook.js';
import type { Handler, Play, Playbook, RoleRef, Role, Task } from '../model/playbook.js';
import type { Source, Vars } from '../model/inventory.js';
import { ansibleRolesPath, findAnsibleCfg } from './ansible/cfg.js';
import { expandRoleIncludes } from './ansible/role-include.js';
import { parseAnsibleTasks } from './ansible/tasks.js';
import { toBool } from './connection.js';
import { readHosts, readMaxFail, readSerial } from './play-fields.js';
import { loadRole } from './role.js';
import { checkAgainstSchema } from './schema-check.js';
import { notifySourcesOf, parseHandlers, parseTasks, stringList } from './task.js';
import { entries, errAt, isMap, isNullNode, isSeq, kindOf, readYaml, sourceOf, toJS } from './yaml-source.js';
import type { Entry, YAMLMap, YamlFile } from './yaml-source.js';

export const PLAY_KEYS = ['name', 'hosts', 'roles', 'tasks', 'handlers', 'vars', 'serial', 'max_fail_percentage', 'become'];
const ROLE_REF_KEYS = ['role', 'vars', 'tags', 'when'];
/** Keys of an Ansible role entry that are keywords, not role parameters. */
const ANSIBLE_REF_REFUSED = ['become', 'become_user', 'delegate_to', 'environment', 'no_log', 'ignore_errors', 'any_errors_fatal'];

/** Play keys only Ansible's format has: a playbook using one is read as Ansible's. */
const ANSIBLE_PLAY_KEYS = [
  'pre_tasks',
  'post_tasks',
  'gather_facts',
  'become_user',
  'vars_files',
  'any_errors_fatal',
  'import_playbook',
  'ansible.builtin.import_playbook',
];
const ANSIBLE_ONLY_PLAY_KEYS = ['pre_tasks', 'post_tasks', 'gather_facts', 'become_user', 'vars_files', 'any_errors_fatal'];
const IMPORT_PLAYBOOK = ['import_playbook', 'ansible.builtin.import_playbook'];
/** Play keywords of Ansible fleet does not run, with what to do instead. */
const REFUSED_PLAY_KEYS: Record<string, string> = {
  strategy: 'fleet runs each host through the play on its own (like strategy: free with barriers where tasks read other hosts)',
  environment: 'not supported on a play',
  vars_prompt: 'pass the values with -e',
  tags: 'put the tags on the roles or tasks',
  connection: 'fleet connects over SSH only',
  order: 'fleet runs hosts in inventory order',
  collections: 'fleet maps ansible.builtin and ansible.posix names itself',
  module_defaults: 'not supported',
  force_handlers: 'not supported',
  remote_user: 'set ansible_user in the inventory',
  port: 'set ansible_port in the inventory',
};

export function loadPlaybook(file: string, opts: { rolesPath?: string[] } = {}): Playbook {
  const path = resolve(file);
  const dir = dirname(path);
  const cfg = findAnsibleCfg(dir);
  const defaults = [...ansibleRolesPath(cfg), join(dir, '..', 'roles'), join(dir, 'roles'), resolve('roles')];
  const rolesPath = (opts.rolesPath ? [...opts.rolesPath, ...ansibleRolesPath(cfg)] : defaults).map((p) => resolve(dir, p));
  const roles = new Map<string, Role>(); // one Role object per directory, shared by plays
  const warnings: string[] = [];
  const plays = readPlays(path, { dir, rolesPath, roles, ansible: !!cfg, includedHandlers: new Map() }, warnings, [path]);
  warnings.push(...[...roles.values()].flatMap((r) => r.warnings ?? []));
  return warnings.length ? { file: path, plays, warnings } : { file: path, plays };
}

function readPlays(path: string, base: Ctx, warnings: string[], stack: string[]): Play[] {
  const yf = readYaml(path);
  warnings.push(...yf.warnings);
  const root = yf.doc.contents;
  if (!isSeq(root)) throw errAt(yf, root, `expected a list of plays (each "- hosts: ..."), got ${kindOf(yf, root)}`);
  // A playbook next to an ansible.cfg, or one using a play key only Ansible has, is Ansible's format.
  const ansible = base.ansible || root.items.some((n) => isMap(n) && entries(yf, n).some((e) => ANSIBLE_PLAY_KEYS.includes(e.key)));
  const ctx: Ctx = { ...base, dir: dirname(path), ansible };
  return root.items.flatMap((n) => {
    const imp = isMap(n) ? entries(yf, n).find((e) => IMPORT_PLAYBOOK.includes(e.key)) : undefined;
    if (!imp) return [readPlay(yf, n, ctx)];
    for (const e of entries(yf, n as YAMLMap))
      if (e.key !== imp.key && e.key !== 'name')
        throw errAt(yf, e.keyNode, `'${e.key}' on import_playbook is not supported (fleet takes the file name only)`);
    const name = toJS(yf, imp.value);
    if (typeof name !== 'string' || name.trim() === '' || name.includes('{{'))
      throw errAt(yf, imp.value, `import_playbook expects a file name (no variables), got ${kindOf(yf, imp.value)}`);
    const target = resolve(ctx.dir, name);
    if (!existsSync(target)) throw errAt(yf, imp.value, `import_playbook: file not found: ${target}`);
    if (stack.includes(target)) throw errAt(yf, imp.value, `import_playbook imports ${target} again: ${[...stack, target].join(' -> ')}`);
    return readPlays(target, ctx, warnings, [...stack, target]);
  });
}

interface Ctx {
  dir: string;
  rolesPath: string[];
  roles: Map<string, Role>;
  /** Read in Ansible's format: Ansible's modules and keywords, `block:` the keyword. */
  ansible: boolean;
  /** Handlers of the roles a role includes (include_role), per role expanded. */
  includedHandlers: Map<Role, Handler[]>;
}

function readPlay(yf: YamlFile, node: unknown, ctx: Ctx): Play {
  if (!isMap(node)) throw errAt(yf, node, `expected a play: a mapping with hosts and roles or tasks, got ${kindOf(yf, node)}`);
  const all = entries(yf, node);
  const keys = ctx.ansible ? [...PLAY_KEYS, ...ANSIBLE_ONLY_PLAY_KEYS] : PLAY_KEYS;
  for (const e of all) {
    if (ctx.ansible && REFUSED_PLAY_KEYS[e.key])
      throw errAt(yf, e.keyNode, `play key '${e.key}' is not supported by fleet: ${REFUSED_PLAY_KEYS[e.key]}`);
    if (!keys.includes(e.key)) throw errAt(yf, e.keyNode, `unknown key '${e.key}' in play (allowed: ${keys.join(', ')})`);
  }
  const get = (k: string): Entry | undefined => all.find((e) => e.key === k);
  const hostsE = get('hosts');
  if (!hostsE) throw errAt(yf, node, 'play has no \'hosts\': expected a host pattern like "all" or "web"');
  const hosts = readHosts(yf, hostsE.value);

  const nameE = get('name');
  let name = hosts;
  if (nameE && !isNullNode(nameE.value)) {
    const v = toJS(yf, nameE.value);
    if (typeof v !== 'string') throw errAt(yf, nameE.value, `'name' must be a string, got ${kindOf(yf, nameE.value)}`);
    name = v;
  }

  const owner = { role: '', tasksDir: ctx.dir };
  const tasksOf = (k: string): Task[] =>
    ctx.ansible
      ? (parseAnsibleTasks(yf, get(k)?.value, owner, `play ${k}`) as Task[])
      : parseTasks(yf, get(k)?.value, { role: '' }, `play ${k}`);
  const play: Play = {
    name,
    hosts,
    roles: readRoleRefs(yf, get('roles'), ctx),
    tasks: tasksOf('tasks'),
    handlers: ctx.ansible
      ? (parseAnsibleTasks(yf, get('handlers')?.value, owner, 'play handlers', true) as Handler[])
      : parseHandlers(yf, get('handlers')?.value, { role: '' }, 'play handlers'),
    vars: { ...readVarsMap(yf, get('vars'), 'play vars'), ...readVarsFiles(yf, get('vars_files'), ctx) },
    source: sourceOf(yf, node),
    hostsSource: sourceOf(yf, hostsE.value),
  };
  if (ctx.ansible) {
    const pre = tasksOf('pre_tasks');
    const post = tasksOf('post_tasks');
    // Ansible runs the handlers notified so far after pre_tasks and before post_tasks.
    if (pre.length) play.preTasks = [...pre, implicitFlush(yf, get('pre_tasks'), 'after pre_tasks')];
    if (post.length) play.tasks.push(implicitFlush(yf, get('post_tasks'), 'before post_tasks'), ...post);
    const aef = get('any_errors_fatal');
    if (aef && !isNullNode(aef.value)) {
      const b = toBool(toJS(yf, aef.value));
      if (b === undefined) throw errAt(yf, aef.value, `'any_errors_fatal' must be true or false, got ${kindOf(yf, aef.value)}`);
      play.anyErrorsFatal = b;
    }
    const bu = get('become_user');
    if (bu && toJS(yf, bu.value) !== 'root')
      throw errAt(yf, bu.value, "play 'become_user' other than root is not supported yet: fleet becomes root only");
  }
  const serial = readSerial(yf, get('serial')?.value);
  if (serial) play.serial = serial;
  const mfp = readMaxFail(yf, get('max_fail_percentage')?.value);
  if (mfp !== undefined) play.maxFailPercentage = mfp;
  const becomeE = get('become');
  if (becomeE && !isNullNode(becomeE.value)) {
    const b = toBool(toJS(yf, becomeE.value));
    if (b === undefined) throw errAt(yf, becomeE.value, `'become' must be true or false, got ${kindOf(yf, becomeE.value)}`);
    play.become = b;
  }
  expandIncludedRoles(play, ctx);
  checkNotify(play);
  return play;
}

/** include_role/import_role in the play's tasks and in its roles' tasks (once per role: the
 * expansion does not depend on who lists the role); the included roles' handlers join the play's. */
function expandIncludedRoles(play: Play, ctx: Ctx): void {
  const find = (name: string, at: Source) => findRoleByName(name, at, ctx);
  const handlers: Handler[] = [];
  for (const ref of play.roles) {
    let extra = ctx.includedHandlers.get(ref.role);
    if (!extra) {
      const x = expandRoleIncludes(ref.role.tasks, find, [ref.role.dir]);
      ref.role.tasks = x.tasks;
      extra = x.handlers;
      ctx.includedHandlers.set(ref.role, extra);
    }
    handlers.push(...extra);
  }
  for (const k of ['preTasks', 'tasks'] as const) {
    const list = play[k];
    if (!list) continue;
    const x = expandRoleIncludes(list, find);
    play[k] = x.tasks;
    handlers.push(...x.handlers);
  }
  // A handler already in the play (its role is listed in roles, or included twice) runs once.
  const at = (h: Handler) => `${h.source.file}:${h.source.line}:${h.source.column}`;
  const seen = new Set([...play.roles.flatMap((r) => r.role.handlers), ...play.handlers].map(at));
  for (const h of handlers) {
    if (seen.has(at(h))) continue;
    seen.add(at(h));
    play.handlers.push(h);
  }
}

/** vars_files: YAML mappings next to the playbook, above the play's vars (as in Ansible). */
function readVarsFiles(yf: YamlFile, e: Entry | undefined, ctx: Ctx): Vars {
  if (!e || isNullNode(e.value)) return {};
  const items = isSeq(e.value) ? e.value.items : [e.value];
  const out: Vars = {};
  for (const n of items) {
    const name = toJS(yf, n);
    if (typeof name !== 'string' || name.includes('{{'))
      throw errAt(yf, n, `vars_files: expected a file name (no variables; a list of alternatives is not supported), got ${kindOf(yf, n)}`);
    const file = resolve(ctx.dir, name);
    if (!existsSync(file)) throw errAt(yf, n, `vars_files: file not found: ${file}`);
    const vf = readYaml(file);
    const d = vf.doc.contents;
    if (isNullNode(d)) continue;
    if (!isMap(d)) throw errAt(vf, d, `expected a mapping of variables, got ${kindOf(vf, d)}`);
    Object.assign(out, toJS(vf, d) as Vars);
  }
  return out;
}

/** The handler run Ansible makes between pre_tasks, roles and tasks, and post_tasks: a
 * meta: flush_handlers task in the program (tagged always: it runs whatever --tags selects). */
function implicitFlush(yf: YamlFile, e: Entry | undefined, when: string): Task {
  const source = sourceOf(yf, e?.keyNode);
  return { name: `run notified handlers (${when}, as Ansible does)`, module: FLUSH_HANDLERS, params: {}, notify: [], tags: ['always'], loopVar: 'item', ignoreErrors: false, runOnce: false, role: '', source };
}

function readVarsMap(yf: YamlFile, e: Entry | undefined, what: string): Vars {
  if (!e || isNullNode(e.value)) return {};
  if (!isMap(e.value)) throw errAt(yf, e.value, `${what}: expected a mapping of variables, got ${kindOf(yf, e.value)}`);
  return toJS(yf, e.value) as Vars;
}

function readRoleRefs(yf: YamlFile, e: Entry | undefined, ctx: Ctx): RoleRef[] {
  const refs = readRoleRefsAsWritten(yf, e, ctx);
  if (!refs.some((r) => r.role.dependencies?.length)) return refs;
  const out: RoleRef[] = [];
  const seen = new Set<string>();
  for (const r of refs) withDependencies(r, ctx, out, seen, [r.role.dir]);
  return out;
}

/** Ansible runs a role's meta dependencies before it, each once per play for the same
 * parameters (a role listed again with the same parameters does not run again). */
function withDependencies(ref: RoleRef, ctx: Ctx, out: RoleRef[], seen: Set<string>, stack: string[]): void {
  for (const d of ref.role.dependencies ?? []) {
    const role = findRoleByName(d.name, d.source, ctx);
    if (stack.includes(role.dir))
      throw new ConfigError(d.source.file, d.source.line, d.source.column, `role dependency cycle: ${[...stack, role.dir].join(' -> ')}`);
    const dep: RoleRef = { role, vars: d.vars, tags: [...d.tags, ...ref.tags] };
    const when = [ref.when, d.when].filter((w): w is string | boolean => w !== undefined);
    if (when.length) dep.when = when.length === 1 ? when[0] : when.map((w) => `(${String(w)})`).join(' and ');
    const key = `${role.dir}\0${JSON.stringify(d.vars)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    withDependencies(dep, ctx, out, seen, [...stack, role.dir]);
  }
  out.push(ref);
}

function readRoleRefsAsWritten(yf: YamlFile, e: Entry | undefined, ctx: Ctx): RoleRef[] {
  if (!e || isNullNode(e.value)) return [];
  if (!isSeq(e.value))
    throw errAt(yf, e.value, `'roles' must be a list of role names or {role, vars, tags, when}, got ${kindOf(yf, e.value)}`);
  return e.value.items.map((n) => {
    if (isMap(n)) {
      const all = entries(yf, n);
      // Ansible: any other key of the entry is a role parameter (`- { role: ntp, ntp_area: de }`).
      const params: Vars = {};
      for (const x of all) {
        if (ROLE_REF_KEYS.includes(x.key) || (ctx.ansible && x.key === 'name')) continue;
        if (ctx.ansible && ANSIBLE_REF_REFUSED.includes(x.key))
          throw errAt(yf, x.keyNode, `'${x.key}' on a role entry is not supported by fleet`);
        if (ctx.ansible) params[x.key] = toJS(yf, x.value);
        else throw errAt(yf, x.keyNode, `unknown key '${x.key}' in role entry (allowed: ${ROLE_REF_KEYS.join(', ')})`);
      }
      const get = (k: string) =>
        all.find((x) => x.key === k) ?? (ctx.ansible && k === 'role' ? all.find((x) => x.key === 'name') : undefined);
      const roleE = get('role');
      if (!roleE) throw errAt(yf, n, "role entry has no 'role': expected {role: NAME, vars: {...}}");
      const role = findRole(yf, roleE.value, ctx);
      const vars = { ...readVarsMap(yf, get('vars'), `role '${role.name}' vars`), ...params };
      const varsE = get('vars');
      if (varsE && isMap(varsE.value)) {
        // Names are checked now (a typo would silently fall back to the default); values
        // may be templates and are validated by the engine after rendering.
        checkAgainstSchema({
          yf,
          schema: role.varsSchema,
          data: vars,
          node: varsE.value,
          ownerNode: varsE.keyNode,
          what: `role '${role.name}'`,
          noun: 'variable',
          reportRequired: false,
        });
      }
      const ref: RoleRef = { role, vars, tags: stringList(yf, get('tags'), 'tags', 'a tag or a list of tags').values };
      const whenE = get('when');
      if (whenE && !isNullNode(whenE.value)) {
        const w = toJS(yf, whenE.value);
        if (typeof w !== 'string' && typeof w !== 'boolean')
          throw errAt(yf, whenE.value, `'when' must be a condition string or true/false, got ${kindOf(yf, whenE.value)}`);
        ref.when = w;
      }
      return ref;
    }
    return { role: findRole(yf, n, ctx), vars: {}, tags: [] };
  });
}

function findRoleByName(name: string, at: Source, ctx: Ctx): Role {
  const candidates = name.includes('/')
    ? [isAbsolute(name) ? name : resolve(dirname(at.file), name)]
    : ctx.rolesPath.map((p) => join(p, name));
  const dir = candidates.find((c) => existsSync(c));
  if (!dir) throw new ConfigError(at.file, at.line, at.column, `role '${name}' not found (looked in: ${candidates.join(', ')})`);
  let role = ctx.roles.get(dir);
  if (!role) {
    role = loadRole(dir);
    ctx.roles.set(dir, role);
  }
  return role;
}

function findRole(yf: YamlFile, node: unknown, ctx: Ctx): Role {
  const name = toJS(yf, node);
  if (typeof name !== 'string' || name.trim() === '') throw errAt(yf, node, `expected a role name, got ${kindOf(yf, node)}`);
  // A name with a slash is a path from the playbook's directory; otherwise search rolesPath.
  const candidates = name.includes('/') ? [isAbsolute(name) ? name : resolve(ctx.dir, name)] : ctx.rolesPath.map((p) => join(p, name));
  const dir = candidates.find((c) => existsSync(c));
  if (!dir) {
    const available = [...new Set(ctx.rolesPath.flatMap((p) => (existsSync(p) ? readdirSync(p) : [])))].sort();
    throw errAt(yf, node, `role '${name}' not found (looked in: ${candidates.join(', ')}; roles there: ${available.join(', ') || 'none'})`);
  }
  let role = ctx.roles.get(dir);
  if (!role) {
    role = loadRole(dir);
    ctx.roles.set(dir, role);
  }
  return role;
}

/** Every notify must name a handler of this play (play handlers or its roles' handlers,
 * by name or listen). Handlers may notify handlers too. */
function checkNotify(play: Play): void {
  const handlers: Handler[] = [...play.roles.flatMap((r) => r.role.handlers), ...play.handlers];
  const names = new Set(handlers.flatMap((h) => h.listen));
  const tasks: Task[] = [...(play.preTasks ?? []), ...play.roles.flatMap((r) => r.role.tasks), ...play.tasks, ...handlers];
  for (const t of tasks) {
    t.notify.forEach((n, i) => {
      if (names.has(n)) return;
      const s = notifySourcesOf(t)[i] ?? t.source;
      throw new ConfigError(
        s.file,
        s.line,
        s.column,
        `notify '${n}' names no handler of play '${play.name}' (handlers: ${[...names].map((x) => `'${x}'`).join(', ') || 'none'})`,
      );
    });
  }
}
