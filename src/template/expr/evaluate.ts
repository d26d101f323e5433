// Walks a parsed expression against the variables. No eval, no Function: only the
// operations below exist. Missing variables flow as Undef until something uses them.
import type { Vars } from '../../model/inventory.js';
import { contains, deepEqual, truthy, typeName } from '../truthy.js';
import type { Expr } from './ast.js';
import { FILTERS, TESTS, pyStr } from './filters.js';
import { ExprEvalError, Undef, defined } from './undefined.js';

function own(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** "a.b", "a[0]", "a['x-y']": how a path reads in messages. */
function childName(parent: string, key: unknown): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const k = String(key);
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `${parent}.${k}` : `${parent}[${JSON.stringify(k)}]`;
}

function pathName(e: Expr): string {
  if (e.k === 'var') return e.name;
  if (e.k === 'attr') return childName(pathName(e.obj), e.key.k === 'lit' ? e.key.v : '...');
  return '(expression)';
}

function lookup(obj: unknown, key: unknown, name: string): unknown {
  if (obj instanceof Undef) return new Undef(name);
  if (Array.isArray(obj) || typeof obj === 'string') {
    if (typeof key === 'number' && Number.isInteger(key)) {
      // Python's negative indexes count from the end.
      const i = key < 0 ? obj.length + key : key;
      return i >= 0 && i < obj.length ? obj[i] : new Undef(name);
    }
    if (key === 'length' || typeof key !== 'string') return new Undef(name);
  }
  if (obj !== null && typeof obj === 'object' && typeof key !== 'object') {
    const k = String(key);
    if (own(obj, k)) {
      const v = (obj as Record<string, unknown>)[k];
      return v === undefined ? new Undef(name) : v;
    }
  }
  return new Undef(name);
}

function compare(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==':
      return deepEqual(a, b);
    case '!=':
      return !deepEqual(a, b);
    case 'in':
    case 'not in': {
      let r: boolean;
      try {
        r = contains(b, a);
      } catch (e) {
        throw new ExprEvalError((e as Error).message);
      }
      return op === 'in' ? r : !r;
    }
  }
  const bothNum = typeof a === 'number' && typeof b === 'number';
  const bothStr = typeof a === 'string' && typeof b === 'string';
  if (!bothNum && !bothStr) {
    throw new ExprEvalError(`cannot compare ${typeName(a)} ${op} ${typeName(b)} (use |int or |string to convert)`);
  }
  const x = a as number | string;
  const y = b as number | string;
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

function math(op: string, a: unknown, b: unknown): unknown {
  if (op === '~') return pyStr(a) + pyStr(b);
  if (op === '+') {
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  }
  if (typeof a !== 'number' || typeof b !== 'number') {
    throw new ExprEvalError(`cannot apply '${op}' to ${typeName(a)} and ${typeName(b)}`);
  }
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
  }
  if (b === 0) throw new ExprEvalError('division by zero');
  if (op === '/') return a / b;
  if (op === '//') return Math.floor(a / b);
  return ((a % b) + b) % b; // Python's modulo takes the divisor's sign
}

/** Evaluate; the result may be Undef (the caller decides whether that is an error). */
export function evaluate(e: Expr, ctx: Vars): unknown {
  switch (e.k) {
    case 'lit':
      return e.v;
    case 'list':
      return e.items.map((i) => defined(evaluate(i, ctx)));
    case 'var':
      return own(ctx, e.name) && ctx[e.name] !== undefined ? ctx[e.name] : new Undef(e.name);
    case 'attr': {
      const obj = evaluate(e.obj, ctx);
      const key = defined(evaluate(e.key, ctx));
      const name = obj instanceof Undef ? childName(obj.name, key) : childName(pathName(e.obj), key);
      return lookup(obj, key, name);
    }
    case 'not':
      return !truthy(defined(evaluate(e.a, ctx)));
    case 'neg': {
      const v = defined(evaluate(e.a, ctx));
      if (typeof v !== 'number') throw new ExprEvalError(`cannot negate ${typeName(v)}`);
      return -v;
    }
    // Python semantics: the deciding operand is the result; the right side only runs if needed.
    case 'and': {
      const a = defined(evaluate(e.a, ctx));
      return truthy(a) ? defined(evaluate(e.b, ctx)) : a;
    }
    case 'or': {
      const a = defined(evaluate(e.a, ctx));
      return truthy(a) ? a : defined(evaluate(e.b, ctx));
    }
    case 'cmp': {
      // Chained like Python: a < b < c means a < b and b < c.
      let left = defined(evaluate(e.first, ctx));
      for (const { op, e: re } of e.rest) {
        const right = defined(evaluate(re, ctx));
        if (!compare(op, left, right)) return false;
        left = right;
      }
      return true;
    }
    case 'math':
      return math(e.op, defined(evaluate(e.a, ctx)), defined(evaluate(e.b, ctx)));
    case 'filter': {
      // Own keys only: `x|constructor` must not reach Object.prototype.
      const f = own(FILTERS, e.name) ? FILTERS[e.name] : undefined;
      if (!f) throw new ExprEvalError(`unknown filter '${e.name}' (filters: ${Object.keys(FILTERS).sort().join(', ')})`);
      return f(evaluate(e.a, ctx), e.args.map((a) => defined(evaluate(a, ctx))));
    }
    case 'test': {
      const t = own(TESTS, e.name) ? TESTS[e.name] : undefined;
      if (!t) throw new ExprEvalError(`unknown test '${e.name}' (tests: ${Object.keys(TESTS).sort().join(', ')})`);
      const r = t(evaluate(e.a, ctx), e.args.map((a) => defined(evaluate(a, ctx))));
      return e.negate ? !r : r;
    }
  }
}
