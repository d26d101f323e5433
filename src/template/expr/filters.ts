// Jinja filters (x|f) and tests (x is t) for when-expressions. A filter or test gets its
// input possibly Undef: only `default` and `defined`/`undefined` accept that.
import { truthy, typeName } from '../truthy.js';
import { ExprEvalError, Undef, defined } from './undefined.js';

type Filter = (input: unknown, args: unknown[]) => unknown;
type Test = (input: unknown, args: unknown[]) => boolean;

/** Python's str() for the scalar types we have. */
export function pyStr(v: unknown): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function toInt(v: unknown, fallback: number): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : fallback;
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^[+-]?\d+$/.test(s)) return parseInt(s, 10);
    // Jinja's int falls back to int(float(x)), then to the default.
    const f = Number(s);
    return s !== '' && Number.isFinite(f) ? Math.trunc(f) : fallback;
  }
  return fallback;
}

function toFloat(v: unknown, fallback: number): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v.trim()))) return Number(v.trim());
  return fallback;
}

/** Ansible's bool filter: yes/on/true/1 (any case) are true, everything else false. */
function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1;
  if (typeof v === 'string') return ['yes', 'on', '1', 'true', 'y', 't'].includes(v.trim().toLowerCase());
  return false;
}

function needString(name: string, v: unknown): string {
  if (typeof v !== 'string') throw new ExprEvalError(`filter '${name}' expects a string, got ${typeName(v)}`);
  return v;
}

function needSeq(name: string, v: unknown): string | unknown[] {
  if (typeof v !== 'string' && !Array.isArray(v)) throw new ExprEvalError(`filter '${name}' expects a list or string, got ${typeName(v)}`);
  return v;
}

export const FILTERS: Record<string, Filter> = {
  default: (v, [fallback, boolean]) => (v instanceof Undef || (truthy(boolean) && !truthy(v)) ? (fallback ?? '') : v),
  length: (v) => {
    const d = defined(v);
    if (typeof d === 'string' || Array.isArray(d)) return d.length;
    if (d !== null && typeof d === 'object') return Object.keys(d).length;
    throw new ExprEvalError(`filter 'length' expects a list, string or mapping, got ${typeName(d)}`);
  },
  int: (v, [fallback]) => toInt(defined(v), typeof fallback === 'number' ? fallback : 0),
  float: (v, [fallback]) => toFloat(defined(v), typeof fallback === 'number' ? fallback : 0),
  bool: (v) => toBool(defined(v)),
  string: (v) => pyStr(defined(v)),
  trim: (v) => needString('trim', defined(v)).trim(),
  lower: (v) => needString('lower', defined(v)).toLowerCase(),
  upper: (v) => needString('upper', defined(v)).toUpperCase(),
  first: (v) => needSeq('first', defined(v))[0],
  last: (v) => {
    const s = needSeq('last', defined(v));
    return s[s.length - 1];
  },
  join: (v, [sep]) => {
    const d = defined(v);
    if (!Array.isArray(d)) throw new ExprEvalError(`filter 'join' expects a list, got ${typeName(d)}`);
    return d.map(pyStr).join(sep === undefined ? '' : pyStr(sep));
  },
  split: (v, [sep]) => {
    const s = needString('split', defined(v));
    return sep === undefined || sep === null ? s.split(/\s+/).filter((x) => x !== '') : s.split(pyStr(sep));
  },
  replace: (v, [from, to]) => needString('replace', defined(v)).split(pyStr(from)).join(pyStr(to)),
};
FILTERS.d = FILTERS.default;
FILTERS.count = FILTERS.length;

function regexTest(name: string, anchored: boolean): Test {
  return (v, [pattern]) => {
    const s = defined(v);
    if (typeof s !== 'string') throw new ExprEvalError(`test '${name}' expects a string, got ${typeName(s)}`);
    if (typeof pattern !== 'string') throw new ExprEvalError(`test '${name}' expects a pattern string`);
    let re: RegExp;
    try {
      re = new RegExp(anchored ? `^(?:${pattern})` : pattern);
    } catch {
      throw new ExprEvalError(`test '${name}': invalid regular expression`);
    }
    return re.test(s);
  };
}

/** Registered results: the engine stores { changed, failed, skipped, rc, stdout, ... }. */
function resultTest(name: string, pick: (r: Record<string, unknown>) => boolean): Test {
  return (v) => {
    const r = defined(v);
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      throw new ExprEvalError(`test '${name}' expects a registered task result, got ${typeName(r)}`);
    }
    return pick(r as Record<string, unknown>);
  };
}

export const TESTS: Record<string, Test> = {
  defined: (v) => !(v instanceof Undef),
  undefined: (v) => v instanceof Undef,
  none: (v) => defined(v) === null,
  true: (v) => defined(v) === true,
  false: (v) => defined(v) === false,
  boolean: (v) => typeof defined(v) === 'boolean',
  string: (v) => typeof defined(v) === 'string',
  number: (v) => typeof defined(v) === 'number',
  integer: (v) => Number.isInteger(defined(v)),
  float: (v) => typeof defined(v) === 'number' && !Number.isInteger(v),
  mapping: (v) => {
    const d = defined(v);
    return d !== null && typeof d === 'object' && !Array.isArray(d);
  },
  sequence: (v) => {
    const d = defined(v);
    return Array.isArray(d) || typeof d === 'string';
  },
  iterable: (v) => {
    const d = defined(v);
    return Array.isArray(d) || typeof d === 'string' || (d !== null && typeof d === 'object');
  },
  match: regexTest('match', true),
  search: regexTest('search', false),
  regex: regexTest('regex', false),
  failed: resultTest('failed', (r) => truthy(r.failed)),
  succeeded: resultTest('succeeded', (r) => !truthy(r.failed)),
  changed: resultTest('changed', (r) => truthy(r.changed)),
  skipped: resultTest('skipped', (r) => truthy(r.skipped)),
};
TESTS.success = TESTS.succeeded;
TESTS.successful = TESTS.succeeded;
TESTS.failure = TESTS.failed;
TESTS.change = TESTS.changed;
TESTS.skip = TESTS.skipped;
