// loadPlaybook: a YAML list of plays -> Playbook, with roles loaded and everything validated.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../model/errors.js';
import type { Handler, Play, Playbook, RoleRef, Role, Task } from '../model/playbook.js';
import type { Vars } from '../model/inventory.js';
import { toBool } from './connection.js';
import { readHosts, readMaxFail, readSerial } from './play-fields.js';
import { loadRole } from './role.js';
import { checkAgainstSchema } from './schema-check.js';
import { notifySourcesOf, parseHandlers, parseTasks, stringList } from './task.js';
import { entries, errAt, isMap, isNullNode, isSeq, kindOf, readYaml, sourceOf, toJS } from './yaml-source.js';
import type { Entry, YamlFile } from './yaml-source.js';

export const PLAY_KEYS = ['name', 'hosts', 'roles', 'tasks', 'handlers', 'vars', 'serial', 'max_fail_percentage', 'become'];
const ROLE_REF_KEYS = ['role', 'vars', 'tags', 'when'];

export function loadPlaybook(file: string, opts: { rolesPath?: string[] } = {}): Playbook {
  const path = resolve(file);
  const yf = readYaml(path);
  const dir = dirname(path);
  const rolesPath = (opts.rolesPath ?? [join(dir, '..', 'roles'), join(dir, 'roles'), resolve('roles')]).map((p) => resolve(dir, p));
  const roles = new Map<string, Role>(); // one Role object per directory, shared by plays
  const root = yf.doc.contents;
  if (!isSeq(root)) throw errAt(yf, root, `expected a list of plays (each "- hosts: ..."), got ${kindOf(yf, root)}`);
  const plays = root.items.map((n) => readPlay(yf, n, { dir, rolesPath, roles }));
  const warnings = [...yf.warnings, ...[...roles.values()].flatMap((r) => r.warnings ?? [])];
  return warnings.length ? { file: path, plays, warnings } : { file: path, plays };
}

interface Ctx {
  dir: string;
  rolesPath: string[];
  roles: Map<string, Role>;
}

function readPlay(yf: YamlFile, node: unknown, ctx: Ctx): Play {
  if (!isMap(node)) throw errAt(yf, node, `expected a play: a mapping with hosts and roles or tasks, got ${kindOf(yf, node)}`);
  const all = entries(yf, node);
  for (const e of all) {
    if (!PLAY_KEYS.includes(e.key)) throw errAt(yf, e.keyNode, `unknown key '${e.key}' in play (allowed: ${PLAY_KEYS.join(', ')})`);
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

  const play: Play = {
    name,
    hosts,
    roles: readRoleRefs(yf, get('roles'), ctx),
    tasks: parseTasks(yf, get('tasks')?.value, { role: '' }, 'play tasks'),
    handlers: parseHandlers(yf, get('handlers')?.value, { role: '' }, 'play handlers'),
    vars: readVarsMap(yf, get('vars'), 'play vars'),
    source: sourceOf(yf, node),
    hostsSource: sourceOf(yf, hostsE.value),
  };
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
  checkNotify(play);
  return play;
}

function readVarsMap(yf: YamlFile, e: Entry | undefined, what: string): Vars {
  if (!e || isNullNode(e.value)) return {};
  if (!isMap(e.value)) throw errAt(yf, e.value, `${what}: expected a mapping of variables, got ${kindOf(yf, e.value)}`);
  return toJS(yf, e.value) as Vars;
}

function readRoleRefs(yf: YamlFile, e: Entry | undefined, ctx: Ctx): RoleRef[] {
  if (!e || isNullNode(e.value)) return [];
  if (!isSeq(e.value))
    throw errAt(yf, e.value, `'roles' must be a list of role names or {role, vars, tags, when}, got ${kindOf(yf, e.value)}`);
  return e.value.items.map((n) => {
    if (isMap(n)) {
      const all = entries(yf, n);
      for (const x of all) {
        if (!ROLE_REF_KEYS.includes(x.key))
          throw errAt(yf, x.keyNode, `unknown key '${x.key}' in role entry (allowed: ${ROLE_REF_KEYS.join(', ')})`);
      }
      const get = (k: string) => all.find((x) => x.key === k);
      const roleE = get('role');
      if (!roleE) throw errAt(yf, n, "role entry has no 'role': expected {role: NAME, vars: {...}}");
      const role = findRole(yf, roleE.value, ctx);
      const vars = readVarsMap(yf, get('vars'), `role '${role.name}' vars`);
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
  const tasks: Task[] = [...play.roles.flatMap((r) => r.role.tasks), ...play.tasks, ...handlers];
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
