// Turns a unit plus the host's variables into the exact module params and the shell section
// that probes it. The real run and the speculative batch both come through here, so the
// probe texts they produce are identical and the probe cache can match them by text.
import { isAbsolute, join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import type { Vars } from '../model/inventory.js';
import type { AnyAction } from '../model/action.js';
import type { AnyModule, HostFacts } from '../model/module.js';
import type { Task } from '../model/playbook.js';
import { getAction } from '../actions/index.js';
import { getModule } from '../modules/index.js';
import { readFileCached, renderValue } from '../template/index.js';
import { sharedRender } from './render-share.js';
import { plainCopy } from './plain-copy.js';
import type { Section } from './script.js';
import { PARAMS_AJV_OPTIONS, PRECOMPILED } from './params-validators.js';

/** A task for the host: its module, final params and the section that probes it. */
export interface PreparedModuleTask {
  kind: 'module';
  module: AnyModule;
  params: Record<string, unknown>;
  /** A command that says it never changes anything runs with the probes. */
  query: boolean;
  /** The probe (or, for a query, the command itself). */
  section: Section;
}

/** A task for the controller: its action and final params. */
export interface PreparedActionTask {
  kind: 'action';
  action: AnyAction;
  params: Record<string, unknown>;
  /** The action's own probe of this host, when it has one. */
  section?: Section;
}

export type PreparedTask = PreparedModuleTask | PreparedActionTask;

export class TaskError extends Error {}

let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

function validatorFor(m: { name: string; schema: object }): ValidateFunction {
  let v = validators.get(m.name);
  if (!v) {
    v = Object.prototype.hasOwnProperty.call(PRECOMPILED, m.name) ? PRECOMPILED[m.name] : (ajv ??= new Ajv({ ...PARAMS_AJV_OPTIONS })).compile(m.schema);
    validators.set(m.name, v);
  }
  return v;
}

/** A task that promises to change nothing (`changed_when: false` on a module that runs a
 * command) runs with the probes, in check mode too. */
export function isQuery(task: Task, module: AnyModule): boolean {
  return module.traits?.query === true && (task.changedWhen === false || task.changedWhen === 'false');
}

function roleFile(task: Task, sub: 'templates' | 'files', file: string): string {
  if (isAbsolute(file)) return file;
  const base = task.roleDir ?? process.cwd();
  return join(base, sub, file);
}

export function prepareTask(task: Task, ctx: Vars, facts: HostFacts | undefined): PreparedTask {
  return withFacts(prepareParams(task, ctx), facts);
}

/** A module task's params prepared, its probe not written yet (it alone reads the facts). */
export type PreparedParams = PreparedActionTask | Omit<PreparedModuleTask, 'section'>;

/** What the task is for these variables: everything but the module's probe. */
export function prepareParams(task: Task, ctx: Vars): PreparedParams {
  const module = getModule(task.module) ?? getAction(task.module);
  if (!module) throw new TaskError(`unknown module '${task.module}'`);
  const origin = task.source;
  const raw: Record<string, unknown> = { ...task.params };
  // Task-level guards become the module's own params (the loader allows them only there).
  if (task.creates !== undefined) raw.creates = task.creates;
  if (task.unless !== undefined) raw.unless = task.unless;
  // A copy: ajv writes defaults into it, and a whole-value template gives a variable's own value.
  const params = plainCopy(renderValue(raw, ctx, origin)) as Record<string, unknown>;
  const validate = validatorFor(module);
  if (!validate(params)) {
    const detail = (validate.errors ?? [])
      .map((e) => `${e.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'params'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` '${String(e.params.additionalProperty)}'` : ''}`)
      .join('; ');
    throw new TaskError(`invalid parameters for module ${module.name}: ${detail}`);
  }
  if ('run' in module) {
    const section: Section | undefined = module.probe ? { kind: 'probe', text: module.probe(params) } : undefined;
    return { kind: 'action', action: module, params, section };
  }
  const prepared = module.prepare
    ? module.prepare(params, {
        roleDir: task.roleDir,
        renderTemplate: (file) => sharedRender(roleFile(task, 'templates', file), ctx),
        readRoleFile: (file) => readFileCached(roleFile(task, 'files', file)),
      })
    : params;
  return { kind: 'module', module, params: prepared, query: isQuery(task, module) };
}

/** The prepared params with the probe the module writes for these facts. */
export function withFacts(p: PreparedParams, facts: HostFacts | undefined): PreparedTask {
  return p.kind === 'action' ? p : { ...p, section: moduleSection(p.module, p.params, p.query, facts) };
}

/** The probe (or a query's command) of prepared params: the only part of preparing a task
 * that reads the host's facts (prepare-memo.ts writes it again when only they differ). */
export function moduleSection(module: AnyModule, params: Record<string, unknown>, query: boolean, facts: HostFacts | undefined): Section {
  return query
    ? { kind: 'query', text: module.apply(params, { kind: 'change', summary: '' }, facts) }
    : { kind: 'probe', text: module.probe(params, facts), batch: module.batchProbe?.(params, facts) };
}
