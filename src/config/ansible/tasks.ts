// Tasks in Ansible's format -> fleet's Task: Ansible module names and parameters mapped onto
// fleet's modules, `block:` (the keyword, not fleet's module), import_tasks/include_tasks
// expanded at load, with_items/with_dict as loop. What fleet cannot do the way Ansible
// documents it is refused here, before any host is contacted, naming file:line:col.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { isMap as yamlIsMap, isScalar as yamlIsScalar, isSeq as yamlIsSeq, type Node } from 'yaml';
import { INCLUDE_ROLE, type BlockFrame, type Condition, type Handler, type IncludeLoop, type Task } from '../../model/playbook.js';
import { parseTask, type TaskOwner } from '../task.js';
import { ConfigError } from '../../model/errors.js';
import { entries, errAt, isMap, isNullNode, isSeq, kindOf, readYaml, sourceOf, toJS } from '../yaml-source.js';
import type { Entry, YamlFile } from '../yaml-source.js';
import { getModule } from '../../modules/index.js';
import { parseKv } from './kv.js';
import { ANSIBLE_MODULES, MODULE, UNSUPPORTED_MODULES, ansibleModuleName } from './modules.js';

/** Keys fleet's task parser takes as they are. */
const PASSED = [
  'name',
  'when',
  'notify',
  'tags',
  'register',
  'loop',
  'become',
  'ignore_errors',
  'run_once',
  'changed_when',
  'failed_when',
  'listen',
];
/** Ansible keywords fleet does not run (yet), with what to do instead. */
const REFUSED_KEYWORDS: Record<string, string> = {
  delegate_facts: 'not supported',
  async: 'fleet runs every task to completion',
  poll: 'fleet runs every task to completion',
  throttle: "use the play's serial or --forks",
  collections: 'fleet maps ansible.builtin and ansible.posix names itself',
  module_defaults: 'not supported',
  debugger: 'not supported',
  connection: 'fleet connects over SSH only',
  with_first_found: 'not supported yet: name the file',
  with_together: 'use loop with the zip filter',
  with_nested: 'use loop with the product filter',
  with_sequence: 'use loop with range()',
  with_subelements: 'use loop with the subelements filter',
  with_indexed_items: 'not supported',
  with_lines: 'not supported',
  include: 'use import_tasks',
};
const ROLE_INCLUDES = ['import_role', 'include_role', 'ansible.builtin.import_role', 'ansible.builtin.include_role'];
const INCLUDES = ['import_tasks', 'include_tasks', 'ansible.builtin.import_tasks', 'ansible.builtin.include_tasks'];
/** Keywords a block or an import carries to each of its tasks (as Ansible does). */
const INHERITED = ['name', 'when', 'tags', 'become', 'become_user', 'ignore_errors', 'run_once', 'vars', 'no_log', 'environment', 'diff', 'check_mode', 'any_errors_fatal', 'delegate_to'];
/** Task keywords read here rather than by fleet's task parser. */
const OWN_KEYWORDS = ['delegate_to', 'any_errors_fatal', 'until', 'retries', 'delay', 'args', 'with_items', 'with_list', 'with_dict', 'with_fileglob', 'loop_control', 'check_mode', 'diff', 'become_user', 'vars', 'no_log', 'environment'];

export interface AnsibleOwner extends TaskOwner {
  /** Directory include_tasks/import_tasks paths are relative to (a role's tasks/). */
  tasksDir: string;
  /** Reads a YAML file (the role's reader keeps its warnings). */
  read?: (file: string) => YamlFile;
  /** Files being included, outermost first: an include of one of them is a cycle. */
  stack?: string[];
}

export function parseAnsibleTasks(yf: YamlFile, node: unknown, owner: AnsibleOwner, what: string, handler = false): (Task | Handler)[] {
  if (isNullNode(node)) return [];
  if (!isSeq(node)) throw errAt(yf, node, `${what}: expected a list of tasks, got ${kindOf(yf, node)}`);
  return node.items.flatMap((n) => ansibleTask(yf, n, owner, handler));
}

function ansibleTask(yf: YamlFile, node: unknown, owner: AnsibleOwner, handler: boolean): (Task | Handler)[] {
  const kind = handler ? 'handler' : 'task';
  if (!isMap(node)) throw errAt(yf, node, `expected a ${kind}: a mapping with one module, got ${kindOf(yf, node)}`);
  const written = localAction(yf, entries(yf, node));
  const all = written.filter((e) => !controllerDelegation(yf, e, written));
  for (const e of all) {
    const hint = REFUSED_KEYWORDS[e.key];
    if (hint) throw errAt(yf, e.keyNode, `'${e.key}' is not supported by fleet: ${hint}`);
  }
  const block = all.find((e) => e.key === 'block' || e.key === 'ansible.builtin.block');
  const rescue = all.find((e) => e.key === 'rescue');
  const always = all.find((e) => e.key === 'always');
  if (!block && (rescue || always)) {
    const e = (rescue ?? always)!;
    throw errAt(yf, e.keyNode, `'${e.key}' without 'block': a ${e.key} section belongs to a block (block: [...] ${e.key}: [...])`);
  }
  if (block) {
    if (handler && (rescue || always)) {
      const e = (rescue ?? always)!;
      throw errAt(yf, e.keyNode, `'${e.key}' in a handler's block is not supported by fleet: make the handler's command safe with failed_when`);
    }
    checkOnly(yf, all, [block.key, 'rescue', 'always', ...INHERITED], 'block');
    const at = sourceOf(yf, block.keyNode);
    const frame = { id: `${at.file}:${at.line ?? 0}:${at.column ?? 0}#${++blockSeq}`, hasRescue: !!rescue, hasAlways: !!always };
    const part = (e: Entry | undefined, name: BlockFrame['part']) =>
      e ? parseAnsibleTasks(yf, e.value, owner, name, handler).map((t) => inBlock(t, { ...frame, part: name })) : [];
    const inner = [...part(block, 'block'), ...part(rescue, 'rescue'), ...part(always, 'always')];
    return inner.map((t) => inherit(yf, t, all.filter((e) => e.key !== 'rescue' && e.key !== 'always')));
  }
  const roleInc = all.find((e) => ROLE_INCLUDES.includes(e.key));
  if (roleInc) {
    if (handler) throw errAt(yf, roleInc.keyNode, `'${roleInc.key}' in handlers is not supported: list the role in the play's roles`);
    checkOnly(yf, all, [roleInc.key, ...ROLE_INCLUDE_INHERITED], roleInc.key);
    return [inherit(yf, roleIncludeTask(yf, roleInc, all, owner), all)];
  }
  const inc = all.find((e) => INCLUDES.includes(e.key));
  if (inc) {
    if (handler) throw errAt(yf, inc.keyNode, `'${inc.key}' in handlers is not supported: list the handlers`);
    const loopE = all.find((e) => INCLUDE_LOOPS.includes(e.key));
    const lc = all.find((e) => e.key === 'loop_control');
    checkOnly(yf, all, [inc.key, ...INHERITED, ...(loopE ? [loopE.key, 'loop_control'] : [])], inc.key);
    if (loopE && !inc.key.endsWith('include_tasks'))
      throw errAt(yf, loopE.keyNode, `'${loopE.key}' on ${inc.key} is not supported (Ansible refuses it too): use include_tasks`);
    const outer = all.filter((e) => e !== loopE && e !== lc);
    const tasks = included(yf, inc, owner).map((t) => inherit(yf, t, outer));
    return loopE ? includeLoop(yf, inc, loopE, lc, outer, tasks) : tasks;
  }
  const task = parseTask(yf, node, owner, handler, translate(yf, node, all, kind, owner));
  const indexVar = indexVarOf(yf, all);
  if (indexVar) task.indexVar = indexVar;
  Object.assign(task, retriesOf(yf, all));
  const cm = all.find((e) => e.key === 'check_mode');
  if (cm && truthyWord(yf, cm)) task.checkMode = true;
  return [inherit(yf, task, all.filter((e) => ['vars', 'no_log', 'environment', 'become_user', 'diff', 'any_errors_fatal', 'delegate_to'].includes(e.key)))];
}

/** What an include_role/import_role may carry to the role's tasks (become_user and environment
 * reach only command and shell tasks: put them there). */
const ROLE_INCLUDE_INHERITED = ['name', 'when', 'tags', 'become', 'ignore_errors', 'vars', 'no_log', 'diff', 'check_mode', 'any_errors_fatal'];
/** include_role/import_role options fleet takes; the others are refused with what to do. */
const ROLE_INCLUDE_OPTIONS = ['name', 'tasks_from', 'vars_from', 'defaults_from', 'handlers_from', 'allow_duplicates', 'public', 'rolespec_validate'];

/** Loops an include_tasks may have (import_tasks is static: Ansible refuses a loop on it). */
const INCLUDE_LOOPS = ['loop', 'with_items', 'with_list', 'with_dict'];
let includeSeq = 0;

/** include_tasks with a loop: each included task carries the loop; the engine lays out a copy
 * of them per item before contact (engine/include-loops.ts). */
function includeLoop(yf: YamlFile, inc: Entry, loopE: Entry, lc: Entry | undefined, outer: Entry[], tasks: (Task | Handler)[]): (Task | Handler)[] {
  if (lc) loopControl(yf, lc);
  const lcMap = lc && isMap(lc.value) ? (toJS(yf, lc.value) as Record<string, unknown>) : {};
  const loopVar = typeof lcMap.loop_var === 'string' ? lcMap.loop_var : 'item';
  const indexVar = indexVarOf(yf, lc ? [...outer, lc] : outer);
  const whenE = outer.find((e) => e.key === 'when');
  const w = whenE ? toJS(yf, whenE.value) : undefined;
  const at = sourceOf(yf, inc.keyNode);
  const nameE = outer.find((e) => e.key === 'name');
  const frame: IncludeLoop = {
    id: `${at.file}:${at.line ?? 0}:${at.column ?? 0}#${++includeSeq}`,
    name: nameE ? String(toJS(yf, nameE.value)) : `${inc.key}`,
    loop: loopE.key === 'loop' ? toJS(yf, loopE.value) : loopOf(yf, loopE),
    loopVar,
    ...(indexVar ? { indexVar } : {}),
    when: w === undefined || w === null ? [] : ((Array.isArray(w) ? w : [w]) as (string | boolean)[]),
    blocksInside: 0,
    source: sourceOf(yf, loopE.keyNode),
  };
  return tasks.map((t) => {
    if (t.includeLoop) throw errAt(yf, loopE.keyNode, `a looped ${inc.key} inside another looped include_tasks (${t.includeLoop.source.file}:${t.includeLoop.source.line ?? 0}) is not supported: loop over the tasks inside`);
    const out = { ...t, includeLoop: { ...frame, blocksInside: t.blocks?.length ?? 0 } };
    if (asUserDone.has(t)) asUserDone.add(out);
    return out;
  });
}

/** include_role / import_role: a placeholder task the playbook loader replaces with the role's
 * tasks (it knows roles_path); read at load either way, so both run as Ansible's import does. */
function roleIncludeTask(yf: YamlFile, e: Entry, all: Entry[], owner: AnsibleOwner): Task {
  if (!isMap(e.value)) throw errAt(yf, e.value ?? e.keyNode, `'${e.key}' expects a mapping with 'name' (and tasks_from, vars_from...), got ${kindOf(yf, e.value)}`);
  const params: Record<string, string | boolean> = {};
  for (const x of entries(yf, e.value)) {
    const v = toJS(yf, x.value);
    if (x.key === 'apply') throw errAt(yf, x.keyNode, `'${e.key}': 'apply' is not supported by fleet: put the keywords on the ${e.key} itself (fleet carries them to each task)`);
    if (!ROLE_INCLUDE_OPTIONS.includes(x.key)) throw errAt(yf, x.keyNode, `'${e.key}': unknown option '${x.key}' (fleet takes: ${ROLE_INCLUDE_OPTIONS.join(', ')})`);
    if (x.key === 'allow_duplicates' || x.key === 'rolespec_validate') {
      if (v !== true && v !== 'yes' && v !== 'true') throw errAt(yf, x.value, `'${e.key}': '${x.key}: ${String(v)}' is not supported (fleet runs the role each time it is included and checks no argument spec)`);
      continue;
    }
    if (x.key === 'public') {
      if (v !== false && v !== 'no' && v !== 'false') throw errAt(yf, x.value, `'${e.key}': 'public: ${String(v)}' is not supported: the role's variables are seen by its own tasks only; set the variable in the play's vars`);
      continue;
    }
    if (typeof v !== 'string' || v.trim() === '') throw errAt(yf, x.value, `'${e.key}': '${x.key}' expects a name, got ${kindOf(yf, x.value)}`);
    if (v.includes('{{') || v.includes('{%'))
      throw errAt(yf, x.value, `'${e.key}': '${x.key}' from a variable is not supported (fleet reads every role before contact): write the name`);
    params[x.key] = v.trim();
  }
  if (!params.name) throw errAt(yf, e.value, `'${e.key}' has no 'name': expected the role's name`);
  const nameE = all.find((x) => x.key === 'name');
  const at = sourceOf(yf, e.keyNode);
  return {
    name: nameE ? String(toJS(yf, nameE.value)) : `${e.key}: ${params.name}`,
    module: INCLUDE_ROLE,
    params,
    notify: [],
    tags: [],
    loopVar: 'item',
    ignoreErrors: false,
    runOnce: false,
    role: owner.role,
    ...(owner.roleDir ? { roleDir: owner.roleDir } : {}),
    source: at,
  };
}

/** Modules Ansible runs on the controller whatever the host: delegating them to localhost
 * changes nothing (their facts still go to the host, as without delegate_facts). */
const ON_CONTROLLER = ['debug', 'set_fact', 'assert', 'fail', 'include_vars'];
const LOCALHOST = ['localhost', '127.0.0.1', '::1'];
/** The same modules under fleet's names (after translation). */
const ON_CONTROLLER_FLEET = ['debug', 'set_fact', 'assert', 'fail', 'include_vars'];

/** A block's or import's `delegate_to: localhost` reaching such a module: no effect either. */
function onControllerAnyway(yf: YamlFile, e: Entry, t: Task | Handler): boolean {
  const to = toJS(yf, e.value);
  return typeof to === 'string' && LOCALHOST.includes(to.trim()) && ON_CONTROLLER_FLEET.includes(t.module);
}

/** `delegate_to: localhost` on such a module: dropped, as it has no effect. */
function controllerDelegation(yf: YamlFile, e: Entry, all: Entry[]): boolean {
  if (e.key !== 'delegate_to') return false;
  const to = toJS(yf, e.value);
  if (typeof to !== 'string' || !LOCALHOST.includes(to.trim())) return false;
  return all.some((x) => {
    const m = ansibleModuleName(x.key);
    return m?.known === true && ON_CONTROLLER.includes(m.short);
  });
}

/** local_action: MODULE ARGS (or {module: MODULE, ...}) is Ansible's shorthand for the module
 * with delegate_to: localhost: rewritten so. */
function localAction(yf: YamlFile, all: Entry[]): Entry[] {
  const la = all.find((e) => e.key === 'local_action' || e.key === 'ansible.builtin.local_action');
  if (!la) return all;
  if (all.some((e) => e.key === 'delegate_to')) throw errAt(yf, la.keyNode, `'${la.key}' with 'delegate_to': use one of them`);
  const v = toJS(yf, la.value);
  let module: string;
  let params: unknown;
  if (typeof v === 'string' && v.trim() !== '') {
    const m = /^\s*(\S+)\s*(.*)$/s.exec(v)!;
    module = m[1];
    params = m[2] === '' ? null : m[2];
  } else if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as Record<string, unknown>).module === 'string') {
    const { module: name, ...rest } = v as Record<string, unknown>;
    module = name as string;
    params = rest;
  } else throw errAt(yf, la.value ?? la.keyNode, `'${la.key}' expects "MODULE ARGS" or {module: MODULE, ...}, got ${kindOf(yf, la.value)}`);
  const at = (la.value as Node | undefined) ?? (la.keyNode as Node | undefined);
  return [
    ...all.filter((e) => e !== la),
    { key: module, keyNode: la.keyNode, value: nodeAt(yf, params, at) },
    { key: 'delegate_to', keyNode: la.keyNode, value: nodeAt(yf, 'localhost', at) },
  ];
}

/** Numbers each block read: a file included twice gives two blocks, each with its own state. */
let blockSeq = 0;

/** The task, inside one more block (the outermost comes first). */
function inBlock(t: Task | Handler, frame: BlockFrame): Task | Handler {
  const out = { ...t, blocks: [frame, ...(t.blocks ?? [])] };
  if (asUserDone.has(t)) asUserDone.add(out);
  return out;
}

/** A block or include may carry only the keywords fleet passes on to its tasks. */
function checkOnly(yf: YamlFile, all: Entry[], allowed: string[], what: string): void {
  for (const e of all) {
    if (!allowed.includes(e.key))
      throw errAt(yf, e.keyNode, `'${e.key}' on a ${what} is not supported (allowed there: ${allowed.slice(1).join(', ')})`);
  }
}

function included(yf: YamlFile, inc: Entry, owner: AnsibleOwner): (Task | Handler)[] {
  let v = toJS(yf, inc.value);
  if (isMap(inc.value)) {
    const m = v as Record<string, unknown>;
    const bad = Object.keys(m).find((k) => k !== 'file');
    if (bad) throw errAt(yf, inc.value, `'${inc.key}': only 'file' is supported here, got '${bad}'`);
    v = m.file;
  }
  if (typeof v !== 'string' || v.trim() === '')
    throw errAt(yf, inc.value, `'${inc.key}' expects a file name, got ${kindOf(yf, inc.value)}`);
  if (v.includes('{%') || (v.includes('{{') && dirname(v).includes('{{')))
    throw errAt(
      yf,
      inc.value,
      `'${inc.key}': a file name built with {% %} or a directory from variables is not supported (fleet reads every task before contact): use {{ }} in the file name only`,
    );
  if (v.includes('{{')) return chosenAtRun(yf, inc, v, owner);
  const file = isAbsolute(v)
    ? v
    : ([join(owner.tasksDir, v), join(dirname(yf.file), v)].find((f) => existsSync(f)) ?? join(owner.tasksDir, v));
  if (!existsSync(file)) throw errAt(yf, inc.value, `'${inc.key}': file not found: ${file}`);
  const stack = owner.stack ?? [resolve(yf.file)];
  if (stack.includes(resolve(file)))
    throw errAt(yf, inc.value, `'${inc.key}' includes ${file} again: ${[...stack, resolve(file)].join(' -> ')}`);
  const iyf = (owner.read ?? readYaml)(file);
  return parseAnsibleTasks(iyf, iyf.doc.contents, { ...owner, stack: [...stack, resolve(file)] }, file);
}

/** include_tasks: "setup-{{ ansible_os_family }}.yml": the name is known only on the host, so
 * every file it may name (the pattern with each {{ }} as a wildcard) is read now, each task
 * guarded by "the name renders to this file". A candidate fleet cannot read (another OS's
 * yum tasks) becomes a task that fails with that error on a host that picks it; a name that
 * picks no file fails as Ansible's would. */
function chosenAtRun(yf: YamlFile, inc: Entry, v: string, owner: AnsibleOwner): (Task | Handler)[] {
  const expr = v
    .split(/(\{\{.*?\}\})/s)
    .filter((part) => part !== '')
    .map((part) => (part.startsWith('{{') ? `(${part.slice(2, -2).trim()})` : `'${part.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`))
    .join(' ~ ');
  const dirPart = dirname(v);
  const re = globRegex(basename(v).replace(/\{\{.*?\}\}/gs, '*'));
  const dirs = isAbsolute(v) ? [dirPart] : [join(owner.tasksDir, dirPart), join(dirname(yf.file), dirPart)];
  const files = new Map<string, string>();
  for (const d of dirs.filter((x) => existsSync(x)))
    for (const f of readdirSync(d).sort()) if (re.test(f) && !files.has(f)) files.set(f, join(d, f));
  const rendered = (f: string) => (dirPart === '.' ? f : `${dirPart}/${f}`);
  const at = sourceOf(yf, inc.value);
  const base = { notify: [], tags: [], loopVar: 'item', ignoreErrors: false, runOnce: false, role: owner.role, roleDir: owner.roleDir, source: at };
  const names = [...files.keys()].map((f) => `'${rendered(f)}'`).join(', ');
  const out: (Task | Handler)[] = [
    {
      ...base,
      name: `${inc.key}: ${v}`,
      module: 'fail',
      params: { msg: `${inc.key}: {{ ${expr} }} not found (candidates next to ${yf.file}: ${[...files.keys()].join(', ') || 'none'})` },
      when: `(${expr}) not in [${names}]`,
    },
  ];
  const stack = owner.stack ?? [resolve(yf.file)];
  for (const [f, file] of files) {
    const when = `(${expr}) == '${rendered(f)}'`;
    if (stack.includes(resolve(file))) continue; // including itself: never the file it runs from
    let tasks: (Task | Handler)[];
    try {
      const iyf = (owner.read ?? readYaml)(file);
      tasks = parseAnsibleTasks(iyf, iyf.doc.contents, { ...owner, stack: [...stack, resolve(file)] }, file);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      // The error text is shown as written, never rendered as a template.
      const msg = `${rendered(f)} cannot run in fleet: ${err.message.replace(/\{%-? *endraw *-?%\}/g, '')}`;
      out.push({ ...base, name: `${inc.key}: ${rendered(f)}`, module: 'fail', params: { msg: `{% raw %}${msg}{% endraw %}` }, when });
      continue;
    }
    out.push(...tasks.map((t) => ({ ...t, when: andConditions(when, t.when) })));
  }
  return out;
}

/** A block's or import's when/tags/become/ignore_errors, carried to one of its tasks. */
function inherit(yf: YamlFile, t: Task | Handler, outer: Entry[]): Task | Handler {
  const out = { ...t };
  if (asUserDone.has(t)) asUserDone.add(out);
  for (const e of outer) {
    if (isNullNode(e.value)) continue;
    const v = toJS(yf, e.value);
    if (e.key === 'when') out.when = andConditions(v as Condition, t.when);
    else if (e.key === 'tags')
      out.tags = [
        ...new Set([
          ...(Array.isArray(v)
            ? v.map(String)
            : String(v)
                .split(',')
                .map((s) => s.trim())),
          ...t.tags,
        ]),
      ];
    else if (e.key === 'become' && out.become === undefined) out.become = v === true || v === 'yes' || v === 'true';
    else if (e.key === 'become_user') {
      const change = asUser(yf, e, out);
      Object.assign(out, change);
      if (change.params) asUserDone.add(out);
    }
    else if (e.key === 'ignore_errors' && (v === true || v === 'yes' || v === 'true')) out.ignoreErrors = true;
    else if (e.key === 'run_once' && truthyWord(yf, e)) out.runOnce = true;
    else if (e.key === 'vars') out.vars = { ...varsOf(yf, e), ...t.vars };
    // no_log from a variable ("{{ x_no_log }}") hides the output: decided at load, on the safe side.
    else if (e.key === 'no_log') out.noLog = out.noLog || templated(yf, e) || truthyWord(yf, e);
    // The task's own diff: wins over its block's (inherit runs inside out).
    else if (e.key === 'diff' && out.diff === undefined) out.diff = truthyWord(yf, e);
    // any_errors_fatal: the innermost setting wins (a task's false inside a fatal block).
    else if (e.key === 'any_errors_fatal' && out.anyErrorsFatal === undefined) out.anyErrorsFatal = truthyWord(yf, e);
    // check_mode: true (never change, report what would) reaches every task of a block or an
    // include; false there is refused (on a task, checkMode below decides).
    else if (e.key === 'check_mode' && truthyWord(yf, e)) out.checkMode = true;
    else if (e.key === 'check_mode')
      throw errAt(yf, e.value, `'check_mode: false' on a block or an include is not supported (fleet runs only queries in check mode: check_mode: false on a command or shell task with changed_when: false)`);
    else if (e.key === 'environment') out.params = withEnvironment(yf, e, out);
  }
  // After the loop: a block's become may be written after its delegate_to.
  const d = outer.find((e) => e.key === 'delegate_to' && !isNullNode(e.value));
  if (d && out.delegateTo === undefined && !onControllerAnyway(yf, d, out)) delegated(yf, d, out);
  return out;
}

/** delegate_to HOST: a module task (fleet's modules have a probe and an apply) runs its shell on
 * HOST; to localhost (the controller) only without become: fleet does not run sudo on the
 * controller. Controller modules delegated to localhost lost the keyword already. */
function delegated(yf: YamlFile, e: Entry, t: Task | Handler): void {
  const v = toJS(yf, e.value);
  if (typeof v !== 'string' || v.trim() === '') throw errAt(yf, e.value, `'delegate_to' expects a host name, got ${kindOf(yf, e.value)}`);
  if (!getModule(t.module))
    throw errAt(yf, e.keyNode, `'delegate_to' on '${t.name}' (${t.module}) is not supported by fleet: only tasks of host modules (command, shell, file, copy...) can be delegated`);
  if (LOCALHOST.includes(v.trim()) && t.become !== false)
    throw errAt(yf, e.keyNode, `'delegate_to: ${v}' runs on the controller as the user running fleet: add 'become: false' to '${t.name}' (fleet does not run sudo on the controller)`);
  t.delegateTo = v.trim();
}

function templated(yf: YamlFile, e: Entry): boolean {
  const v = toJS(yf, e.value);
  return typeof v === 'string' && /^\s*\{\{.*\}\}\s*$/s.test(v);
}

function truthyWord(yf: YamlFile, e: Entry): boolean {
  const v = toJS(yf, e.value);
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(yes|true|on|no|false|off)$/i.test(v)) return /^(yes|true|on)$/i.test(v);
  throw errAt(yf, e.value, `'${e.key}' expects true or false, got ${kindOf(yf, e.value)}`);
}

/** `vars:` on a task or block: a mapping of names; values stay templates until read. */
function varsOf(yf: YamlFile, e: Entry): Record<string, unknown> {
  if (!isMap(e.value)) throw errAt(yf, e.value ?? e.keyNode, `'vars' expects a mapping of variables, got ${kindOf(yf, e.value)}`);
  for (const x of entries(yf, e.value))
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(x.key)) throw errAt(yf, x.keyNode, `'${x.key}' is not a valid variable name`);
  return toJS(yf, e.value) as Record<string, unknown>;
}

/** `environment:` reaches a command or shell task as its environment parameter (the task's own
 * names win over a block's); other modules run no program of the operator's and take none. */
function withEnvironment(yf: YamlFile, e: Entry, t: Task | Handler): Record<string, unknown> {
  if (t.module !== 'command' && t.module !== 'shell')
    throw errAt(
      yf,
      e.keyNode,
      `'environment' reaches command and shell tasks only in fleet; '${t.name}' (${t.source.file}:${t.source.line ?? 0}) uses ${t.module}: move the environment onto the command tasks`,
    );
  const v = toJS(yf, e.value);
  const own = t.params.environment;
  if (typeof v === 'string') {
    if (own !== undefined) throw errAt(yf, e.value, `'environment' as a template cannot be merged with the task's own environment: give one`);
    return { ...t.params, environment: v };
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw errAt(yf, e.value, `'environment' expects a mapping of names to values, got ${kindOf(yf, e.value)}`);
  if (typeof own === 'string') throw errAt(yf, e.value, `'environment' cannot be merged with a template environment: give one`);
  return { ...t.params, environment: { ...(v as Record<string, unknown>), ...((own as Record<string, unknown> | undefined) ?? {}) } };
}

function andConditions(outer: Condition, inner: Condition | undefined): Condition {
  const list = (c: Condition | undefined): (string | boolean)[] => (c === undefined ? [] : Array.isArray(c) ? c : [c]);
  return [...list(outer), ...list(inner)];
}

/** become_user: a command or shell task runs its program as that user with runuser (fleet
 * becomes root, then drops to the user, as sudo -u does); other modules write files as root
 * with the owner they are given, so for them only root is accepted. */
function asUser(yf: YamlFile, e: Entry, t: Task | Handler): Partial<Task> {
  const v = toJS(yf, e.value);
  if (typeof v !== 'string' || v.trim() === '') throw errAt(yf, e.value, `'become_user' expects a user name, got ${kindOf(yf, e.value)}`);
  if (v === 'root' || asUserDone.has(t)) return {};
  if (t.become === false) return {}; // Ansible: become_user does nothing without become.
  if (t.module !== 'command' && t.module !== 'shell')
    return refusedWhenRun(
      yf,
      e,
      `'become_user: ${v}' is supported on command and shell tasks only; '${t.name}' (${t.source.file}:${t.source.line ?? 0}) uses ${t.module}: set its owner/group instead`,
    );
  if (v.includes('{{')) return refusedWhenRun(yf, e, `'become_user' built from variables is not supported: name the user`);
  if (!/^[a-z_][a-z0-9_.-]*\$?$/i.test(v)) throw errAt(yf, e.value, `'become_user: ${v}' is not a valid user name`);
  const cmd = t.params.cmd;
  const runuser = ['runuser', '-u', v, '--'];
  if (t.module === 'command')
    // command splits its words after rendering: a prefix of words is safe whatever renders.
    return { become: true, params: { ...t.params, cmd: Array.isArray(cmd) ? [...runuser, ...cmd.map(String)] : `${runuser.join(' ')} ${String(cmd)}` } };
  // shell: the script is rendered later, so it travels in a variable (quoted when the engine
  // writes the environment), never spliced into the sh -c text.
  const env = t.params.environment;
  if (typeof env === 'string') throw errAt(yf, e.value, `'become_user' on a shell task with environment from a template is not supported: write the environment as a mapping`);
  return {
    become: true,
    params: { ...t.params, cmd: `exec runuser -u ${v} -- sh -c "$${AS_USER_SCRIPT}"`, environment: { ...((env as Record<string, unknown> | undefined) ?? {}), [AS_USER_SCRIPT]: cmd } },
  };
}
/** What fleet does not do, on a task that may never run (a role's option the play leaves
 * off): the task becomes a failure with that message, and the checks made before contact
 * refuse it wherever its condition may hold (engine/preflight.ts). */
function refusedWhenRun(yf: YamlFile, e: Entry, msg: string): Partial<Task> {
  const at = sourceOf(yf, e.value ?? e.keyNode);
  const text = `${at.file}:${at.line ?? 0}:${at.column ?? 0}: ${msg}`;
  return { module: 'fail', params: { msg: `{% raw %}${text.replace(/\{%-? *endraw *-?%\}/g, '')}{% endraw %}` }, refused: { source: at, msg } };
}

/** The variable a become_user shell script travels in. */
const AS_USER_SCRIPT = 'FLEET_BECOME_USER_SCRIPT';
/** Tasks whose command a become_user already wraps: an outer block's must not wrap it again. */
const asUserDone = new WeakSet<Task>();

/** The task's entries as fleet's parser reads them: the module renamed to fleet's, its
 * parameters translated, Ansible's loop spellings as loop. */
function translate(yf: YamlFile, node: unknown, all: Entry[], kind: string, owner: AnsibleOwner): Entry[] {
  const out: Entry[] = [];
  const others = all.filter(
    (e) =>
      !PASSED.includes(e.key) && !OWN_KEYWORDS.includes(e.key),
  );
  if (others.length === 0) throw errAt(yf, node, `${kind} has no module`);
  if (others.length > 1) {
    const known = others.filter((e) => ansibleModuleName(e.key));
    const bad = known.length === 1 ? others.find((e) => e !== known[0])! : others[1];
    throw errAt(
      yf,
      bad.keyNode,
      `unknown ${kind} key '${bad.key}' (fleet reads this file in Ansible's format; a task has one module and Ansible's keywords)`,
    );
  }
  const modE = others[0];
  const found = ansibleModuleName(modE.key);
  if (!found)
    throw errAt(
      yf,
      modE.keyNode,
      `unknown module '${modE.key}' (fleet maps these Ansible modules: ${Object.keys(ANSIBLE_MODULES).join(', ')})`,
    );
  if (!found.known) throw errAt(yf, modE.keyNode, `module '${modE.key}' is not supported by fleet: ${UNSUPPORTED_MODULES[found.short]}`);
  const spec = ANSIBLE_MODULES[found.short];
  const params = moduleParams(
    yf,
    modE,
    all.find((e) => e.key === 'args'),
    found.short,
  );
  let fleetParams: Record<string, unknown>;
  try {
    fleetParams = spec.translate(params);
  } catch (e) {
    throw errAt(yf, modE.value ?? modE.keyNode, `${found.short}: ${(e as Error).message}`);
  }

  if (!all.some((e) => e.key === 'name')) out.push({ key: 'name', keyNode: undefined, value: found.short });
  for (const e of all) {
    if (PASSED.includes(e.key)) out.push(e);
    else if (e.key === 'with_items' || e.key === 'with_list' || e.key === 'with_dict')
      out.push({ key: 'loop', keyNode: e.keyNode, value: loopOf(yf, e) });
    else if (e.key === 'with_fileglob') out.push({ key: 'loop', keyNode: e.keyNode, value: nodeAt(yf, fileglob(yf, e, owner), e.value as Node) });
    // Ansible reads loop_control only with a loop (robertdebock.users has one without): dropped.
    else if (e.key === 'loop_control') {
      if (all.some((x) => x.key === 'loop' || x.key.startsWith('with_'))) out.push({ ...e, value: loopControl(yf, e) });
      else loopControl(yf, e);
    }
    else if (e.key === 'check_mode') checkMode(yf, e, all, spec.fleet);
  }
  if (found.short === 'include_vars') Object.assign(fleetParams, varsSearch(yf, fleetParams.file, owner));
  const fleetName = typeof fleetParams[MODULE] === 'string' ? fleetParams[MODULE] : spec.fleet;
  delete fleetParams[MODULE];
  out.push({ key: fleetName, keyNode: modE.keyNode, value: nodeAt(yf, fleetParams, (modE.value as Node | undefined) ?? modE.keyNode) });
  return out;
}

/** The module's parameters: a mapping, `key=value` text, or (command/shell) the command with
 * `creates=` & co. inside it; plus `args:`. Every name is checked against the mapping. */
function moduleParams(yf: YamlFile, modE: Entry, argsE: Entry | undefined, short: string): Record<string, unknown> {
  const spec = ANSIBLE_MODULES[short];
  let p: Record<string, unknown>;
  const v = isNullNode(modE.value) ? {} : toJS(yf, modE.value);
  const at = modE.value ?? modE.keyNode;
  if (typeof v === 'string') {
    try {
      if (short === 'include_vars') p = { file: v };
      else {
        const kv = parseKv(v, spec.freeFormKeys);
        p = typedKv(kv.params);
        if (spec.freeFormKeys && kv.rest.trim() !== '') p.cmd = kv.rest.trim();
      }
    } catch (e) {
      throw errAt(yf, at, `${short}: ${(e as Error).message}`);
    }
  } else if (v && typeof v === 'object' && !Array.isArray(v)) {
    p = { ...(v as Record<string, unknown>) };
  } else {
    throw errAt(yf, at, `module '${modE.key}' expects a mapping of parameters, got ${kindOf(yf, modE.value)}`);
  }
  if (argsE && !isNullNode(argsE.value)) {
    const a = toJS(yf, argsE.value);
    if (!a || typeof a !== 'object' || Array.isArray(a))
      throw errAt(yf, argsE.value, `'args' must be a mapping of parameters, got ${kindOf(yf, argsE.value)}`);
    p = { ...(a as Record<string, unknown>), ...p };
  }
  const keyNodes = isMap(modE.value) ? entries(yf, modE.value) : [];
  for (const k of Object.keys(p)) {
    if (spec.params.includes(k) || (spec.anyParams && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && !spec.refused?.[k])) continue;
    const where = keyNodes.find((e) => e.key === k)?.keyNode ?? at;
    const hint = spec.refused?.[k];
    if (hint) throw errAt(yf, where, `${short}: parameter '${k}' is not supported by fleet: ${hint}`);
    throw errAt(yf, where, `${short}: unknown parameter '${k}' (fleet's ${short} takes: ${spec.params.join(', ')})`);
  }
  return p;
}

/** Ansible's key=value text is all strings; its modules read booleans and numbers from them
 * (`enabled=yes`, `cache_valid_time=86400`). */
const BOOL_PARAMS = new Set([
  'follow',
  'get_checksum',
  'get_mime',
  'get_attributes',
  'quiet',
  'update_cache',
  'enabled',
  'daemon_reload',
  'purge',
  'install_recommends',
  'create',
  'backup',
  'recurse',
  'force',
  'append',
  'system',
  'create_home',
  'createhome',
  'remove',
  'exclusive',
  'reload',
  'sysctl_set',
]);
const INT_PARAMS = new Set(['cache_valid_time', 'uid', 'gid']);
function typedKv(p: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) {
    const low = v.toLowerCase();
    if (BOOL_PARAMS.has(k) && ['yes', 'true', 'on', '1'].includes(low)) out[k] = true;
    else if (BOOL_PARAMS.has(k) && ['no', 'false', 'off', '0'].includes(low)) out[k] = false;
    else if (INT_PARAMS.has(k) && /^\d+$/.test(v)) out[k] = Number(v);
    else out[k] = v;
  }
  return out;
}

/** include_vars: where its file is looked for (the role's vars/, the including file's
 * directory), and every name the files it may choose define (for the engine's ordering). */
function varsSearch(yf: YamlFile, file: unknown, owner: AnsibleOwner): { search: string[]; names: string[] } {
  const search = [...(owner.roleDir ? [join(owner.roleDir, 'vars')] : []), dirname(yf.file), owner.tasksDir].filter(
    (d, i, a) => a.indexOf(d) === i,
  );
  const f = String(file);
  const candidates = f.includes('{{')
    ? search
        .filter((d) => existsSync(d))
        .flatMap((d) =>
          readdirSync(d)
            .filter((x) => /\.(ya?ml|json)$/.test(x))
            .map((x) => join(d, x)),
        )
    : search
        .map((d) => join(d, f))
        .filter((x) => existsSync(x))
        .slice(0, 1);
  const names = new Set<string>();
  for (const c of candidates) {
    const cyf = (owner.read ?? readYaml)(c);
    const d = cyf.doc.contents;
    if (isMap(d)) for (const e of entries(cyf, d)) names.add(e.key);
  }
  return { search: search.map((d) => resolve(d)), names: [...names] };
}

/** with_items flattens one level (Ansible's documented difference from loop); with_dict is
 * dict2items. A template string stays a template. */
function loopOf(yf: YamlFile, e: Entry): unknown {
  const v = toJS(yf, e.value);
  const expr = typeof v === 'string' ? /^\s*\{\{(.*)\}\}\s*$/s.exec(v)?.[1] : undefined;
  if (typeof v === 'string' && expr === undefined)
    throw errAt(yf, e.value, `'${e.key}' must be a list or "{{ expression }}", got ${kindOf(yf, e.value)}`);
  if (e.key === 'with_items')
    return expr !== undefined
      ? `{{ (${expr}) | flatten(levels=1) }}`
      : Array.isArray(v)
        ? v.flatMap((x) => (Array.isArray(x) ? x : [x]))
        : [v];
  if (e.key === 'with_dict') {
    if (expr !== undefined) return `{{ (${expr}) | dict2items }}`;
    if (!v || typeof v !== 'object' || Array.isArray(v))
      throw errAt(yf, e.value, `'with_dict' must be a mapping, got ${kindOf(yf, e.value)}`);
    return Object.entries(v).map(([key, value]) => ({ key, value }));
  }
  return expr !== undefined ? v : Array.isArray(v) ? v : [v];
}

/** loop_control: loop_var is fleet's; index_var is read after the task (indexVarOf); label
 * only changes what Ansible prints. */
function loopControl(yf: YamlFile, e: Entry): unknown {
  if (!isMap(e.value)) return e.value;
  const kept = entries(yf, e.value).filter((x) => {
    if (x.key === 'loop_var') return true;
    if (x.key === 'label' || x.key === 'index_var') return false;
    throw errAt(yf, x.keyNode, `loop_control '${x.key}' is not supported yet (fleet takes loop_var, index_var and label)`);
  });
  const m = toJS(yf, e.value) as Record<string, unknown>;
  return nodeAt(yf, Object.fromEntries(kept.map((x) => [x.key, m[x.key]])), e.value as Node);
}

/** until / retries / delay: retries and delay are whole numbers (Ansible's defaults: 3
 * attempts, 5 s apart); a number from a variable is refused, as it would change the number of
 * round trips after the checks made before contact. */
function retriesOf(yf: YamlFile, all: Entry[]): Partial<Task> {
  const get = (k: string) => all.find((e) => e.key === k);
  const until = get('until');
  const out: Partial<Task> = {};
  for (const k of ['retries', 'delay'] as const) {
    const e = get(k);
    if (!e) continue;
    if (!until) throw errAt(yf, e.keyNode, `'${k}' without 'until' does nothing in Ansible: add until (e.g. until: result is succeeded) or remove it`);
    const v = toJS(yf, e.value);
    const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
      throw errAt(yf, e.value, `'${k}' expects a whole number${k === 'delay' ? ' of seconds' : ''}, got ${kindOf(yf, e.value)}${typeof v === 'string' && v.includes('{{') ? ' (a value from a variable is not supported: write the number)' : ''}`);
    out[k] = n;
  }
  if (until) {
    const v = toJS(yf, until.value);
    const ok = (c: unknown) => typeof c === 'string' || typeof c === 'boolean';
    if (!(ok(v) || (Array.isArray(v) && v.length > 0 && v.every(ok))))
      throw errAt(yf, until.value, `'until' expects a condition (or a list of them), got ${kindOf(yf, until.value)}`);
    out.until = v as Task['until'];
  }
  return out;
}

function indexVarOf(yf: YamlFile, all: Entry[]): string | undefined {
  const lc = all.find((e) => e.key === 'loop_control');
  const x = lc && isMap(lc.value) ? entries(yf, lc.value).find((y) => y.key === 'index_var') : undefined;
  if (!x) return undefined;
  const v = toJS(yf, x.value);
  if (typeof v !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) throw errAt(yf, x.value, `loop_control index_var expects a variable name, got ${kindOf(yf, x.value)}`);
  return v;
}

/** `check_mode: false` (run even in check mode) is what fleet does with a command whose
 * `changed_when: false` says it changes nothing; anything else is refused. */
function checkMode(yf: YamlFile, e: Entry, all: Entry[], fleet: string): void {
  const v = toJS(yf, e.value);
  // check_mode: true: the task never changes the host, it reports what it would (inherit).
  if (v === true || v === 'yes' || v === 'true') return;
  const cw = all.find((x) => x.key === 'changed_when');
  const query = cw && toJS(yf, cw.value) === false && (fleet === 'command' || fleet === 'shell');
  if ((v === false || v === 'no') && query) return;
  throw errAt(
    yf,
    e.value,
    `'check_mode: ${String(v)}' is supported only as check_mode: false on a command or shell task with changed_when: false (fleet runs those in check mode too)`,
  );
}

/** A YAML node for a computed value, placed where the original was written (errors point there). */
function nodeAt(yf: YamlFile, value: unknown, at: Node | undefined): Node {
  const n = yf.doc.createNode(value) as Node;
  const range = at?.range;
  if (range) {
    const set = (x: unknown): void => {
      if (!x || typeof x !== 'object') return;
      (x as Node).range = [range[0], range[1], range[2]];
      if (yamlIsMap(x))
        for (const it of x.items) {
          set(it.key);
          set(it.value);
        }
      else if (yamlIsSeq(x)) for (const it of x.items) set(it);
      else if (!yamlIsScalar(x)) return;
    };
    set(n);
  }
  return n;
}

/** with_fileglob: the controller's files matching each pattern (a relative one is looked for in
 * the role's files/, then beside the task file), as absolute paths, sorted per pattern; files
 * only, dot files not matched by `*`, as Python's glob. Found at load: fleet reads every task
 * before contact. */
function fileglob(yf: YamlFile, e: Entry, owner: AnsibleOwner): string[] {
  const v = toJS(yf, e.value);
  const patterns = Array.isArray(v) ? v : [v];
  const out: string[] = [];
  for (const p of patterns) {
    if (typeof p !== 'string' || p === '') throw errAt(yf, e.value, `'with_fileglob' expects file patterns, got ${kindOf(yf, e.value)}`);
    if (p.includes('{{') || p.includes('{%'))
      throw errAt(yf, e.value, `'with_fileglob': a pattern built from variables is not supported (fleet lists the files before contact): write the pattern`);
    const dirPart = dirname(p);
    if (/[*?[]/.test(dirPart)) throw errAt(yf, e.value, `'with_fileglob' ${p}: wildcards in directory names are not supported, only in the file name`);
    const bases = isAbsolute(p) ? [''] : [...(owner.roleDir ? [join(owner.roleDir, 'files')] : []), dirname(yf.file)];
    const dir = bases.map((b) => (b ? join(b, dirPart) : dirPart)).find((d) => existsSync(d));
    if (!dir) continue; // Ansible: a pattern matching nothing gives no items.
    const re = globRegex(basename(p));
    out.push(
      ...readdirSync(dir, { withFileTypes: true })
        .filter((d) => re.test(d.name) && statSync(join(dir, d.name)).isFile())
        .map((d) => resolve(dir, d.name))
        .sort(),
    );
  }
  return out;
}

/** fnmatch: * and ? (not matching a leading dot), [abc] and [!abc]. */
export function globRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const j = pattern.indexOf(']', i + 2);
      if (j < 0) re += '\\[';
      else {
        const body = pattern.slice(i + 1, j);
        re += `[${body.startsWith('!') ? '^' + body.slice(1).replace(/\\/g, '\\\\') : body.replace(/\\/g, '\\\\')}]`;
        i = j;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${pattern.startsWith('.') ? '' : '(?!\\.)'}${re}$`);
}
