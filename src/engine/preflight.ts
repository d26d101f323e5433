// Everything that can be wrong without looking at a host is found before any host is
// contacted: host patterns, role variables against their schemas, templates that name
// undefined variables, module parameters. Values only a host can give (facts, registered
// results) stand in as placeholders of the right shape.
import { Ajv, type ValidateFunction } from 'ajv';
import { ConfigError } from '../model/errors.js';
import type { Inventory, Vars } from '../model/inventory.js';
import type { Playbook, RoleRef, Task } from '../model/playbook.js';
import { Lazy, TemplateError, VarChainError, checkSyntax, evalExpression, renderValue, resolveVar, truthy } from '../template/index.js';
import { varsFromFile } from '../actions/include-vars.js';
import { addFacts } from './included-vars.js';
import { setVariableTemplates, taskReads } from './task-reads.js';
import { checkHostvarsReads, runtimeNames } from './hostvars-check.js';
import { itemScope, whenFalseWithoutItem } from './execute.js';
import { memoReads } from './prepare-memo.js';
import { prepareAndSeed, type HostSeeds, type PreflightHandoff } from './preflight-handoff.js';
import type { PreparedTask } from './prepare-task.js';
import { buildProgram } from './program.js';
import { expandIncludeLoops } from './include-loops.js';
import type { HostSelector } from './run-shared.js';
import { ContextCache } from './context-cache.js';
import { groupsMap, type HostRuntime, type VarsScope } from './vars.js';

const PLACEHOLDER_FACTS = {
  os_id: 'debian',
  os_version: '12',
  os_codename: 'bookworm',
  arch: 'x86_64',
  hostname: 'host',
  init: 'systemd',
  addresses: ['192.0.2.1'],
  memory_mb: 1024,
  cpus: 1,
  openssh_version: '9.2',
};

const PLACEHOLDER_RESULT = {
  changed: false,
  failed: false,
  skipped: false,
  rc: 0,
  stdout: '',
  stderr: '',
  stdout_lines: [],
  results: [],
  msg: '',
};

// A role's `variables` schema was checked against the meta-schema when the role was read
// (config/role-vars-schema.ts, or made by fleet for an Ansible role's defaults): checking it
// again here would compile ajv's draft-07 meta-schema, most of 50 ms of every run with a role.
let ajv: Ajv | undefined;
const roleAjv = (): Ajv => (ajv ??= new Ajv({ allErrors: true, useDefaults: false, strict: false, validateSchema: false }));
const roleValidators = new Map<string, ValidateFunction>();

export interface PreflightInput {
  inventory: Inventory;
  playbook: Playbook;
  extraVars: Vars;
  limit?: string;
  selectHosts: HostSelector;
  /** Receives each host's prepared params for the run (preflight-handoff.ts). */
  handoff?: PreflightHandoff;
}

export function validateBeforeContact(input: PreflightInput): void {
  const { inventory: inv, selectHosts } = input;
  const playbook = expandIncludeLoops({ ...input, mode: 'check' });
  const limited = input.limit ? new Set(selectHosts(inv, input.limit)) : undefined;
  const groups = groupsMap(inv);
  setVariableTemplates(inv, playbook, input.extraVars);
  const hostvarsNames: HostvarsNames = { inventory: inv, extraVars: input.extraVars, runtime: runtimeNames(playbook), standIns: new Set() };
  for (const [pi, play] of playbook.plays.entries()) {
    const hosts = selectHosts(inv, play.hosts, play.hostsSource ?? play.source).filter((h) => !limited || limited.has(h));
    const program = buildProgram(play, pi, {});
    const scope: VarsScope = {
      inventory: inv,
      groups,
      extraVars: input.extraVars,
      mode: 'check',
      runtimes: new Map(),
      playHosts: hosts,
      generation: { value: 0 },
    };
    for (const name of hosts) {
      const host = inv.hosts.get(name)!;
      const rt: HostRuntime = {
        host,
        registered: {},
        facts: PLACEHOLDER_FACTS,
        sshPort: host.connection.port,
        controllerIp: '192.0.2.254',
      };
      // Each role's variables built once while nothing is set (context-cache.ts, as in the run):
      // every write to rt.registered below is followed by invalidate().
      const contexts = new ContextCache();
      const context = (ref: RoleRef | undefined, task?: Task) => contexts.get(scope, rt, play, ref, task);
      for (const ref of play.roles) checkRoleVars(ref, context(ref), name);
      const seeds = input.handoff?.forHost(name);
      const units = [
        ...program.units.map((u) => ({ task: u.task, ref: u.roleRef })),
        ...program.handlers.map((h) => ({ task: h.handler as Task, ref: h.roleRef })),
      ];
      for (const { task, ref } of units) {
        const d = task.delegateTo;
        if (d !== undefined && !d.includes('{') && !inv.hosts.has(d) && !['localhost', '127.0.0.1', '::1'].includes(d))
          throw new ConfigError(task.source.file, task.source.line, task.source.column, `task '${task.name}': delegate_to: host '${d}' is not in the inventory`);
        // A rescue (and the always after it) reads the failure it handles (blocks.ts).
        if (task.blocks?.some((f) => f.part !== 'block')) {
          rt.registered.ansible_failed_task ??= { name: '', action: '' };
          rt.registered.ansible_failed_result ??= { ...PLACEHOLDER_RESULT, failed: true, msg: '' };
          contexts.invalidate();
        }
        if (task.refused !== undefined) {
          const r = task.refused;
          if (mayRun(task, context(ref, task)))
            throw new ConfigError(r.source.file, r.source.line, r.source.column, `${r.msg} (for host ${name}, where its condition may hold)`);
          continue;
        }
        const { items, prepared, whenFalse } = checkTask(task, context(ref, task), hostvarsNames, seeds);
        // An action may declare the shape of what it registers (the tor role's addresses).
        const shape = prepared?.kind === 'action' ? prepared.action.registers?.(prepared.params) : undefined;
        const one = { ...PLACEHOLDER_RESULT, ...shape, ...(task.until !== undefined ? { attempts: 1 } : {}) };
        // A loop registers one result per item, in order.
        if (task.register) {
          rt.registered[task.register] = task.loop === undefined ? one : { ...PLACEHOLDER_RESULT, results: items.map(() => one) };
          contexts.invalidate();
        }
        // set_fact / include_vars: later tasks read these names (placeholder facts choose the file).
        // One whose condition fails with the stand-in facts (another OS's vars file) gives only
        // the names not known yet: later tasks still know them, without another OS's values.
        // A set_fact from a registered result is known only on the way: its names stand in empty.
        if (!prepared && task.module === 'set_fact') {
          for (const k of Object.keys(task.params)) {
            rt.registered[k] ??= '';
            hostvarsNames.standIns.add(k);
          }
          contexts.invalidate();
        }
        // An include_vars whose condition reads such a stand-in gives its names the same way.
        const unknownWhen = !prepared && task.module === 'include_vars' && typeof task.params.file === 'string' && !task.params.file.includes('{');
        // getent's entries are known only on the host: what reads them is checked when it runs.
        if (prepared?.kind === 'action' && prepared.action.name === 'getent') {
          rt.registered[`getent_${String(prepared.params.database)}`] ??= {};
          contexts.invalidate();
          hostvarsNames.standIns.add('ansible_facts');
          hostvarsNames.standIns.add(`getent_${String(prepared.params.database)}`);
        }
        if (prepared?.kind === 'action' || unknownWhen) {
          const facts = prepared?.kind === 'action' ? factsOf(task, prepared.action.name, prepared.params) : factsOf(task, 'include_vars', task.params);
          const added = whenFalse || unknownWhen ? Object.fromEntries(Object.entries(facts).filter(([k]) => !(k in rt.registered))) : facts;
          addFacts(rt.registered, added, task);
          if (Object.keys(added).length > 0) contexts.invalidate();
        }
      }
    }
  }
}

/** The task's conditions may hold (one that cannot be read before contact may). */
function mayRun(task: Task, ctx: Vars): boolean {
  try {
    return [task.when].flat().every((w) => w === undefined || truthy(evalExpression(w, ctx, task.source)));
  } catch {
    return true;
  }
}

function factsOf(task: Task, action: string, params: Record<string, unknown>): Vars {
  if (action === 'set_fact') return params;
  if (action !== 'include_vars') return {};
  try {
    return varsFromFile(params as Parameters<typeof varsFromFile>[0]);
  } catch (e) {
    throw new ConfigError(task.source.file, task.source.line, task.source.column, (e as Error).message);
  }
}

function checkRoleVars(ref: RoleRef, ctx: Vars, host: string): void {
  const schema = ref.role.varsSchema;
  const props = (schema.properties ?? {}) as Record<string, unknown>;
  let v = roleValidators.get(ref.role.dir);
  if (!v) {
    v = roleAjv().compile(schema);
    roleValidators.set(ref.role.dir, v);
  }
  const values: Vars = {};
  for (const k of Object.keys(props)) {
    const raw = ctx[k];
    if (raw === undefined) continue;
    if (raw instanceof Lazy) {
      // Typed once rendered on the host; but a cycle can never resolve, whatever the host says.
      try {
        resolveVar(ctx, k);
      } catch (e) {
        if (e instanceof VarChainError && e.cycle) throw e;
      }
      continue;
    }
    values[k] = raw;
  }
  if (!v(values)) {
    const e = v.errors?.[0];
    const key =
      e?.instancePath.replace(/^\//, '').split('/')[0] || String((e?.params as { missingProperty?: string })?.missingProperty ?? '');
    const src = ref.role.source;
    throw new ConfigError(
      src.file,
      src.line,
      src.column,
      `role ${ref.role.name}, variable '${key}' for host ${host}: ${e?.message ?? 'invalid'} (value ${JSON.stringify(values[key])})`,
    );
  }
}

/** Another host's registered values are not known before contact: a task that reads them
 * through a variable (no hostvars in its own text) is checked when it runs. */
const SKIP = Symbol('not checkable before contact');

/** Check one task for one host: the loop items it has (as far as known before contact) and the
 * task as prepared for the last of them. */
function checkTask(task: Task, ctx: Vars, names: HostvarsNames, seeds: HostSeeds | undefined): { items: unknown[]; prepared?: PreparedTask; whenFalse?: boolean } {
  try {
    return checkTaskItems(task, ctx, names, seeds);
  } catch (e) {
    if (e !== SKIP) throw e;
    return { items: [] };
  }
}

function readsRegistered(task: Task, names: HostvarsNames): boolean {
  const reads = taskReads({ task });
  return [...reads.render, ...reads.when].some((r) => names.runtime === undefined || names.runtime.has(r.name) || names.standIns.has(r.name));
}

interface HostvarsNames {
  inventory: Inventory;
  extraVars: Vars;
  runtime: Set<string> | undefined;
  /** set_fact names whose values come from registered results: empty stand-ins before contact. */
  standIns: Set<string>;
}

function checkTaskItems(task: Task, ctx: Vars, names: HostvarsNames, seeds: HostSeeds | undefined): { items: unknown[]; prepared?: PreparedTask; whenFalse?: boolean } {
  // Other hosts' values are only known on the way: such a task is rendered when it runs; only
  // the names it reads of them are checked here.
  const reads = taskReads({ task });
  if (reads.hostvars) {
    // Not renderable yet, but a syntax error is one whatever the hosts say.
    checkSyntax(task.params, 'value', task.source);
    checkSyntax(task.loop, 'value', task.source);
    for (const c of [task.when, task.changedWhen, task.failedWhen, task.until]) checkSyntax(c, 'condition', task.source);
    checkHostvarsReads(task, [...reads.render, ...reads.when], names.inventory, names.extraVars, names.runtime);
    return { items: [] };
  }
  const fail = (err: unknown): never => {
    // Another host's registered values are not known before contact.
    if (err instanceof TemplateError && err.variable?.startsWith('hostvars')) throw SKIP;
    // A part of a registered result (stdout.split()[2]) stands in empty before contact: what
    // the host answers decides it, so it is checked when the task runs.
    if (err instanceof TemplateError && err.variable !== undefined && readsRegistered(task, names)) throw SKIP;
    if (err instanceof ConfigError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new ConfigError(task.source.file, task.source.line, task.source.column, `task '${task.name}': ${msg}`);
  };
  let items: unknown[] = [undefined];
  if (task.loop !== undefined) {
    try {
      const l =
        typeof task.loop === 'string' && !task.loop.trim().startsWith('{{')
          ? evalExpression(task.loop, ctx, task.source)
          : renderValue(task.loop, ctx, task.source);
      if (!Array.isArray(l)) fail(new Error('loop must be a list'));
      items = (l as unknown[]).length ? (l as unknown[]) : [];
    } catch (err) {
      // As on the host: a loop that cannot be read under a condition that is false is a skip.
      if (whenFalseWithoutItem({ task, index: 0 }, ctx)) return { items: [], whenFalse: true };
      fail(err);
    }
  }
  let prepared: PreparedTask | undefined;
  let whenFalse = false;
  for (const [i, item] of items.entries()) {
    const c = task.loop !== undefined ? itemScope(task, ctx, item, i) : ctx;
    try {
      let itemFalse = false;
      // In order, up to the first that fails (Ansible's: `x is defined` guards the next one).
      for (const w of [task.when].flat())
        if (w !== undefined && !truthy(evalExpression(w, c, task.source))) {
          itemFalse = true;
          break;
        }
      whenFalse ||= itemFalse;
      // A loop item its condition leaves out is never prepared (its item may lack what the task reads).
      if (!itemFalse) prepared = prepareAndSeed(seeds, task, i, memoReads({ task }), c);
      else if (task.loop === undefined) {
        // Skipped here: its parameters may be what only a run that takes it gives (an empty
        // package list guarded by `| length > 0`); they are checked when it runs.
        try {
          prepared = prepareAndSeed(seeds, task, i, memoReads({ task }), c);
        } catch {
          prepared = undefined;
        }
      }
    } catch (err) {
      fail(err);
    }
  }
  return { items, prepared, whenFalse };
}
