// Conversions and choices: default, mandatory, ternary, bool, int, float, string, list, type_debug.
import { truthy, typeName } from '../../truthy.js';
import { PyFloat, isNumber, makeFloat, numValue } from '../../values/float.js';
import { pyStr } from '../../values/print.js';
import { isMapping } from '../lookup.js';
import { Macro, own } from '../runtime.js';
import { bind, type Filter } from './bind.js';
import { JinjaError, Undef, defined } from '../undefined.js';

function parseInt10(s: string, base: number): number | undefined {
  let t = s.trim().replace(/_/g, '');
  let sign = 1;
  if (/^[+-]/.test(t)) {
    if (t[0] === '-') sign = -1;
    t = t.slice(1);
  }
  const prefixed = /^0([xob])/i.exec(t);
  if (
    prefixed &&
    ((base === 16 && /x/i.test(prefixed[1])) || (base === 8 && /o/i.test(prefixed[1])) || (base === 2 && /b/i.test(prefixed[1])))
  )
    t = t.slice(2);
  const digits = base === 16 ? /^[0-9a-f]+$/i : base === 8 ? /^[0-7]+$/ : base === 2 ? /^[01]+$/ : /^[0-9]+$/;
  if (base !== 10 && base !== 16 && base !== 8 && base !== 2) return undefined;
  if (!digits.test(t)) return undefined;
  return sign * parseInt(t, base);
}

/** Python's float() of a string: decimal, inf, nan, exponent. */
export function parseFloatStrict(s: string): number | undefined {
  const t = s.trim().replace(/_/g, '').toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(t)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

/** Jinja's int: int(x), else int(float(x)), else the default ("42.23"|int is 42). */
export function toInt(v: unknown, dflt: unknown, base = 10): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (isNumber(v)) {
    const n = numValue(v);
    return Number.isFinite(n) ? Math.trunc(n) : dflt;
  }
  if (typeof v === 'string') {
    const i = parseInt10(v, base);
    if (i !== undefined) return i;
    const f = parseFloatStrict(v);
    return f !== undefined && Number.isFinite(f) ? Math.trunc(f) : dflt;
  }
  return dflt;
}

export function toFloat(v: unknown, dflt: unknown): unknown {
  if (typeof v === 'boolean') return makeFloat(v ? 1 : 0);
  if (isNumber(v)) return makeFloat(numValue(v));
  if (typeof v === 'string') {
    const f = parseFloatStrict(v);
    return f === undefined ? dflt : makeFloat(f);
  }
  return dflt;
}

/** Ansible's bool: None and booleans as they are; 'yes', 'on', '1', 'true' (any case) and 1
 * are true; anything else is false. */
export function toBool(v: unknown): boolean | null {
  if (v === null || typeof v === 'boolean') return v;
  const s = typeof v === 'string' ? v.toLowerCase() : v;
  if (s === 'yes' || s === 'on' || s === '1' || s === 'true') return true;
  if (isNumber(s) && numValue(s) === 1) return true;
  return false;
}

function pyTypeName(v: unknown): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v))) return 'float';
  if (typeof v === 'number') return 'int';
  if (Array.isArray(v)) return 'list';
  if (isMapping(v)) return 'dict';
  if (v instanceof Macro) return 'Macro';
  return typeName(v);
}

export const convertFilters: Record<string, Filter> = {
  // {{ x | default('a') }}: only an undefined x is replaced; with true, any falsy one.
  default: (v, args, kw, c) => {
    const [fallback, boolean] = bind(c, args, kw, ['default_value', 'boolean'], true);
    if (v instanceof Undef || (truthy(defined(boolean ?? false)) && !truthy(v))) return fallback === undefined ? '' : fallback;
    return v;
  },
  mandatory: (v, args, kw, c) => {
    const [msg] = bind(c, args, kw, ['msg']);
    if (v instanceof Undef)
      throw new JinjaError(msg !== undefined && msg !== null ? pyStr(msg) : `mandatory variable '${v.name}' not defined`, v.pos, v.name);
    return v;
  },
  ternary: (v, args, kw, c) => {
    const [t, f, none] = bind(c, args, kw, ['true_val', 'false_val', 'none_val'], true, 2);
    const d = defined(v);
    if (d === null && none !== undefined && none !== null) return none;
    return truthy(d) ? t : f;
  },
  bool: (v) => toBool(defined(v)),
  int: (v, args, kw, c) => {
    const [dflt, base] = bind(c, args, kw, ['default', 'base']);
    return toInt(defined(v), dflt ?? 0, (base as number | undefined) ?? 10);
  },
  float: (v, args, kw, c) => {
    const [dflt] = bind(c, args, kw, ['default']);
    return toFloat(defined(v), dflt ?? makeFloat(0));
  },
  string: (v) => pyStr(defined(v)),
  list: (v) => {
    const d = defined(v);
    if (Array.isArray(d)) return own([...d]);
    if (typeof d === 'string') return own([...d]);
    if (isMapping(d)) return own(Object.keys(d));
    throw new JinjaError(`filter 'list': ${typeName(d)} is not iterable`);
  },
  type_debug: (v) => pyTypeName(defined(v)),
  abs: (v) => {
    const d = defined(v);
    if (!isNumber(d) && typeof d !== 'boolean') throw new JinjaError(`filter 'abs': expects a number, got ${typeName(d)}`);
    return d instanceof PyFloat ? makeFloat(Math.abs(d.value)) : Math.abs(numValue(d));
  },
  // Jinja's round: 'common' rounds half to even as Python does; an int stays an int.
  round: (v, args, kw, c) => {
    const [precision, method] = bind(c, args, kw, ['precision', 'method']);
    const d = defined(v);
    if (!isNumber(d) && typeof d !== 'boolean') throw new JinjaError(`filter 'round': expects a number, got ${typeName(d)}`);
    const p = precision === undefined ? 0 : (precision as number);
    const how = method ?? 'common';
    if (how !== 'common' && how !== 'floor' && how !== 'ceil') throw new JinjaError("filter 'round': method must be common, floor or ceil");
    if (how === 'common' && typeof d === 'number' && Number.isInteger(d)) return d;
    const scale = 10 ** p;
    const x = numValue(d) * scale;
    let r: number;
    if (how === 'floor') r = Math.floor(x);
    else if (how === 'ceil') r = Math.ceil(x);
    else {
      r = Math.round(x);
      if (Math.abs(x % 1) === 0.5 && r % 2 !== 0) r -= 1; // half to even
    }
    return makeFloat(r / scale);
  },
};
convertFilters.d = convertFilters.default;
