// Walks a parsed expression. No eval, no Function, no JavaScript method of a value is
// ever called: filters, tests, methods and globals are fleet's own tables. Missing values
// flow as Undef until something uses them.
import { truthy, typeName } from '../truthy.js';
import { PyFloat, isNumber, makeFloat, numValue } from '../values/float.js';
import type { Expr, Kwargs } from './ast.js';
import { callGlobal, GLOBALS } from './globals.js';
import { MISSING, childName, getKey, isMapping, lookupName } from './lookup.js';
import { callMethod } from './methods.js';
import { binary, compare } from './ops.js';
import { LoopInfo, Macro, own, type Env, type Frame } from './runtime.js';
import { applyFilter, applyTest } from './registry.js';
import { JinjaError, Undef, at, defined } from './undefined.js';

/** How an expression reads in messages ("a.b[0]"). */
export function pathName(e: Expr): string {
  if (e.k === 'var') return e.name;
  if (e.k === 'attr') return childName(pathName(e.obj), e.name);
  if (e.k === 'item') return childName(pathName(e.obj), e.key.k === 'lit' ? e.key.v : '...');
  return '(expression)';
}

/** Calls a macro: supplied by the statement executor (it renders the body). */
export type MacroCaller = (m: Macro, args: unknown[], kwargs: Record<string, unknown>, caller?: Macro) => string;

let callMacro: MacroCaller = () => {
  throw new JinjaError('macros are not available here');
};
export function setMacroCaller(fn: MacroCaller): void {
  callMacro = fn;
}

/** Where a path expression starts (a.b.c: at a), for messages about it. */
function startPos(e: Expr): number {
  let b = e;
  while (b.k === 'attr' || b.k === 'item') b = b.obj;
  return b.pos;
}

function access(obj: unknown, key: unknown, name: string, pos: number, env: Env): unknown {
  if (obj instanceof Undef) return new Undef(childName(obj.name, key), obj.pos, obj.hint);
  const v = getKey(obj, key, env);
  return v === MISSING ? new Undef(name, pos) : v;
}

function kwargsOf(kw: Kwargs, frame: Frame, env: Env): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, e] of kw) out[k] = evaluate(e, frame, env);
  return out;
}

function slice(v: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  if (typeof v !== 'string' && !Array.isArray(v)) throw new JinjaError(`cannot slice ${typeName(v)}`);
  const n = v.length;
  const st = step === undefined || step === null ? 1 : (step as number);
  if (typeof st !== 'number' || !Number.isInteger(st) || st === 0) throw new JinjaError('slice step must be a non-zero integer');
  const norm = (x: unknown, dflt: number): number => {
    if (x === undefined || x === null) return dflt;
    if (typeof x !== 'number' || !Number.isInteger(x)) throw new JinjaError('slice indices must be integers');
    if (x < 0) return Math.max(x + n, st > 0 ? 0 : -1);
    return Math.min(x, st > 0 ? n : n - 1);
  };
  const a = norm(start, st > 0 ? 0 : n - 1);
  const b = norm(stop, st > 0 ? n : -1);
  const items: unknown[] = [];
  const chars = typeof v === 'string' ? [...v] : v;
  if (typeof v === 'string' && chars.length !== n) {
    // Code points, as Python indexes strings.
    return slice(chars, start, stop, step) as string[];
  }
  for (let i = a; st > 0 ? i < b : i > b; i += st) items.push(chars[i]);
  return typeof v === 'string' ? items.join('') : own(items);
}

/** Evaluate; the result may be Undef (the caller decides whether that is an error). */
export function evaluate(e: Expr, frame: Frame, env: Env): unknown {
  switch (e.k) {
    case 'lit':
      return e.v;
    case 'list':
      return own(e.items.map((i) => defined(evaluate(i, frame, env))));
    case 'tuple':
      return own(e.items.map((i) => defined(evaluate(i, frame, env))));
    case 'dict': {
      const out: Record<string, unknown> = {};
      for (const [ke, ve] of e.items) {
        const k = defined(evaluate(ke, frame, env));
        if (typeof k !== 'string' && !isNumber(k) && typeof k !== 'boolean' && k !== null)
          throw at(new JinjaError(`a mapping key must be a string or number, got ${typeName(k)}`), ke.pos);
        out[typeof k === 'boolean' ? (k ? 'True' : 'False') : k === null ? 'None' : k instanceof PyFloat ? String(k.value) : String(k)] =
          defined(evaluate(ve, frame, env));
      }
      return own(out);
    }
    case 'var':
      return lookupName(e.name, frame, env, e.pos);
    case 'attr':
      return access(evaluate(e.obj, frame, env), e.name, childName(pathName(e.obj), e.name), startPos(e), env);
    case 'item': {
      const obj = evaluate(e.obj, frame, env);
      let key = defined(evaluate(e.key, frame, env));
      if (key instanceof PyFloat) key = key.value;
      return access(obj, key, obj instanceof Undef ? '' : childName(pathName(e.obj), key), startPos(e), env);
    }
    case 'slice': {
      const v = defined(evaluate(e.obj, frame, env));
      const part = (x?: Expr) => (x ? defined(evaluate(x, frame, env)) : undefined);
      try {
        return slice(v, part(e.start), part(e.stop), part(e.step));
      } catch (err) {
        throw at(err, e.pos);
      }
    }
    case 'not':
      return !truthy(defined(evaluate(e.a, frame, env)));
    case 'neg':
    case 'pos': {
      const v = defined(evaluate(e.a, frame, env));
      if (!isNumber(v) && typeof v !== 'boolean')
        throw at(new JinjaError(`cannot apply unary '${e.k === 'neg' ? '-' : '+'}' to ${typeName(v)}`), e.pos);
      if (e.k === 'pos') return v;
      return v instanceof PyFloat ? makeFloat(-v.value) : -numValue(v);
    }
    // Python: the deciding operand is the result; the right side only runs when needed.
    case 'and': {
      const a = defined(evaluate(e.a, frame, env));
      return truthy(a) ? defined(evaluate(e.b, frame, env)) : a;
    }
    case 'or': {
      const a = defined(evaluate(e.a, frame, env));
      return truthy(a) ? a : defined(evaluate(e.b, frame, env));
    }
    case 'cmp': {
      // Chained like Python: a < b < c means a < b and b < c.
      let left = defined(evaluate(e.first, frame, env));
      for (const { op, e: re, pos } of e.rest) {
        const right = defined(evaluate(re, frame, env));
        let ok: boolean;
        try {
          ok = compare(op, left, right);
        } catch (err) {
          throw at(err, pos);
        }
        if (!ok) return false;
        left = right;
      }
      return true;
    }
    case 'bin': {
      const a = defined(evaluate(e.a, frame, env));
      const b = defined(evaluate(e.b, frame, env));
      try {
        return binary(e.op, a, b);
      } catch (err) {
        throw at(err, e.pos);
      }
    }
    case 'cond': {
      if (truthy(defined(evaluate(e.test, frame, env)))) return evaluate(e.then, frame, env);
      // Jinja: an inline if without else gives undefined, which strict templates refuse to use.
      return e.else
        ? evaluate(e.else, frame, env)
        : new Undef('(inline if)', e.pos, 'the inline if-expression evaluated to false and has no else section');
    }
    case 'filter': {
      const input = evaluate(e.a, frame, env);
      const args = e.args.map((a) => evaluate(a, frame, env));
      try {
        return applyFilter(e.name, input, args, kwargsOf(e.kwargs, frame, env), env, frame);
      } catch (err) {
        throw at(err, e.pos);
      }
    }
    case 'test': {
      const input = evaluate(e.a, frame, env);
      const args = e.args.map((a) => evaluate(a, frame, env));
      let r: boolean;
      try {
        r = applyTest(e.name, input, args, kwargsOf(e.kwargs, frame, env), env, frame);
      } catch (err) {
        throw at(err, e.pos);
      }
      return e.negate ? !r : r;
    }
    case 'call':
      return call(e, frame, env);
  }
}

function call(e: Expr & { k: 'call' }, frame: Frame, env: Env): unknown {
  const fn = e.fn;
  const args = () => e.args.map((a) => defined(evaluate(a, frame, env)));
  const kwargs = () => {
    const out: Record<string, unknown> = {};
    for (const [k, x] of e.kwargs) out[k] = defined(evaluate(x, frame, env));
    return out;
  };
  try {
    if (fn.k === 'attr' && typeof fn.name === 'string') {
      const obj = defined(evaluate(fn.obj, frame, env));
      if (obj instanceof LoopInfo && fn.name === 'cycle') {
        const a = args();
        if (!a.length) throw new JinjaError('loop.cycle() needs at least one value');
        return a[obj.index0 % a.length];
      }
      // A macro kept in a mapping or namespace is called like one defined here.
      const member = isMapping(obj) ? getKey(obj, fn.name, env) : MISSING;
      if (member instanceof Macro) return callMacro(member, args(), kwargs());
      return callMethod(obj, fn.name, args(), kwargs());
    }
    if (fn.k === 'var') {
      const v = lookupName(fn.name, frame, env, fn.pos);
      if (v instanceof Macro) return callMacro(v, args(), kwargs());
      if (v instanceof Undef && Object.prototype.hasOwnProperty.call(GLOBALS, fn.name))
        return callGlobal(fn.name, args(), kwargs(), env, frame);
      if (v instanceof Undef) {
        throw new JinjaError(
          `unknown function '${fn.name}' (functions: ${Object.keys(GLOBALS).sort().join(', ')}, and the macros this template defines)`,
        );
      }
      throw new JinjaError(`'${fn.name}' is a ${typeName(v)}, not a function or macro`);
    }
    const v = defined(evaluate(fn, frame, env));
    if (v instanceof Macro) return callMacro(v, args(), kwargs());
    throw new JinjaError(`${typeName(v)} is not callable`);
  } catch (err) {
    throw at(err, e.pos);
  }
}
