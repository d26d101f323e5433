// Runs a parsed template's statements: text and {{ }} output, if, for (with loop, else,
// unpacking and an inline filter), set (and block set), macro and call, include, filter
// and with blocks. Jinja's scoping: for, macro and with bodies get their own frame.
import { truthy, typeName } from '../truthy.js';
import { pyStr } from '../values/print.js';
import type { Expr, FilterCall, Node, Param, Target } from './ast.js';
import { evaluate, setMacroCaller } from './evaluate.js';
import { findFile } from './globals.js';
import { isMapping } from './lookup.js';
import { applyFilter } from './registry.js';
import { Frame, LoopInfo, Macro, Namespace, type Env } from './runtime.js';
import { JinjaError, Undef, at, defined } from './undefined.js';

const MAX_INCLUDE_DEPTH = 40;

/** How a value prints inside text: Python's str(), None as nothing (Ansible's finalize). */
export function toText(v: unknown, pos?: number): string {
  const d = defined(v);
  if (d === null) return '';
  if (typeof d === 'string') return d;
  if (d instanceof Macro || d instanceof LoopInfo || d instanceof Namespace) {
    throw new JinjaError(
      `cannot print a ${d instanceof Macro ? 'macro (call it: name(...))' : d instanceof LoopInfo ? 'loop object' : 'namespace'}`,
      pos,
    );
  }
  return pyStr(d);
}

/** What a for loop walks: a list, a string's characters, or a mapping's keys. */
export function iterate(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (isMapping(v)) return Object.keys(v);
  throw new JinjaError(`cannot loop over ${typeName(v)}`);
}

function assign(t: Target, value: unknown, frame: Frame): void {
  if (t.k === 'name') {
    frame.vars.set(t.name, value);
    return;
  }
  if (t.k === 'nsattr') {
    const ns = frame.lookup(t.name).value;
    if (!(ns instanceof Namespace))
      throw new JinjaError(`cannot set '${t.name}.${t.attr}': '${t.name}' is not a namespace() in this template`, t.pos);
    ns.attrs[t.attr] = value;
    return;
  }
  const items = Array.isArray(value) ? value : typeof value === 'string' ? [...value] : undefined;
  if (!items) throw new JinjaError(`cannot unpack ${typeName(value)} into ${t.items.length} names`, t.pos);
  if (items.length !== t.items.length) {
    throw new JinjaError(
      `${items.length < t.items.length ? 'not enough' : 'too many'} values to unpack (expected ${t.items.length}, got ${items.length})`,
      t.pos,
    );
  }
  t.items.forEach((sub, i) => assign(sub, items[i], frame));
}

function applyFilters(filters: FilterCall[], input: unknown, frame: Frame, env: Env): unknown {
  let v = input;
  for (const f of filters) {
    const args = f.args.map((a) => evaluate(a, frame, env));
    const kw: Record<string, unknown> = {};
    for (const [k, e] of f.kwargs) kw[k] = evaluate(e, frame, env);
    try {
      v = applyFilter(f.name, v, args, kw, env, frame);
    } catch (e) {
      throw at(e, f.pos);
    }
  }
  return v;
}

function bindParams(m: Macro, params: Param[], args: unknown[], kwargs: Record<string, unknown>, frame: Frame): void {
  if (args.length > params.length) throw new JinjaError(`macro '${m.name}' takes ${params.length} argument(s), got ${args.length}`);
  const names = params.map((p) => p.name);
  for (const k of Object.keys(kwargs)) {
    if (!names.includes(k)) throw new JinjaError(`macro '${m.name}' has no parameter '${k}' (parameters: ${names.join(', ') || 'none'})`);
  }
  params.forEach((p, i) => {
    let v: unknown;
    if (i < args.length) v = args[i];
    else if (Object.prototype.hasOwnProperty.call(kwargs, p.name)) v = kwargs[p.name];
    else if (p.default) v = evaluate(p.default, frame, m.env);
    else v = new Undef(p.name);
    frame.vars.set(p.name, v);
  });
}

export function callMacro(m: Macro, args: unknown[], kwargs: Record<string, unknown>, caller?: Macro): string {
  const frame = new Frame(m.closure);
  bindParams(m, m.params, args, kwargs, frame);
  if (caller) frame.vars.set('caller', caller);
  const out: string[] = [];
  run(m.body, frame, m.env, out);
  return out.join('');
}
setMacroCaller(callMacro);

/** Every local variable visible from a frame (an include sees them on top of the context). */
function locals(frame: Frame): Record<string, unknown> {
  const chain: Frame[] = [];
  for (let f: Frame | undefined = frame; f; f = f.parent) chain.unshift(f);
  const out: Record<string, unknown> = {};
  for (const f of chain) for (const [k, v] of f.vars) out[k] = v;
  return out;
}

function include(node: Node & { k: 'include' }, frame: Frame, env: Env, out: string[]): void {
  const target = defined(evaluate(node.template, frame, env));
  const names = (Array.isArray(target) ? target : [target]).map((t) => {
    if (typeof t !== 'string') throw new JinjaError(`include needs a template name, got ${typeName(t)}`, node.pos);
    return t;
  });
  let file: string | undefined;
  for (const n of names) if ((file = findFile(env, n, 'templates'))) break;
  if (!file) {
    if (node.ignoreMissing) return;
    throw new JinjaError(
      `included template '${names.join("', '")}' not found (looked in ${env.dirs.join(', ') || 'the current directory'})`,
      node.pos,
    );
  }
  if (env.includeDepth >= MAX_INCLUDE_DEPTH)
    throw new JinjaError(`includes nest deeper than ${MAX_INCLUDE_DEPTH} (a template including itself?)`, node.pos);
  const ctx = node.withContext ? { ...env.ctx, ...locals(frame) } : { ...env.ctx };
  out.push(env.services.renderFile(file, ctx, env));
}

export function run(nodes: Node[], frame: Frame, env: Env, out: string[]): void {
  for (const node of nodes) {
    switch (node.k) {
      case 'text':
        out.push(node.v);
        break;
      case 'out':
        out.push(toText(evaluate(node.e, frame, env), node.e.pos));
        break;
      case 'if': {
        const branch = node.branches.find((b) => truthy(defined(evaluate(b.test, frame, env))));
        if (branch) run(branch.body, frame, env, out);
        else if (node.else) run(node.else, frame, env, out);
        break;
      }
      case 'for':
        runFor(node, frame, env, out);
        break;
      case 'set':
        assign(node.target, defined(evaluate(node.value, frame, env)), frame);
        break;
      case 'setblock': {
        const body: string[] = [];
        run(node.body, frame, env, body);
        assign(node.target, applyFilters(node.filters, body.join(''), frame, env), frame);
        break;
      }
      case 'macro':
        frame.vars.set(node.name, new Macro(node.name, node.params, node.body, frame, env));
        break;
      case 'callblock': {
        const caller = new Macro('caller', node.params, node.body, frame, env, true);
        const fn = evaluate(node.call.fn, frame, env);
        if (!(fn instanceof Macro))
          throw new JinjaError(`{% call %} needs a macro, got ${fn instanceof Undef ? `undefined '${fn.name}'` : typeName(fn)}`, node.pos);
        const args = node.call.args.map((a: Expr) => defined(evaluate(a, frame, env)));
        const kw: Record<string, unknown> = {};
        for (const [k, e] of node.call.kwargs) kw[k] = defined(evaluate(e, frame, env));
        out.push(callMacro(fn, args, kw, caller));
        break;
      }
      case 'include':
        include(node, frame, env, out);
        break;
      case 'filterblock': {
        const body: string[] = [];
        run(node.body, frame, env, body);
        out.push(toText(applyFilters(node.filters, body.join(''), frame, env), node.pos));
        break;
      }
      case 'with': {
        const inner = new Frame(frame);
        for (const a of node.assigns) assign(a.target, defined(evaluate(a.value, frame, env)), inner);
        run(node.body, inner, env, out);
        break;
      }
    }
  }
}

function runFor(node: Node & { k: 'for' }, frame: Frame, env: Env, out: string[]): void {
  let items: unknown[];
  try {
    items = iterate(defined(evaluate(node.iter, frame, env)));
  } catch (e) {
    throw at(e, node.iter.pos);
  }
  if (node.filter) {
    const test = node.filter;
    items = items.filter((item) => {
      const f = new Frame(frame);
      assign(node.target, item, f);
      return truthy(defined(evaluate(test, f, env)));
    });
  }
  if (!items.length) {
    if (node.else) run(node.else, frame, env, out);
    return;
  }
  const loop = new LoopInfo(items.length);
  items.forEach((item, i) => {
    const f = new Frame(frame);
    loop.set(i, items);
    f.vars.set('loop', loop);
    assign(node.target, item, f);
    run(node.body, f, env, out);
  });
}
