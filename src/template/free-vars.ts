// Which variables a raw value, a condition or a template file reads, from their syntax trees
// (Jinja's for YAML values, conditions and .j2 files; handlebars' for .hbs), before anything
// is rendered (D8): the engine computes each task's reads once from this. It errs on the side
// of reading more: a name that is read must be listed; listing one that is not only costs a wait. A reference carries the constant part
// of its attribute path, cut at the first dynamic part:
//   hostvars['lab1'].x -> { name: 'hostvars', path: ['lab1', 'x'] }
//   hostvars[item].x   -> { name: 'hostvars', path: [] } and { name: 'item', path: [] }
// Names a template binds itself (set, for, macro parameters, loop) are not free, and
// neither are the functions fleet provides (range, lookup...). `vars.x` reads x.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import Handlebars from 'handlebars';
import type { Expr, Node, Target } from './jinja/ast.js';
import { GLOBALS } from './jinja/globals.js';
import { parse, parseCondition } from './jinja/render.js';
import { hasTemplate } from './lazy/lazy.js';
import { PyFloat } from './values/float.js';

/** One variable read: its name and the constant attribute path after it, cut at the first
 * part only known when rendering. */
export interface VarRef {
  name: string;
  path: string[];
}

/** Stands for "any variable": a construct whose reads cannot be known from its text (a
 * condition that is rendered and then evaluated, an include, text that does not parse,
 * `{{json this}}` at the top of a .hbs file). */
export const ANY_VARIABLE = '*';

/** Called by name, these are fleet's functions, not variables. */
const FUNCTIONS = new Set(Object.keys(GLOBALS));

class Collector {
  private readonly refs = new Map<string, VarRef>();

  result(): VarRef[] {
    return [...this.refs.values()];
  }

  add(name: string, path: string[]): void {
    const key = [name, ...path].join('\0');
    if (!this.refs.has(key)) this.refs.set(key, { name, path });
  }

  /** An attribute/index chain: its root variable with the constant path, then the dynamic keys. */
  private chain(e: Expr, bound: Set<string>): void {
    const steps: ({ key: string } | { dyn: Expr })[] = [];
    let base: Expr = e;
    for (;;) {
      if (base.k === 'attr') steps.unshift({ key: String(base.name) });
      else if (base.k === 'item') {
        const k = base.key;
        steps.unshift(k.k === 'lit' && (typeof k.v === 'string' || typeof k.v === 'number') ? { key: String(k.v) } : { dyn: k });
      } else break;
      base = base.obj;
    }
    for (const s of steps) if ('dyn' in s) this.expr(s.dyn, bound);
    if (base.k !== 'var') {
      this.expr(base, bound);
      return;
    }
    const path: string[] = [];
    for (const s of steps) {
      if ('dyn' in s) break;
      path.push(s.key);
    }
    if (bound.has(base.name)) return;
    if (base.name === 'vars' && path.length) {
      this.add(path[0], path.slice(1));
      return;
    }
    if (base.name !== 'omit') this.add(base.name, path);
  }

  expr(e: Expr | undefined, bound: Set<string>): void {
    if (!e) return;
    switch (e.k) {
      case 'lit':
        return;
      case 'list':
      case 'tuple':
        e.items.forEach((i) => this.expr(i, bound));
        return;
      case 'dict':
        e.items.forEach(([k, v]) => (this.expr(k, bound), this.expr(v, bound)));
        return;
      case 'var':
      case 'attr':
      case 'item':
        this.chain(e, bound);
        return;
      case 'slice':
        [e.obj, e.start, e.stop, e.step].forEach((x) => this.expr(x, bound));
        return;
      case 'not':
      case 'neg':
      case 'pos':
        this.expr(e.a, bound);
        return;
      case 'and':
      case 'or':
      case 'bin':
        this.expr(e.a, bound);
        this.expr(e.b, bound);
        return;
      case 'cmp':
        this.expr(e.first, bound);
        e.rest.forEach((r) => this.expr(r.e, bound));
        return;
      case 'cond':
        [e.test, e.then, e.else].forEach((x) => this.expr(x, bound));
        return;
      case 'filter':
      case 'test':
        this.expr(e.a, bound);
        e.args.forEach((a) => this.expr(a, bound));
        e.kwargs.forEach(([, a]) => this.expr(a, bound));
        return;
      case 'call': {
        const fn = e.fn;
        if (fn.k === 'attr')
          this.expr(fn.obj, bound); // a method: its object is read
        else if (fn.k === 'var') {
          if (!bound.has(fn.name) && !FUNCTIONS.has(fn.name)) this.add(fn.name, []);
          // lookup('vars', 'x') reads x.
          const [plugin, ...terms] = e.args;
          if ((fn.name === 'lookup' || fn.name === 'query' || fn.name === 'q') && plugin?.k === 'lit') {
            if (plugin.v === 'vars') for (const t of terms) if (t.k === 'lit' && typeof t.v === 'string') this.add(t.v, []);
            // lookup('template', f) renders f with every variable in scope.
            if (plugin.v === 'template') this.add(ANY_VARIABLE, []);
          } else if (fn.name === 'lookup' || fn.name === 'query' || fn.name === 'q') this.add(ANY_VARIABLE, []);
        } else this.expr(fn, bound);
        e.args.forEach((a) => this.expr(a, bound));
        e.kwargs.forEach(([, a]) => this.expr(a, bound));
        return;
      }
    }
  }

  nodes(nodes: Node[], bound: Set<string>): void {
    for (const n of nodes) this.node(n, bound);
  }

  private node(n: Node, bound: Set<string>): void {
    switch (n.k) {
      case 'text':
        return;
      case 'out':
        this.expr(n.e, bound);
        return;
      case 'if':
        for (const b of n.branches) {
          this.expr(b.test, bound);
          this.nodes(b.body, bound);
        }
        if (n.else) this.nodes(n.else, bound);
        return;
      case 'for': {
        this.expr(n.iter, bound);
        const inner = new Set([...bound, 'loop', ...names(n.target)]);
        this.expr(n.filter, inner);
        this.nodes(n.body, inner);
        if (n.else) this.nodes(n.else, bound);
        return;
      }
      case 'set':
        this.expr(n.value, bound);
        if (n.target.k === 'nsattr') this.chain({ k: 'var', name: n.target.name, pos: 0 }, bound);
        else names(n.target).forEach((x) => bound.add(x));
        return;
      case 'setblock':
        this.nodes(n.body, bound);
        this.filters(n.filters, bound);
        names(n.target).forEach((x) => bound.add(x));
        return;
      case 'macro': {
        bound.add(n.name);
        n.params.forEach((p) => this.expr(p.default, bound));
        this.nodes(n.body, new Set([...bound, 'caller', 'varargs', 'kwargs', ...n.params.map((p) => p.name)]));
        return;
      }
      case 'callblock':
        this.expr(n.call, bound);
        this.nodes(n.body, new Set([...bound, ...n.params.map((p) => p.name)]));
        return;
      case 'include':
        // The included file reads what it reads, with this template's variables.
        this.expr(n.template, bound);
        this.add(ANY_VARIABLE, []);
        return;
      case 'filterblock':
        this.filters(n.filters, bound);
        this.nodes(n.body, bound);
        return;
      case 'with': {
        const inner = new Set(bound);
        for (const a of n.assigns) {
          this.expr(a.value, bound);
          names(a.target).forEach((x) => inner.add(x));
        }
        this.nodes(n.body, inner);
        return;
      }
    }
  }

  private filters(fs: { args: Expr[]; kwargs: [string, Expr][] }[], bound: Set<string>): void {
    for (const f of fs) {
      f.args.forEach((a) => this.expr(a, bound));
      f.kwargs.forEach(([, a]) => this.expr(a, bound));
    }
  }
}

function names(t: Target): string[] {
  if (t.k === 'name') return [t.name];
  if (t.k === 'nsattr') return [];
  return t.items.flatMap(names);
}

function walkText(text: string, kind: 'value' | 'file', c: Collector): void {
  try {
    c.nodes(parse(text, kind).nodes, new Set());
  } catch {
    // Not a valid template: rendering reports it, with its position; until then nothing can be said.
    c.add(ANY_VARIABLE, []);
  }
}

function walkValue(value: unknown, c: Collector): void {
  if (typeof value === 'string') {
    if (hasTemplate(value)) walkText(value, 'value', c);
    return;
  }
  if (Array.isArray(value)) value.forEach((v) => walkValue(v, c));
  else if (value !== null && typeof value === 'object' && !(value instanceof PyFloat)) Object.values(value).forEach((v) => walkValue(v, c));
}

/** The variables a raw value (kind 'value': task parameters, loop, variables) or a condition
 * (kind 'condition': when, changed_when, failed_when; a string, boolean or list) reads. */
export function freeVariables(value: unknown, kind: 'value' | 'condition'): VarRef[] {
  const c = new Collector();
  if (kind === 'condition') {
    for (const cond of Array.isArray(value) ? value : [value]) {
      if (typeof cond !== 'string') continue;
      if (/\{\{|\{%/.test(cond)) {
        walkValue(cond, c);
        // Rendered, then (unless it is a lone {{ x }}) evaluated: the rendered text can name anything.
        if (!/^\{\{[^{}]*\}\}$/.test(cond.trim())) c.add(ANY_VARIABLE, []);
      } else {
        try {
          c.expr(parseCondition(cond), new Set());
        } catch {
          // A syntax error is reported when the condition is evaluated.
          c.add(ANY_VARIABLE, []);
        }
      }
    }
  } else walkValue(value, c);
  return c.result();
}

/** The variables a template file reads: .hbs as handlebars, anything else as Jinja. An
 * unreadable file reads nothing here: rendering it fails loudly anyway. */
export function freeVariablesInFile(file: string): VarRef[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  if (extname(file) === '.hbs') return freeVariablesHandlebars(text);
  const c = new Collector();
  walkText(text, 'file', c);
  return c.result();
}

/** The variables a handlebars (.hbs) template's text reads. */
export function freeVariablesHandlebars(text: string): VarRef[] {
  const out = new Refs();
  templateRefs(text, out);
  return out.list();
}

/** Collected references, without duplicates. */
class Refs {
  private readonly seen = new Map<string, VarRef>();
  add(r: VarRef): void {
    const key = [r.name, ...r.path].join('\0');
    if (!this.seen.has(key)) this.seen.set(key, { name: r.name, path: [...r.path] });
  }
  list(): VarRef[] {
    return [...this.seen.values()];
  }
}

/** A reference a handlebars expression evaluates to, when it is a variable with a constant path. */
interface Ref extends VarRef {
  /** False once a part was dynamic: nothing may be appended any more. */
  exact: boolean;
}

// ---- handlebars ------------------------------------------------------------------------------

/* Minimal shapes of handlebars' AST nodes. */
interface HbNode {
  type: string;
  [k: string]: unknown;
}
interface PathNode extends HbNode {
  data: boolean;
  depth: number;
  parts: string[];
  original: string;
}
interface CallNode extends HbNode {
  path: HbNode;
  params: HbNode[];
  hash?: { pairs: { key: string; value: HbNode }[] };
}
interface BlockNode extends CallNode {
  program?: { body: HbNode[]; blockParams?: string[] };
  inverse?: { body: HbNode[] };
}

/** What `this` is inside a block: the top-level variables, or a value reached from a ref. */
type Frame =
  { root: true; params: Map<string, Ref | undefined> } | { root: false; self: Ref | undefined; params: Map<string, Ref | undefined> };

function templateRefs(text: string, out: Refs): void {
  let ast: { body: HbNode[] };
  try {
    ast = Handlebars.parseWithoutProcessing(text) as unknown as { body: HbNode[] };
  } catch {
    // A syntax error fails loudly when rendered; until then nothing can be said.
    out.add({ name: ANY_VARIABLE, path: [] });
    return;
  }
  const hb = new HbWalker(out);
  hb.body(ast.body, [{ root: true, params: new Map() }]);
}

class HbWalker {
  constructor(private readonly out: Refs) {}

  body(nodes: HbNode[], frames: Frame[]): void {
    for (const n of nodes) this.statement(n, frames);
  }

  private statement(n: HbNode, frames: Frame[]): void {
    if (n.type === 'MustacheStatement') this.use(this.call(n as CallNode, frames));
    else if (n.type === 'BlockStatement') this.block(n as BlockNode, frames);
    // ContentStatement, CommentStatement read nothing; partials are refused when rendered.
  }

  /** {{x}}, {{helper a b k=v}}, (helper a b): the variable it is, when it is one (or a lookup
   * into one); the helper's arguments are read. */
  private call(n: CallNode, frames: Frame[]): Ref | undefined {
    const path = n.path as PathNode;
    // A lone {{name}} is always the variable, even when a helper has that name (render.ts).
    if (n.params.length === 0 && (n.hash?.pairs.length ?? 0) === 0) return this.expr(n.path, frames);
    for (const pair of n.hash?.pairs ?? []) this.use(this.expr(pair.value, frames));
    if (path.original === 'lookup' && n.params.length === 2) {
      // lookup obj "key" is obj.key when both are known; else a part of obj.
      const obj = this.expr(n.params[0], frames);
      const key = n.params[1];
      const lit = key.type === 'StringLiteral' || key.type === 'NumberLiteral' ? String(key.value) : undefined;
      if (lit === undefined) this.use(this.expr(key, frames));
      if (!obj) return undefined;
      return lit !== undefined && obj.exact ? { ...obj, path: [...obj.path, lit] } : { ...obj, exact: false };
    }
    for (const p of n.params) this.use(this.expr(p, frames));
    return undefined;
  }

  private block(n: BlockNode, frames: Frame[]): void {
    const name = (n.path as PathNode).original;
    const args = n.params.map((p) => this.expr(p, frames));
    args.forEach((a) => this.use(a));
    for (const pair of n.hash?.pairs ?? []) this.use(this.expr(pair.value, frames));
    const blockParams = n.program?.blockParams ?? [];
    let inner = frames;
    if (name === 'each') {
      // The body runs once per element: what it reads is part of the list (index unknown).
      const element = args[0] && { ...args[0], exact: false };
      inner = [...frames, { root: false, self: element, params: new Map(blockParams.map((p, i) => [p, i === 0 ? element : undefined])) }];
    } else if (name === 'with') {
      inner = [...frames, { root: false, self: args[0], params: new Map(blockParams.map((p, i) => [p, i === 0 ? args[0] : undefined])) }];
    }
    if (n.program) this.body(n.program.body, inner);
    // {{else}} runs in the enclosing context.
    if (n.inverse) this.body(n.inverse.body, frames);
  }

  private use(r: Ref | undefined): void {
    if (r) this.out.add(r);
  }

  private expr(n: HbNode, frames: Frame[]): Ref | undefined {
    if (n.type === 'SubExpression') return this.call(n as CallNode, frames);
    if (n.type !== 'PathExpression') return undefined;
    const p = n as PathNode;
    if (p.data) {
      // @root.x is a top-level variable; @index, @key, @first, @last are the loop's own.
      if (p.parts[0] !== 'root') return undefined;
      return this.fromRoot(p.parts.slice(1));
    }
    const parts = p.parts;
    const isThis = /^(this|\.)([./]|$)/.test(p.original);
    if (p.depth === 0 && !isThis && parts.length > 0) {
      for (let i = frames.length - 1; i >= 0; i--) {
        const f = frames[i];
        if (f.params.has(parts[0])) return this.extend(f.params.get(parts[0]), parts.slice(1));
      }
    }
    // ../ climbs one context-changing block per step.
    const frame = frames[Math.max(0, frames.length - 1 - p.depth)];
    if (frame.root) return this.fromRoot(parts);
    return this.extend(frame.self, parts);
  }

  private fromRoot(parts: string[]): Ref {
    if (parts.length === 0) return { name: ANY_VARIABLE, path: [], exact: false };
    return { name: parts[0], path: parts.slice(1), exact: true };
  }

  /** A path below a known value (a #with's subject, a loop element). */
  private extend(base: Ref | undefined, parts: string[]): Ref | undefined {
    if (!base) return undefined;
    return base.exact ? { ...base, path: [...base.path, ...parts] } : base;
  }
}
