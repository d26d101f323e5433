// One task (or handler) mapping -> Task: task keys, exactly one module, module params.
import type { Source } from '../model/inventory.js';
import type { Condition, Handler, Task } from '../model/playbook.js';
import { toBool } from './connection.js';
import { findModule, moduleNames, traitsOf } from './module-registry.js';
import { checkRoleFile } from './role-files.js';
import { checkAgainstSchema } from './schema-check.js';
import { entries, errAt, isMap, isNullNode, isScalar, isSeq, kindOf, sourceOf, toJS } from './yaml-source.js';
import type { Entry, YAMLMap, YamlFile } from './yaml-source.js';

export const TASK_KEYS = [
  'name',
  'when',
  'notify',
  'tags',
  'register',
  'loop',
  'loop_control',
  'become',
  'ignore_errors',
  'run_once',
  'creates',
  'unless',
  'changed_when',
  'failed_when',
];
const HANDLER_KEYS = [...TASK_KEYS, 'listen'];
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Ansible task keys people carry over, and what fleet uses instead. */
const ANSIBLE_HINTS: Record<string, string> = {
  with_items: 'use loop',
  with_list: 'use loop',
  with_dict: 'use loop',
  args: 'put the parameters under the module',
  vars: 'set variables on the play or the role entry',
  become_user: 'fleet becomes root only',
  delegate_to: 'not supported',
  block: 'not supported: list the tasks one by one',
  include_tasks: 'not supported',
  import_tasks: 'not supported',
};

/** Where each notify entry was written, for the "unknown handler" check after the play is read. */
const notifySources = new WeakMap<Task, Source[]>();
export function notifySourcesOf(t: Task): Source[] {
  return notifySources.get(t) ?? [];
}

export interface TaskOwner {
  role: string;
  roleDir?: string;
}

export function parseTasks(yf: YamlFile, node: unknown, owner: TaskOwner, what: string): Task[] {
  if (isNullNode(node)) return [];
  if (!isSeq(node)) throw errAt(yf, node, `${what}: expected a list of tasks, got ${kindOf(yf, node)}`);
  return node.items.map((n) => parseTask(yf, n, owner, false));
}

export function parseHandlers(yf: YamlFile, node: unknown, owner: TaskOwner, what: string): Handler[] {
  if (isNullNode(node)) return [];
  if (!isSeq(node)) throw errAt(yf, node, `${what}: expected a list of handlers, got ${kindOf(yf, node)}`);
  return node.items.map((n) => parseTask(yf, n, owner, true) as Handler);
}

/** `translated`: the entries as another front door (Ansible's format) rewrote them. */
export function parseTask(yf: YamlFile, node: unknown, owner: TaskOwner, handler: boolean, translated?: Entry[]): Task | Handler {
  const kind = handler ? 'handler' : 'task';
  if (!isMap(node)) throw errAt(yf, node, `expected a ${kind}: a mapping with a name and one module, got ${kindOf(yf, node)}`);
  const all = translated ?? entries(yf, node);
  const allowed = handler ? HANDLER_KEYS : TASK_KEYS;
  const known = moduleNames();

  // Keys that are neither task keys nor known modules are typos of one or the other.
  const mods = all.filter((e) => !allowed.includes(e.key) && findModule(e.key));
  const unknown = all.filter((e) => !allowed.includes(e.key) && !findModule(e.key));
  if (mods.length > 1) {
    throw errAt(
      yf,
      mods[1].keyNode,
      `${kind} has two modules, '${mods[0].key}' and '${mods[1].key}': expected exactly one module per ${kind}`,
    );
  }
  if (unknown.length > 0) {
    const u = unknown[0];
    if (mods.length === 0 && unknown.length === 1) {
      throw errAt(yf, u.keyNode, `unknown module '${u.key}' (known modules: ${known.join(', ')})`);
    }
    const hint = ANSIBLE_HINTS[u.key] ? ` (${ANSIBLE_HINTS[u.key]})` : '';
    throw errAt(
      yf,
      u.keyNode,
      `unknown ${kind} key '${u.key}'${hint} (allowed: ${allowed.join(', ')}; or one module: ${known.join(', ')})`,
    );
  }
  if (mods.length === 0) throw errAt(yf, node, `${kind} has no module: expected exactly one of ${known.join(', ')}`);

  const get = (k: string): Entry | undefined => all.find((e) => e.key === k);
  const nameE = get('name');
  const name = nameE ? toJS(yf, nameE.value) : undefined;
  if (typeof name !== 'string' || name.trim() === '') {
    throw errAt(yf, nameE?.value ?? node, `${kind} needs a 'name': a non-empty string (the recap shows it)`);
  }

  const modE = mods[0];
  const mod = findModule(modE.key)!;
  const params = moduleParams(yf, modE, name);
  checkAgainstSchema({
    yf,
    schema: mod.schema,
    data: params,
    node: modE.value,
    ownerNode: modE.keyNode,
    what: `module '${mod.name}'`,
    noun: 'parameter',
    reportRequired: true,
    secret: mod.secretParams,
  });
  checkRoleFile(yf, mod.name, params, modE.value, owner.roleDir);

  const cond = (k: string): Condition | undefined => {
    const e = get(k);
    if (!e || isNullNode(e.value)) return undefined;
    const v = toJS(yf, e.value);
    if (typeof v === 'string' || typeof v === 'boolean') return v;
    // A list: every condition must hold (Ansible's `when: [a, b]`).
    if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' || typeof x === 'boolean'))
      return v as (string | boolean)[];
    throw errAt(
      yf,
      e.value,
      `'${k}' must be a condition (a string like "x.changed"), true/false, or a list of them, got ${kindOf(yf, e.value)}`,
    );
  };
  const bool = (k: string): boolean | undefined => {
    const e = get(k);
    if (!e || isNullNode(e.value)) return undefined;
    const b = toBool(toJS(yf, e.value));
    if (b === undefined) throw errAt(yf, e.value, `'${k}' must be true or false, got ${kindOf(yf, e.value)}`);
    return b;
  };
  const str = (k: string, pattern?: RegExp, expected = 'a string'): string | undefined => {
    const e = get(k);
    if (!e || isNullNode(e.value)) return undefined;
    const v = toJS(yf, e.value);
    if (typeof v !== 'string' || (pattern && !pattern.test(v)))
      throw errAt(yf, e.value, `'${k}' must be ${expected}, got ${kindOf(yf, e.value)}`);
    return v;
  };

  for (const k of ['creates', 'unless']) {
    const e = get(k);
    if (e && !traitsOf(mod.name).guards) {
      const guarded = moduleNames()
        .filter((n) => traitsOf(n).guards)
        .join(' and ');
      throw errAt(yf, e.keyNode, `'${k}' only applies to the ${guarded} modules, not '${mod.name}'`);
    }
  }

  const notify = stringList(yf, get('notify'), 'notify', 'a handler name or a list of them');
  const task: Task = {
    name,
    module: mod.name,
    params,
    when: cond('when'),
    notify: notify.values,
    tags: stringList(yf, get('tags'), 'tags', 'a tag or a list of tags').values.flatMap((t) =>
      t
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    ),
    register: str('register', IDENT, 'a variable name (letters, digits, _)'),
    loop: get('loop') && !isNullNode(get('loop')!.value) ? toJS(yf, get('loop')!.value) : undefined,
    loopVar: loopVar(yf, get('loop_control'), !!get('loop')),
    become: bool('become'),
    ignoreErrors: bool('ignore_errors') ?? false,
    runOnce: bool('run_once') ?? false,
    creates: str('creates'),
    unless: str('unless'),
    changedWhen: cond('changed_when'),
    failedWhen: cond('failed_when'),
    role: owner.role,
    source: sourceOf(yf, node),
  };
  if (owner.roleDir) task.roleDir = owner.roleDir;
  for (const k of Object.keys(task) as (keyof Task)[]) if (task[k] === undefined) delete task[k];
  notifySources.set(task, notify.sources);
  if (handler) {
    const listen = stringList(yf, get('listen'), 'listen', 'a name or a list of names').values;
    return { ...task, listen: [name, ...listen.filter((l) => l !== name)] } satisfies Handler;
  }
  return task;
}

/** Params mapping; for a free-form module (command, shell) a string is shorthand for {cmd: "..."}. */
function moduleParams(yf: YamlFile, e: Entry, task: string): Record<string, unknown> {
  if (isNullNode(e.value)) return {};
  const v = toJS(yf, e.value);
  const freeForm = traitsOf(e.key).freeForm;
  if (typeof v === 'string' && freeForm) return { [freeForm]: v };
  if (!isMap(e.value)) {
    if (e.key === 'block' && isSeq(e.value))
      throw errAt(
        yf,
        e.value,
        "in fleet's format 'block' is the module that writes a marked block of text into a file; Ansible's block keyword (a list of tasks) works in Ansible-format files: a role with tasks/main.yml, or a playbook next to an ansible.cfg",
      );
    const shorthand = freeForm ? ` or a string (its ${freeForm})` : '';
    throw errAt(yf, e.value, `task '${task}': module '${e.key}' expects a mapping of parameters${shorthand}, got ${kindOf(yf, e.value)}`);
  }
  refuseDecimalMode(yf, e.value);
  return v as Record<string, unknown>;
}

/** `mode: 644` is the decimal number 644, which Ansible applies as the mode 01204, silently.
 * A mode is octal: `0644` (YAML 1.1 octal, 420) or the string "0644". */
function refuseDecimalMode(yf: YamlFile, params: YAMLMap): void {
  const modeE = entries(yf, params).find((x) => x.key === 'mode');
  const node = modeE?.value;
  if (!isScalar(node) || node.type !== 'PLAIN' || typeof node.value !== 'number') return;
  const text = String(node.source ?? node.value);
  if (/^[-+]?0[0-7_]*$/.test(text)) return; // octal (or 0)
  const n = node.value;
  const asAnsible = Number.isInteger(n) && n >= 0 && n <= 0o7777 ? ` (Ansible would apply it as the mode 0${n.toString(8)})` : '';
  throw errAt(
    yf,
    node,
    `mode ${text} is a decimal number${asAnsible}: write it in octal, 0${text.replace(/^0+/, '')} or '0${text.replace(/^0+/, '')}'`,
  );
}

function loopVar(yf: YamlFile, e: Entry | undefined, hasLoop: boolean): string {
  if (!e || isNullNode(e.value)) return 'item';
  if (!hasLoop) throw errAt(yf, e.keyNode, "'loop_control' needs a 'loop' in the same task");
  if (!isMap(e.value)) throw errAt(yf, e.value, `'loop_control' must be a mapping like {loop_var: host}, got ${kindOf(yf, e.value)}`);
  let name = 'item';
  for (const x of entries(yf, e.value)) {
    if (x.key !== 'loop_var') throw errAt(yf, x.keyNode, `unknown key '${x.key}' in loop_control (allowed: loop_var)`);
    const v = toJS(yf, x.value);
    if (typeof v !== 'string' || !IDENT.test(v))
      throw errAt(yf, x.value, `'loop_var' must be a variable name (letters, digits, _), got ${kindOf(yf, x.value)}`);
    name = v;
  }
  return name;
}

/** A string or a list of strings, with the position of each. */
export function stringList(yf: YamlFile, e: Entry | undefined, key: string, expected: string): { values: string[]; sources: Source[] } {
  if (!e || isNullNode(e.value)) return { values: [], sources: [] };
  const items = isSeq(e.value) ? e.value.items : [e.value];
  const values: string[] = [];
  const sources: Source[] = [];
  for (const n of items) {
    const v = toJS(yf, n);
    if (typeof v !== 'string' || v === '') throw errAt(yf, n, `'${key}' must be ${expected}, got ${kindOf(yf, n)}`);
    values.push(v);
    sources.push(sourceOf(yf, n));
  }
  return { values, sources };
}
