// Jinja's parser, after jinja2/parser.py: precedence (lowest first) conditional
// expression, or, and, not, comparisons, + -, ~, * / // %, **, unary - +, then postfix
// (a.b a[b] a(...)) with filters (|f) and tests (is t). Statements: if, for, set, macro,
// call, include, filter, with ({% raw %} is the lexer's).
import type { Expr, FilterCall, Kwargs, Node, Param, Target } from './ast.js';
import { makeFloat } from '../values/float.js';
import { JinjaSyntaxError, lexExpression, lexTemplate, type LexOptions, type Token } from './lexer.js';

const COMPARE = new Set(['==', '!=', '<', '<=', '>', '>=']);
const CONSTANTS: Record<string, unknown> = { true: true, True: true, false: false, False: false, none: null, None: null };

/** Tags fleet does not support, with what to do instead. */
const UNSUPPORTED_TAGS: Record<string, string> = {
  extends: 'template inheritance ({% extends %}/{% block %}) is not supported: use {% include %}',
  block: 'template inheritance ({% extends %}/{% block %}) is not supported: use {% include %}',
  import: '{% import %} is not supported: define the macro in this template, or {% include %} a template',
  from: '{% from ... import %} is not supported: define the macro in this template, or {% include %} a template',
  do: "the 'do' extension is not enabled (as in Ansible): write {% set _ = ... %}",
  break: "loop controls ('break') are not enabled (as in Ansible): filter the loop instead ({% for x in xs if ... %})",
  continue: "loop controls ('continue') are not enabled (as in Ansible): filter the loop instead ({% for x in xs if ... %})",
  autoescape: '{% autoescape %} is not supported: templates render text, without HTML escaping',
};

function describe(t: Token): string {
  switch (t.t) {
    case 'eof':
      return 'the end of the text';
    case 'var_end':
      return "'}}'";
    case 'block_end':
      return "'%}'";
    case 'data':
      return 'template text';
    case 'var_begin':
      return "'{{'";
    case 'block_begin':
      return "'{%'";
    case 'str':
      return `'${JSON.stringify(t.v)}'`;
    default:
      return `'${String(t.v)}'`;
  }
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  // ---- token stream ----------------------------------------------------------------
  private get cur(): Token {
    return this.toks[this.i];
  }
  private look(o = 1): Token {
    return this.toks[Math.min(this.i + o, this.toks.length - 1)];
  }
  private next(): Token {
    const t = this.toks[this.i];
    if (t.t !== 'eof') this.i++;
    return t;
  }
  private isOp(v: string, t: Token = this.cur): boolean {
    return t.t === 'op' && t.v === v;
  }
  private isName(v: string, t: Token = this.cur): boolean {
    return t.t === 'name' && t.v === v;
  }
  private fail(msg: string, t: Token = this.cur): never {
    throw new JinjaSyntaxError(msg, t.pos);
  }
  private expectOp(v: string, what = `'${v}'`): Token {
    if (!this.isOp(v)) this.fail(`expected ${what}, found ${describe(this.cur)}`);
    return this.next();
  }
  private expectName(v?: string): Token & { t: 'name' } {
    const t = this.cur;
    if (t.t !== 'name' || (v !== undefined && t.v !== v)) this.fail(`expected ${v ? `'${v}'` : 'a name'}, found ${describe(t)}`);
    return this.next() as Token & { t: 'name' };
  }
  private expect(type: 'block_end' | 'var_end' | 'eof'): Token {
    if (this.cur.t !== type) {
      const want = type === 'block_end' ? "'%}'" : type === 'var_end' ? "'}}'" : 'the end of the expression';
      this.fail(`expected ${want}, found ${describe(this.cur)}`);
    }
    return this.next();
  }

  // ---- expressions ---------------------------------------------------------------------
  expression(withCond = true): Expr {
    return withCond ? this.condexpr() : this.or();
  }

  private condexpr(): Expr {
    let e = this.or();
    while (this.isName('if')) {
      const pos = this.next().pos;
      const test = this.or();
      let other: Expr | undefined;
      if (this.isName('else')) {
        this.next();
        other = this.condexpr();
      }
      e = { k: 'cond', test, then: e, else: other, pos };
    }
    return e;
  }

  private or(): Expr {
    let a = this.and();
    while (this.isName('or')) {
      const pos = this.next().pos;
      a = { k: 'or', a, b: this.and(), pos };
    }
    return a;
  }

  private and(): Expr {
    let a = this.not();
    while (this.isName('and')) {
      const pos = this.next().pos;
      a = { k: 'and', a, b: this.not(), pos };
    }
    return a;
  }

  private not(): Expr {
    if (this.isName('not')) {
      const pos = this.next().pos;
      return { k: 'not', a: this.not(), pos };
    }
    return this.compare();
  }

  private compare(): Expr {
    const first = this.math1();
    const rest: { op: string; e: Expr; pos: number }[] = [];
    for (;;) {
      const t = this.cur;
      let op: string;
      if (t.t === 'op' && COMPARE.has(t.v)) {
        op = t.v;
        this.next();
      } else if (this.isName('in')) {
        op = 'in';
        this.next();
      } else if (this.isName('not') && this.isName('in', this.look())) {
        op = 'not in';
        this.next();
        this.next();
      } else break;
      rest.push({ op, e: this.math1(), pos: t.pos });
    }
    return rest.length ? { k: 'cmp', first, rest, pos: first.pos } : first;
  }

  private math1(): Expr {
    let a = this.concat();
    while (this.isOp('+') || this.isOp('-')) {
      const t = this.next() as { v: string; pos: number };
      a = { k: 'bin', op: t.v, a, b: this.concat(), pos: t.pos };
    }
    return a;
  }

  private concat(): Expr {
    let a = this.math2();
    while (this.isOp('~')) {
      const pos = this.next().pos;
      a = { k: 'bin', op: '~', a, b: this.math2(), pos };
    }
    return a;
  }

  private math2(): Expr {
    let a = this.pow();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const t = this.next() as { v: string; pos: number };
      a = { k: 'bin', op: t.v, a, b: this.pow(), pos: t.pos };
    }
    return a;
  }

  private pow(): Expr {
    let a = this.unary();
    while (this.isOp('**')) {
      const pos = this.next().pos;
      a = { k: 'bin', op: '**', a, b: this.unary(), pos };
    }
    return a;
  }

  private unary(withFilter = true): Expr {
    let e: Expr;
    if (this.isOp('-') || this.isOp('+')) {
      const t = this.next() as { v: string; pos: number };
      e = { k: t.v === '-' ? 'neg' : 'pos', a: this.unary(false), pos: t.pos };
    } else {
      e = this.primary();
    }
    e = this.postfix(e);
    return withFilter ? this.filterExpr(e) : e;
  }

  private primary(): Expr {
    const t = this.cur;
    switch (t.t) {
      case 'name': {
        this.next();
        if (Object.prototype.hasOwnProperty.call(CONSTANTS, t.v)) return { k: 'lit', v: CONSTANTS[t.v], pos: t.pos };
        if (['and', 'or', 'not', 'in', 'is', 'if', 'else'].includes(t.v)) this.fail(`expected a value, found '${t.v}'`, t);
        return { k: 'var', name: t.v, pos: t.pos };
      }
      case 'str': {
        // Adjacent string literals are one string, as in Python.
        let v = '';
        while (this.cur.t === 'str') v += (this.next() as { v: string }).v;
        return { k: 'lit', v, pos: t.pos };
      }
      case 'num':
        this.next();
        return { k: 'lit', v: t.float ? makeFloat(t.v) : t.v, pos: t.pos };
      case 'op':
        if (t.v === '(') {
          this.next();
          const e = this.tuple({ explicitParens: true });
          this.expectOp(')');
          return e;
        }
        if (t.v === '[') {
          this.next();
          return { k: 'list', items: this.items(']'), pos: t.pos };
        }
        if (t.v === '{') {
          this.next();
          const items: [Expr, Expr][] = [];
          while (!this.isOp('}')) {
            if (items.length) {
              this.expectOp(',');
              if (this.isOp('}')) break;
            }
            const key = this.expression();
            this.expectOp(':');
            items.push([key, this.expression()]);
          }
          this.next();
          return { k: 'dict', items, pos: t.pos };
        }
    }
    return this.fail(
      t.t === 'eof' || t.t === 'var_end' || t.t === 'block_end'
        ? `expected a value, but found ${describe(t)}`
        : `expected a value, found ${describe(t)}`,
    );
  }

  /** Comma separated expressions up to `close` (past the opener), trailing comma allowed. */
  private items(close: string): Expr[] {
    const items: Expr[] = [];
    while (!this.isOp(close)) {
      if (items.length) {
        this.expectOp(',', `',' or '${close}'`);
        if (this.isOp(close)) break;
      }
      items.push(this.expression());
    }
    this.next();
    return items;
  }

  /** Jinja's parse_tuple: one expression, or several separated by commas (a tuple). */
  tuple(opts: { withCond?: boolean; explicitParens?: boolean; endNames?: string[] } = {}): Expr {
    const items: Expr[] = [];
    let isTuple = false;
    const pos = this.cur.pos;
    for (;;) {
      if (items.length) this.expectOp(',');
      const c = this.cur;
      if (c.t === 'var_end' || c.t === 'block_end' || c.t === 'eof' || this.isOp(')') || (c.t === 'name' && opts.endNames?.includes(c.v)))
        break;
      items.push(this.expression(opts.withCond ?? true));
      if (this.isOp(',')) isTuple = true;
      else break;
    }
    if (!isTuple) {
      if (items.length) return items[0];
      if (!opts.explicitParens) this.fail(`expected an expression, found ${describe(this.cur)}`);
    }
    return { k: 'tuple', items, pos };
  }

  private postfix(e: Expr): Expr {
    for (;;) {
      if (this.isOp('.')) {
        const dot = this.next();
        const t = this.next();
        if (t.t === 'name') e = { k: 'attr', obj: e, name: t.v, pos: dot.pos };
        else if (t.t === 'num' && !t.float) e = { k: 'attr', obj: e, name: t.v, pos: dot.pos };
        else this.fail(`expected a name after '.', found ${describe(t)}`, t);
      } else if (this.isOp('[')) {
        const open = this.next();
        e = this.subscript(e, open.pos);
      } else if (this.isOp('(')) {
        e = this.call(e);
      } else return e;
    }
  }

  private subscript(obj: Expr, pos: number): Expr {
    const part = (): Expr | undefined => (this.isOp(':') || this.isOp(']') ? undefined : this.expression());
    const start = part();
    if (this.isOp(':')) {
      this.next();
      const stop = part();
      let step: Expr | undefined;
      if (this.isOp(':')) {
        this.next();
        step = part();
      }
      this.expectOp(']');
      return { k: 'slice', obj, start, stop, step, pos };
    }
    if (!start) this.fail(`expected an index, found ${describe(this.cur)}`);
    let key = start;
    if (this.isOp(',')) {
      const items = [start];
      while (this.isOp(',')) {
        this.next();
        if (this.isOp(']')) break;
        items.push(this.expression());
      }
      key = { k: 'tuple', items, pos: start.pos };
    }
    this.expectOp(']');
    return { k: 'item', obj, key, pos };
  }

  private callArgs(): { args: Expr[]; kwargs: Kwargs } {
    this.expectOp('(');
    const args: Expr[] = [];
    const kwargs: Kwargs = [];
    while (!this.isOp(')')) {
      if (args.length || kwargs.length) {
        this.expectOp(',', "',' or ')'");
        if (this.isOp(')')) break;
      }
      if (this.isOp('*') || this.isOp('**')) this.fail('*args and **kwargs in calls are not supported');
      const t = this.cur;
      if (t.t === 'name' && this.isOp('=', this.look())) {
        this.next();
        this.next();
        kwargs.push([t.v, this.expression()]);
      } else {
        if (kwargs.length) this.fail('a positional argument cannot follow a keyword argument');
        args.push(this.expression());
      }
    }
    this.next();
    return { args, kwargs };
  }

  private call(fn: Expr): Expr {
    const pos = this.cur.pos;
    const { args, kwargs } = this.callArgs();
    return { k: 'call', fn, args, kwargs, pos };
  }

  /** A dotted name: filter and test names may be written ansible.builtin.name. */
  private dottedName(after: string): { name: string; pos: number } {
    const t = this.cur;
    if (t.t !== 'name') this.fail(`expected a ${after === '|' ? 'filter' : 'test'} name after '${after}', found ${describe(t)}`);
    this.next();
    let name = t.v;
    while (this.isOp('.') && this.look().t === 'name') {
      this.next();
      name += '.' + (this.next() as { v: string }).v;
    }
    return { name, pos: t.pos };
  }

  private filterCall(): FilterCall {
    const { name, pos } = this.dottedName('|');
    const { args, kwargs } = this.isOp('(') ? this.callArgs() : { args: [], kwargs: [] };
    return { name, args, kwargs, pos };
  }

  private filterExpr(e: Expr): Expr {
    for (;;) {
      if (this.isOp('|')) {
        this.next();
        const f = this.filterCall();
        e = { k: 'filter', name: f.name, a: e, args: f.args, kwargs: f.kwargs, pos: f.pos };
      } else if (this.isName('is')) {
        this.next();
        let negate = false;
        if (this.isName('not')) {
          this.next();
          negate = true;
        }
        const { name, pos } = this.dottedName('is');
        let args: Expr[] = [];
        let kwargs: Kwargs = [];
        const c = this.cur;
        if (this.isOp('(')) ({ args, kwargs } = this.callArgs());
        else if (
          (c.t === 'name' || c.t === 'str' || c.t === 'num' || this.isOp('[') || this.isOp('{')) &&
          !['else', 'or', 'and', 'if'].includes(String((c as { v?: unknown }).v))
        ) {
          // `x is divisibleby 3`, `x is sameas false`: one argument without parentheses.
          if (this.isName('is')) this.fail("expected a test argument, found 'is'");
          args = [this.postfix(this.primary())];
        }
        // `x is none` / `x is true`: test names that are also literal words.
        e = {
          k: 'test',
          name: name === 'None' ? 'none' : name === 'True' ? 'true' : name === 'False' ? 'false' : name,
          a: e,
          args,
          kwargs,
          negate,
          pos,
        };
      } else if (this.isOp('(')) {
        e = this.call(e);
      } else return e;
    }
  }

  /** The whole text must have been one expression. */
  end(): void {
    if (this.cur.t !== 'eof') this.fail(`expected the end of the expression, found ${describe(this.cur)}`);
  }

  // ---- statements ----------------------------------------------------------------------
  template(): Node[] {
    const body = this.subparse([]);
    if (this.cur.t !== 'eof') this.fail(`unexpected ${describe(this.cur)}`);
    return body;
  }

  /** Nodes up to a {% tag %} whose name is in `end` (left as the current token). */
  private subparse(end: string[]): Node[] {
    const body: Node[] = [];
    for (;;) {
      const t = this.cur;
      if (t.t === 'eof') return body;
      if (t.t === 'data') {
        this.next();
        body.push({ k: 'text', v: t.v, pos: t.pos });
      } else if (t.t === 'var_begin') {
        this.next();
        if (this.cur.t === 'var_end') this.fail('expected an expression inside {{ }}');
        const e = this.tuple();
        this.expect('var_end');
        body.push({ k: 'out', e, pos: t.pos });
      } else if (t.t === 'block_begin') {
        this.next();
        const name = this.cur;
        if (name.t === 'name' && end.includes(name.v)) return body;
        body.push(this.statement());
        this.expect('block_end');
      } else {
        this.fail(`unexpected ${describe(t)}`);
      }
    }
  }

  /** After the header of a block statement: its body up to one of `end`. */
  private statements(end: string[], opener: string, pos: number, dropNeedle = false): Node[] {
    this.expect('block_end');
    const body = this.subparse(end);
    if (this.cur.t === 'eof') {
      throw new JinjaSyntaxError(
        `unexpected end of template: this {% ${opener} %} was never closed (expected ${end.map((e) => `{% ${e} %}`).join(' or ')})`,
        pos,
      );
    }
    if (dropNeedle) this.next();
    return body;
  }

  private statement(): Node {
    const t = this.cur;
    if (t.t !== 'name') this.fail(`expected a tag name after '{%', found ${describe(t)}`);
    const pos = t.pos;
    switch (t.v) {
      case 'if':
        return this.ifStatement(pos);
      case 'for':
        return this.forStatement(pos);
      case 'set':
        return this.setStatement(pos);
      case 'macro':
        return this.macroStatement(pos);
      case 'call':
        return this.callStatement(pos);
      case 'include':
        return this.includeStatement(pos);
      case 'filter': {
        this.next();
        const filters = this.filterChain();
        return { k: 'filterblock', filters, body: this.statements(['endfilter'], 'filter', pos, true), pos };
      }
      case 'with':
        return this.withStatement(pos);
    }
    if (Object.prototype.hasOwnProperty.call(UNSUPPORTED_TAGS, t.v)) this.fail(UNSUPPORTED_TAGS[t.v]);
    if (/^(end\w+|elif|else)$/.test(t.v)) this.fail(`unexpected {% ${t.v} %}: there is no open block it could close`);
    return this.fail(`unknown tag '${t.v}' (tags: if, for, set, macro, call, include, filter, with, raw)`);
  }

  private filterChain(): FilterCall[] {
    const filters = [this.filterCall()];
    while (this.isOp('|')) {
      this.next();
      filters.push(this.filterCall());
    }
    return filters;
  }

  private ifStatement(pos: number): Node {
    this.next();
    const branches: { test: Expr; body: Node[] }[] = [];
    let elseBody: Node[] | undefined;
    for (;;) {
      const test = this.tuple({ withCond: false });
      const body = this.statements(['elif', 'else', 'endif'], 'if', pos);
      branches.push({ test, body });
      const tag = this.next() as { v: string };
      if (tag.v === 'elif') continue;
      if (tag.v === 'else') elseBody = this.statements(['endif'], 'if', pos, true);
      break;
    }
    return { k: 'if', branches, else: elseBody, pos };
  }

  /** Names, possibly a tuple of them: `k, v` or `(k, v)`; with ns.attr for set. */
  private target(withNamespace: boolean): Target {
    const one = (): Target => {
      const t = this.cur;
      if (this.isOp('(')) {
        this.next();
        const inner = this.targetList();
        this.expectOp(')');
        return inner;
      }
      const n = this.expectName();
      if (['true', 'false', 'none', 'True', 'False', 'None'].includes(n.v)) this.fail(`cannot assign to '${n.v}'`, t);
      if (withNamespace && this.isOp('.')) {
        this.next();
        const attr = this.expectName();
        return { k: 'nsattr', name: n.v, attr: attr.v, pos: n.pos };
      }
      return { k: 'name', name: n.v, pos: n.pos };
    };
    const first = one();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.isOp(',')) {
      this.next();
      if (this.isName('in') || this.isOp('=')) break;
      items.push(one());
    }
    return { k: 'tuple', items, pos: first.pos };
  }

  private targetList(): Target {
    return this.target(false);
  }

  private forStatement(pos: number): Node {
    this.next();
    const target = this.target(false);
    this.expectName('in');
    const iter = this.tuple({ withCond: false, endNames: ['recursive', 'if'] });
    let filter: Expr | undefined;
    if (this.isName('if')) {
      this.next();
      filter = this.expression();
    }
    if (this.isName('recursive')) this.fail('recursive loops are not supported');
    const body = this.statements(['endfor', 'else'], 'for', pos);
    let elseBody: Node[] | undefined;
    const tag = this.next() as { v: string };
    if (tag.v === 'else') elseBody = this.statements(['endfor'], 'for', pos, true);
    return { k: 'for', target, iter, filter, body, else: elseBody, pos };
  }

  private setStatement(pos: number): Node {
    this.next();
    const target = this.target(true);
    if (this.isOp('=')) {
      this.next();
      return { k: 'set', target, value: this.tuple(), pos };
    }
    if (target.k !== 'name') this.fail('a block set assigns to one name: {% set name %}...{% endset %}');
    let filters: FilterCall[] = [];
    if (this.isOp('|')) {
      this.next();
      filters = this.filterChain();
    }
    return { k: 'setblock', target, filters, body: this.statements(['endset'], 'set', pos, true), pos };
  }

  private signature(): Param[] {
    const params: Param[] = [];
    this.expectOp('(');
    while (!this.isOp(')')) {
      if (params.length) this.expectOp(',', "',' or ')'");
      const n = this.expectName();
      const p: Param = { name: n.v };
      if (this.isOp('=')) {
        this.next();
        p.default = this.expression();
      } else if (params.some((q) => q.default)) {
        this.fail('a parameter without a default cannot follow one with a default', n);
      }
      params.push(p);
    }
    this.next();
    return params;
  }

  private macroStatement(pos: number): Node {
    this.next();
    const name = this.expectName().v;
    const params = this.signature();
    return { k: 'macro', name, params, body: this.statements(['endmacro'], 'macro', pos, true), pos };
  }

  private callStatement(pos: number): Node {
    this.next();
    const params = this.isOp('(') ? this.signature() : [];
    const call = this.expression();
    if (call.k !== 'call') this.fail('{% call %} expects a macro call: {% call name(args) %}');
    return { k: 'callblock', call: call as Expr & { k: 'call' }, params, body: this.statements(['endcall'], 'call', pos, true), pos };
  }

  private includeStatement(pos: number): Node {
    this.next();
    const template = this.expression();
    let ignoreMissing = false;
    let withContext = true;
    if (this.isName('ignore') && this.isName('missing', this.look())) {
      this.next();
      this.next();
      ignoreMissing = true;
    }
    if ((this.isName('with') || this.isName('without')) && this.isName('context', this.look())) {
      withContext = (this.next() as { v: string }).v === 'with';
      this.next();
    }
    return { k: 'include', template, ignoreMissing, withContext, pos };
  }

  private withStatement(pos: number): Node {
    this.next();
    const assigns: { target: Target; value: Expr }[] = [];
    while (this.cur.t !== 'block_end') {
      if (assigns.length) this.expectOp(',');
      const target = this.target(false);
      this.expectOp('=');
      assigns.push({ target, value: this.expression() });
    }
    return { k: 'with', assigns, body: this.statements(['endwith'], 'with', pos, true), pos };
  }
}

export function parseTemplate(src: string, opts?: LexOptions): Node[] {
  return new Parser(lexTemplate(src, opts)).template();
}

/** A bare expression (a condition): the whole text must be one expression. */
export function parseExpression(src: string): Expr {
  const p = new Parser(lexExpression(src));
  const e = p.tuple();
  p.end();
  return e;
}
