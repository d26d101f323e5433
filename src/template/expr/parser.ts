// Recursive-descent parser for the Jinja expression subset, with Jinja's precedence
// (lowest first): or, and, not, comparisons (chained, in, not in), + - ~, * / // %,
// unary minus, then postfix access (a.b a['b'] a[0]) with filters (|f) and tests (is t).
import type { Expr } from './ast.js';
import { ExprSyntaxError, tokenize, type Token } from './lexer.js';

const COMPARE = new Set(['==', '!=', '<', '<=', '>', '>=']);
const LITERAL_NAMES: Record<string, unknown> = {
  true: true,
  True: true,
  false: false,
  False: false,
  none: null,
  None: null,
};

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(o = 0): Token {
    return this.toks[Math.min(this.i + o, this.toks.length - 1)];
  }
  private next(): Token {
    return this.toks[this.i++];
  }
  private isOp(v: string, o = 0): boolean {
    const t = this.peek(o);
    return t.t === 'op' && t.v === v;
  }
  private isName(v: string, o = 0): boolean {
    const t = this.peek(o);
    return t.t === 'name' && t.v === v;
  }
  private expectOp(v: string): Token {
    const t = this.peek();
    if (t.t !== 'op' || t.v !== v) throw new ExprSyntaxError(`expected '${v}' ${describe(t)}`, t.pos);
    return this.next();
  }

  parse(): Expr {
    const e = this.or();
    const t = this.peek();
    if (t.t !== 'eof') throw new ExprSyntaxError(`expected end of expression ${describe(t)}`, t.pos);
    return e;
  }

  private or(): Expr {
    let a = this.and();
    while (this.isName('or')) {
      this.next();
      a = { k: 'or', a, b: this.and() };
    }
    return a;
  }
  private and(): Expr {
    let a = this.not();
    while (this.isName('and')) {
      this.next();
      a = { k: 'and', a, b: this.not() };
    }
    return a;
  }
  private not(): Expr {
    if (this.isName('not')) {
      this.next();
      return { k: 'not', a: this.not() };
    }
    return this.compare();
  }
  private compare(): Expr {
    const first = this.add();
    const rest: { op: string; e: Expr; pos: number }[] = [];
    for (;;) {
      const t = this.peek();
      let op: string;
      if (t.t === 'op' && COMPARE.has(t.v)) {
        op = t.v;
        this.next();
      } else if (this.isName('in')) {
        op = 'in';
        this.next();
      } else if (this.isName('not') && this.isName('in', 1)) {
        op = 'not in';
        this.next();
        this.next();
      } else break;
      rest.push({ op, e: this.add(), pos: t.pos });
    }
    return rest.length ? { k: 'cmp', first, rest } : first;
  }
  private add(): Expr {
    let a = this.mul();
    while (this.isOp('+') || this.isOp('-') || this.isOp('~')) {
      const t = this.next();
      a = { k: 'math', op: (t as { v: string }).v, a, b: this.mul(), pos: t.pos };
    }
    return a;
  }
  private mul(): Expr {
    let a = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const t = this.next();
      a = { k: 'math', op: (t as { v: string }).v, a, b: this.unary(), pos: t.pos };
    }
    return a;
  }
  private unary(): Expr {
    if (this.isOp('-')) {
      const t = this.next();
      return { k: 'neg', a: this.unary(), pos: t.pos };
    }
    if (this.isOp('+')) {
      this.next();
      return this.unary();
    }
    return this.filtered(this.postfix(this.primary()));
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.t) {
      case 'num':
      case 'str':
        return { k: 'lit', v: t.v };
      case 'name':
        if (Object.prototype.hasOwnProperty.call(LITERAL_NAMES, t.v)) return { k: 'lit', v: LITERAL_NAMES[t.v] };
        if (['and', 'or', 'not', 'in', 'is'].includes(t.v)) {
          throw new ExprSyntaxError(`expected a value ${describe(t)}`, t.pos);
        }
        if (this.isOp('(')) throw new ExprSyntaxError(`function calls such as ${t.v}(...) are not supported`, t.pos);
        return { k: 'var', name: t.v, pos: t.pos };
      case 'op':
        if (t.v === '(') {
          const e = this.or();
          this.expectOp(')');
          return e;
        }
        if (t.v === '[') return { k: 'list', items: this.items(']') };
        break;
    }
    throw new ExprSyntaxError(`expected a value ${describe(t)}`, t.pos);
  }

  /** Comma separated expressions up to `close` (already past the opener). */
  private items(close: string): Expr[] {
    const items: Expr[] = [];
    while (!this.isOp(close)) {
      items.push(this.or());
      if (!this.isOp(close)) this.expectOp(',');
    }
    this.next();
    return items;
  }

  private postfix(e: Expr): Expr {
    for (;;) {
      if (this.isOp('.')) {
        const dot = this.next();
        const t = this.next();
        if (t.t === 'name') e = { k: 'attr', obj: e, key: { k: 'lit', v: t.v }, pos: dot.pos };
        else if (t.t === 'num' && Number.isInteger(t.v)) e = { k: 'attr', obj: e, key: { k: 'lit', v: t.v }, pos: dot.pos };
        else throw new ExprSyntaxError(`expected a name after '.' ${describe(t)}`, t.pos);
        if (this.isOp('(')) throw new ExprSyntaxError(`method calls such as .${(t as { v: unknown }).v}(...) are not supported: use filters or tests`, t.pos);
      } else if (this.isOp('[')) {
        const open = this.next();
        const key = this.or();
        this.expectOp(']');
        e = { k: 'attr', obj: e, key, pos: open.pos };
      } else return e;
    }
  }

  /** Filters and tests bind tighter than any operator, as in Jinja. */
  private filtered(e: Expr): Expr {
    for (;;) {
      if (this.isOp('|')) {
        this.next();
        const t = this.next();
        if (t.t !== 'name') throw new ExprSyntaxError(`expected a filter name after '|' ${describe(t)}`, t.pos);
        let args: Expr[] = [];
        if (this.isOp('(')) {
          this.next();
          args = this.items(')');
        }
        e = this.postfix({ k: 'filter', name: t.v, args, a: e, pos: t.pos });
      } else if (this.isName('is')) {
        this.next();
        let negate = false;
        if (this.isName('not')) {
          this.next();
          negate = true;
        }
        const t = this.next();
        if (t.t !== 'name') throw new ExprSyntaxError(`expected a test name after 'is' ${describe(t)}`, t.pos);
        let args: Expr[] = [];
        if (this.isOp('(')) {
          this.next();
          args = this.items(')');
        }
        // `x is none` / `x is true`: the test names that are also literal words.
        e = { k: 'test', name: t.v.toLowerCase(), negate, args, a: e, pos: t.pos };
      } else return e;
    }
  }
}

function describe(t: Token): string {
  if (t.t === 'eof') return 'but the expression ended';
  return `at character ${t.pos + 1}, found '${t.t === 'str' ? JSON.stringify(t.v) : String(t.v)}'`;
}

export function parseExpression(src: string): Expr {
  return new Parser(tokenize(src)).parse();
}
