// Variables are templates until used (as in Ansible): a value from the inventory, vars
// files, play vars, role defaults or params, or extra vars that holds {{ }} / {% %} is kept
// as a Lazy in the context and rendered when a template reads it, with the object it was
// read from as its variables (the task's context, or hostvars[h] for another host), to any
// depth. Results are cached per context object; a cycle is an error naming the chain.
import type { Source, Vars } from '../../model/inventory.js';
import { TemplateError } from '../errors.js';
import { findKeySource } from '../locate.js';

/** Where a variable was written. `findKey`: `line` is where the enclosing mapping starts
 * (a play, a role entry); the key's own line is looked up when a message needs it. */
export interface VarOrigin extends Source {
  findKey?: boolean;
}

export class Lazy {
  constructor(
    readonly name: string,
    readonly raw: unknown,
    readonly origin: VarOrigin,
  ) {}
  /** Where the variable was written, as precisely as known. */
  source(): Source {
    if (!this.origin.findKey) return this.origin;
    return findKeySource(this.origin.file, this.origin.line ?? 1, this.name) ?? { file: this.origin.file, line: this.origin.line };
  }
  /** Serialised (fleet vars --json, a debug dump): the value as written. */
  toJSON(): unknown {
    return this.raw;
  }
}

const TEMPLATE_MARK = /\{\{|\{%|\{#/;
const stringMarks = new Map<string, boolean>();
const objectMarks = new WeakMap<object, boolean>();

/** Does the value hold template syntax anywhere (strings, lists, plain mappings)? */
export function hasTemplate(v: unknown): boolean {
  if (typeof v === 'string') {
    let r = stringMarks.get(v);
    if (r === undefined) {
      r = TEMPLATE_MARK.test(v);
      if (stringMarks.size > 50_000) stringMarks.clear();
      stringMarks.set(v, r);
    }
    return r;
  }
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return false;
  let r = objectMarks.get(v);
  if (r === undefined) {
    r = Array.isArray(v) ? v.some(hasTemplate) : Object.values(v).some(hasTemplate);
    objectMarks.set(v, r);
  }
  return r;
}

/** Copy a layer of variables into `into`, wrapping each value that holds a template. Values
 * without templates, and objects that are not plain data (a secrets store), pass as they are. */
export function assignVars(into: Vars, layer: Vars | undefined, originOf: (name: string) => VarOrigin): Vars {
  if (!layer) return into;
  // A Lazy holds no per-context state: the same one serves every context built from this
  // layer (the engine builds one per task and host), as long as the raw value is the same.
  let known = wrapped.get(layer);
  if (!known) wrapped.set(layer, (known = new Map()));
  for (const [k, v] of Object.entries(layer)) {
    if (!hasTemplate(v)) {
      into[k] = v;
      continue;
    }
    let lazy = known.get(k);
    if (!lazy || lazy.raw !== v) known.set(k, (lazy = new Lazy(k, v, originOf(k))));
    into[k] = lazy;
  }
  return into;
}

const wrapped = new WeakMap<Vars, Map<string, Lazy>>();

/** Renders a raw value with `scope` as its variables (supplied by the renderer). */
export type RawRender = (raw: unknown, scope: Vars, origin: Source) => unknown;

interface Resolving {
  scope: object;
  lazy: Lazy;
}

const results = new WeakMap<object, Map<string, unknown>>();
const resolving: Resolving[] = [];
const MAX_DEPTH = 100;

interface Link {
  name: string;
  source: Source;
}

function where(s: Source): string {
  return `${s.file}${s.line !== undefined ? `:${s.line}` : ''}`;
}

/** An error met while resolving a chain of variables: names each one with its file:line.
 * The position is that of the innermost failing template. */
export class VarChainError extends TemplateError {
  constructor(
    file: string,
    line: number | undefined,
    column: number | undefined,
    readonly chain: Link[],
    readonly base: string,
    variable: string | undefined,
    /** Links already named that the unwinding must not add again (a cycle's members). */
    public pending: number,
    readonly usedAt?: Source,
    /** The chain is a cycle (always an error, whatever values are still unknown). */
    readonly cycle = false,
  ) {
    super(file, line, column, VarChainError.text(chain, base, usedAt), variable);
    this.name = 'TemplateError';
  }

  static text(chain: Link[], base: string, usedAt?: Source): string {
    const names = chain.map((l) => l.name).join(' -> ');
    const seen = new Set<string>();
    const sources = chain
      .filter((l) => !seen.has(l.name) && seen.add(l.name))
      .map((l) => `${l.name}: ${where(l.source)}`)
      .join(', ');
    return `${names}: ${base} (${sources}${usedAt ? `; used at ${where(usedAt)}` : ''})`;
  }

  /** The same error, saying where the first variable of the chain was used. */
  usedFrom(origin: Source): VarChainError {
    if (this.usedAt) return this;
    return new VarChainError(this.file, this.line, this.column, this.chain, this.base, this.variable, 0, origin, this.cycle);
  }
}

function link(l: Lazy): Link {
  return { name: l.name, source: l.source() };
}

/** The value of a Lazy read from `scope` under `name`, rendered once per scope object. */
export function resolveLazy(scope: object, name: string, lazy: Lazy, render: RawRender): unknown {
  let cache = results.get(scope);
  if (cache?.has(name)) return cache.get(name);
  const at = resolving.findIndex((r) => r.scope === scope && r.lazy.name === name);
  if (at >= 0) {
    const members = resolving.slice(at).map((r) => r.lazy);
    const chain = [...members.map(link), link(lazy)];
    const first = chain[0].source;
    throw new VarChainError(
      first.file,
      first.line,
      first.column,
      chain,
      'the variables refer to each other in a cycle',
      undefined,
      members.length,
      undefined,
      true,
    );
  }
  if (resolving.length >= MAX_DEPTH) {
    const s = lazy.source();
    throw new TemplateError(s.file, s.line, s.column, `variables nest deeper than ${MAX_DEPTH} levels while resolving '${name}'`);
  }
  resolving.push({ scope, lazy });
  let value: unknown;
  try {
    value = render(lazy.raw, scope as Vars, lazy.source());
  } catch (e) {
    throw chained(e, lazy);
  } finally {
    resolving.pop();
  }
  if (!cache) results.set(scope, (cache = new Map()));
  cache.set(name, value);
  return value;
}

function chained(e: unknown, lazy: Lazy): unknown {
  if (e instanceof VarChainError) {
    if (e.pending > 0) {
      e.pending--;
      return e;
    }
    return new VarChainError(e.file, e.line, e.column, [link(lazy), ...e.chain], e.base, e.variable, 0, undefined, e.cycle);
  }
  if (e instanceof TemplateError) {
    return new VarChainError(e.file, e.line, e.column, [link(lazy)], e.detail, e.variable, 0);
  }
  return e;
}
