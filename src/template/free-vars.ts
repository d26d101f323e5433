// Which variables a raw value reads, from the parsed templates (no regex over text): the
// engine computes each task's reads once from this. A reference carries the constant part
// of its attribute path, cut at the first dynamic part:
//   hostvars['lab1'].x -> { name: 'hostvars', path: ['lab1', 'x'] }
//   hostvars[item].x   -> { name: 'hostvars', path: [] } and { name: 'item', path: [] }
// Names a template binds itself (set, for, macro parameters, loop) are not free, and
// neither are the functions fleet provides (range, lookup...). `vars.x` reads x.
import Handlebars from 'handlebars';
import type { Expr, Node, Target } from './jinja/ast.js';
import { GLOBALS } from './jinja/globals.js';
import { parse, parseCondition } from './jinja/render.js';
import { hasTemplate } from './lazy/lazy.js';
import { PyFloat } from './values/float.js';

export interface VarRef {
  name: string;
  path: string[];
}

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
          if ((fn.name === 'lookup' || fn.name === 'query' || fn.name === 'q') && plugin?.k === 'lit' && plugin.v === 'vars') {
            for (const t of terms) if (t.k === 'lit' && typeof t.v === 'string') this.add(t.v, []);
          }
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
        this.expr(n.template, bound);
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

function walkValue(value: unknown, c: Collector): void {
  if (typeof value === 'string') {
    if (!hasTemplate(value)) return;
    try {
      c.nodes(parse(value, 'value').nodes, new Set());
    } catch {
      // Not a valid template: rendering reports it, with its position.
    }
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
      if (/\{\{|\{%/.test(cond)) walkValue(cond, c);
      else {
        try {
          c.expr(parseCondition(cond), new Set());
        } catch {
          // A syntax error is reported when the condition is evaluated.
        }
      }
    }
  } else walkValue(value, c);
  return c.result();
}

/* Minimal handlebars AST shapes. */
interface HbNode {
  type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- handlebars' AST nodes carry many node-specific fields
  [k: string]: any;
}

/** The variables a handlebars (.hbs) template reads: paths at the template's top level, and
 * parent paths (../x) or @root.x that reach it from inside #each / #with. */
export function freeVariablesHandlebars(text: string): VarRef[] {
  const c = new Collector();
  let ast: HbNode;
  try {
    ast = Handlebars.parseWithoutProcessing(text) as unknown as HbNode;
  } catch {
    return [];
  }
  const path = (p: HbNode, level: number, params: Set<string>): void => {
    if (p.type === 'SubExpression') return call(p, level, params);
    if (p.type !== 'PathExpression') return;
    const parts = (p.parts as string[]).map(String);
    if (p.data) {
      if (parts[0] === 'root' && parts.length > 1) c.add(parts[1], parts.slice(2));
      return;
    }
    if (!parts.length || params.has(parts[0])) return;
    // depth counts ../: the path is read from the context that many blocks up.
    if (level - (p.depth as number) === 0) c.add(parts[0], parts.slice(1));
  };
  const call = (n: HbNode, level: number, params: Set<string>): void => {
    for (const a of n.params ?? []) path(a, level, params);
    for (const pair of n.hash?.pairs ?? []) path(pair.value, level, params);
  };
  const program = (prog: HbNode | undefined, level: number, params: Set<string>): void => {
    for (const s of prog?.body ?? []) statement(s, level, params);
  };
  const statement = (s: HbNode, level: number, params: Set<string>): void => {
    if (s.type === 'MustacheStatement') {
      const hasArgs = s.params.length > 0 || (s.hash && s.hash.pairs.length > 0);
      if (hasArgs) call(s, level, params);
      else path(s.path, level, params);
    } else if (s.type === 'BlockStatement') {
      const hasArgs = s.params.length > 0 || (s.hash && s.hash.pairs.length > 0);
      const helper = hasArgs ? (s.path.parts?.[0] as string) : undefined;
      if (hasArgs) call(s, level, params);
      else path(s.path, level, params);
      // #each, #with and sections change the context; #if / #unless do not.
      const changes = !hasArgs || helper === 'each' || helper === 'with';
      const inner = new Set([...params, ...((s.program?.blockParams as string[] | undefined) ?? [])]);
      program(s.program, changes ? level + 1 : level, inner);
      program(s.inverse, level, params);
    }
  };
  program(ast, 0, new Set());
  return c.result();
}
