// Which variables a value, a condition or a template file reads, from their syntax trees
// (handlebars' AST, the expression AST), before anything is rendered. The engine decides
// from this what a task waits for and what it can probe early. It errs on the side of
// reading more: a name that is read must be listed; listing one that is not only costs a wait.
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import type { Expr } from './expr/ast.js';
import { parseExpression } from './expr/parser.js';

/** One variable read: its name and the constant attribute path after it, cut at the first
 * part only known when rendering: hostvars['lab1'].x -> {hostvars, [lab1, x]};
 * hostvars[item].x -> {hostvars, []} and {item, []}. */
export interface VarRef {
  name: string;
  path: string[];
}

/** Stands for "any variable": a construct whose reads cannot be known from its text (a
 * condition that is rendered and then evaluated, `{{json this}}` at the top). */
export const ANY_VARIABLE = '*';

/** What the variables of a YAML value ('value': strings may hold {{ }}) or of a condition
 * (when, changed_when, failed_when: an expression, a boolean or a list of them) are. */
export function freeVariables(value: unknown, kind: 'value' | 'condition'): VarRef[] {
  const out = new Refs();
  if (kind === 'condition') conditionRefs(value, out);
  else valueRefs(value, out);
  return out.list();
}

/** The variables a template file reads (handlebars, .hbs). An unreadable file reads nothing
 * here: rendering it fails loudly anyway. */
export function freeVariablesInFile(file: string): VarRef[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
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

function valueRefs(value: unknown, out: Refs): void {
  if (typeof value === 'string') {
    if (value.includes('{{')) templateRefs(value, out);
  } else if (Array.isArray(value)) {
    for (const v of value) valueRefs(v, out);
  } else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) valueRefs(v, out);
  }
}

function conditionRefs(cond: unknown, out: Refs): void {
  if (Array.isArray(cond)) {
    for (const c of cond) conditionRefs(c, out);
    return;
  }
  if (typeof cond !== 'string') return;
  if (cond.includes('{{')) {
    // Rendered, then (unless it is a lone {{ x }}) evaluated: the rendered text can name anything.
    templateRefs(cond, out);
    if (!/^\{\{[^{}]*\}\}$/.test(cond.trim())) out.add({ name: ANY_VARIABLE, path: [] });
    return;
  }
  let expr: Expr;
  try {
    expr = parseExpression(cond);
  } catch {
    // Not valid: evaluating it fails loudly; nothing is read before that.
    return;
  }
  useExpr(expr, out);
}

// ---- expressions ---------------------------------------------------------------------------

/** A reference the expression evaluates to, when it is a variable with a constant path. */
interface Ref extends VarRef {
  /** False once a part was dynamic: nothing may be appended any more. */
  exact: boolean;
}

/** An expression whose value is used: the variable it is, if any, is read. */
function useExpr(e: Expr, out: Refs): void {
  const r = exprRef(e, out);
  if (r) out.add(r);
}

/** The variable (with its constant path) an expression is, without recording it: of
 * `a.b.c`, only the whole path is read, not `a` on its own. Other reads inside are recorded. */
function exprRef(e: Expr, out: Refs): Ref | undefined {
  switch (e.k) {
    case 'lit':
      return undefined;
    case 'var':
      return { name: e.name, path: [], exact: true };
    case 'attr': {
      const obj = exprRef(e.obj, out);
      const key = e.key.k === 'lit' && (typeof e.key.v === 'string' || typeof e.key.v === 'number') ? String(e.key.v) : undefined;
      if (key === undefined) useExpr(e.key, out);
      if (!obj) return undefined;
      return key !== undefined && obj.exact ? { ...obj, path: [...obj.path, key] } : { ...obj, exact: false };
    }
    case 'list':
      e.items.forEach((i) => useExpr(i, out));
      return undefined;
    case 'not':
    case 'neg':
      useExpr(e.a, out);
      return undefined;
    case 'and':
    case 'or':
    case 'math':
      useExpr(e.a, out);
      useExpr(e.b, out);
      return undefined;
    case 'cmp':
      useExpr(e.first, out);
      e.rest.forEach((r) => useExpr(r.e, out));
      return undefined;
    case 'filter':
    case 'test':
      useExpr(e.a, out);
      e.args.forEach((a) => useExpr(a, out));
      return undefined;
  }
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
type Frame = { root: true; params: Map<string, Ref | undefined> } | { root: false; self: Ref | undefined; params: Map<string, Ref | undefined> };

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
