// Jinja's and Ansible's tests (x is t). Type tests on an undefined value are false, as in
// Jinja; the others need a defined value.
import { contains, deepEqual, truthy, typeName } from '../truthy.js';
import { PyFloat, isNumber, numValue } from '../values/float.js';
import { pyStr } from '../values/print.js';
import { toBool } from './filters/convert.js';
import { isMapping } from './lookup.js';
import { compare } from './ops.js';
import { pyRegex } from './regex.js';
import { Macro, Namespace } from './runtime.js';
import { bind, type Test } from './filters/bind.js';
import { JinjaError, Undef, defined } from './undefined.js';
import { versionCompare } from './version.js';

function typeTest(pick: (v: unknown) => boolean): Test {
  return (v) => !(v instanceof Undef) && pick(v);
}

function regexTest(kind: 'match' | 'search' | 'fullmatch' | 'regex'): Test {
  return (v, args, kw, c) => {
    const [pattern, ignorecase, multiline, matchType] = bind(
      c,
      args,
      kw,
      kind === 'regex' ? ['pattern', 'ignorecase', 'multiline', 'match_type'] : ['pattern', 'ignorecase', 'multiline'],
      false,
      1,
    );
    const s = defined(v);
    if (typeof s !== 'string') throw new JinjaError(`test '${c.name}' expects a string, got ${typeName(s)}`);
    if (typeof pattern !== 'string') throw new JinjaError(`test '${c.name}' expects a pattern string`);
    const how = kind === 'regex' ? String(matchType ?? 'search') : kind;
    // Leading inline flags stay in front; a full match needs the whole pattern in a group.
    const flags = /^(\(\?[aiLmsux]+\))*/.exec(pattern)![0];
    const p = how === 'fullmatch' ? `${flags}(?:${pattern.slice(flags.length)})(?![\\s\\S])` : pattern;
    const re = pyRegex(p, { ignorecase: truthy(ignorecase ?? false), multiline: truthy(multiline ?? false) }, true);
    if (how === 'search') return re.test(s);
    // Anchored at the start only (re.match), also when the pattern has alternatives.
    re.lastIndex = 0;
    const m = re.exec(s);
    return m !== null && m.index === 0;
  };
}

/** Registered results: the engine stores { changed, failed, skipped, rc, stdout, ... }. */
function resultTest(pick: (r: Record<string, unknown>) => boolean): Test {
  return (v, _a, _k, c) => {
    const r = defined(v);
    if (!isMapping(r)) throw new JinjaError(`test '${c.name}' expects a registered task result, got ${typeName(r)}`);
    return pick(r);
  };
}

function cmpTest(op: string): Test {
  return (v, args, kw, c) => {
    const [other] = bind(c, args, kw, ['other'], false, 1);
    return compare(op, defined(v), other);
  };
}

function sequence(v: unknown): boolean {
  return Array.isArray(v) || typeof v === 'string' || isMapping(v);
}

const tests: Record<string, Test> = {
  defined: (v) => !(v instanceof Undef),
  undefined: (v) => v instanceof Undef,
  none: typeTest((v) => v === null),
  true: typeTest((v) => v === true),
  false: typeTest((v) => v === false),
  boolean: typeTest((v) => typeof v === 'boolean'),
  string: typeTest((v) => typeof v === 'string'),
  number: typeTest((v) => isNumber(v)),
  integer: typeTest((v) => typeof v === 'number' && Number.isInteger(v)),
  float: typeTest((v) => v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v))),
  mapping: typeTest((v) => isMapping(v) || v instanceof Namespace),
  sequence: (v) => sequence(defined(v)),
  iterable: (v) => sequence(defined(v)),
  callable: typeTest((v) => v instanceof Macro),
  lower: (v) => {
    const s = pyStr(defined(v));
    return s === s.toLowerCase();
  },
  upper: (v) => {
    const s = pyStr(defined(v));
    return s === s.toUpperCase();
  },
  odd: (v) => {
    const n = defined(v);
    if (!isNumber(n)) throw new JinjaError(`test 'odd' expects a number, got ${typeName(n)}`);
    return Math.abs(numValue(n) % 2) === 1;
  },
  even: (v) => {
    const n = defined(v);
    if (!isNumber(n)) throw new JinjaError(`test 'even' expects a number, got ${typeName(n)}`);
    return numValue(n) % 2 === 0;
  },
  divisibleby: (v, args, kw, c) => {
    const [n] = bind(c, args, kw, ['num'], false, 1);
    const x = defined(v);
    if (!isNumber(x) || !isNumber(n)) throw new JinjaError(`test 'divisibleby' expects numbers, got ${typeName(x)} and ${typeName(n)}`);
    return numValue(x) % numValue(n) === 0;
  },
  sameas: (v, args, kw, c) => {
    const [other] = bind(c, args, kw, ['other'], false, 1);
    return defined(v) === other;
  },
  eq: cmpTest('=='),
  ne: cmpTest('!='),
  lt: cmpTest('<'),
  le: cmpTest('<='),
  gt: cmpTest('>'),
  ge: cmpTest('>='),
  in: (v, args, kw, c) => {
    const [seq] = bind(c, args, kw, ['seq'], false, 1);
    try {
      return contains(seq, defined(v));
    } catch (e) {
      throw new JinjaError((e as Error).message);
    }
  },
  contains: (v, args, kw, c) => {
    const [item] = bind(c, args, kw, ['item'], false, 1);
    try {
      return contains(defined(v), item);
    } catch (e) {
      throw new JinjaError((e as Error).message);
    }
  },
  subset: (v, args, kw, c) => {
    const [other] = bind(c, args, kw, ['b'], false, 1);
    const a = defined(v);
    if (!Array.isArray(a) || !Array.isArray(other)) throw new JinjaError(`test 'subset' expects two lists`);
    return a.every((x) => other.some((y) => deepEqual(x, y)));
  },
  superset: (v, args, kw, c) => {
    const [other] = bind(c, args, kw, ['b'], false, 1);
    const a = defined(v);
    if (!Array.isArray(a) || !Array.isArray(other)) throw new JinjaError(`test 'superset' expects two lists`);
    return other.every((x) => a.some((y) => deepEqual(x, y)));
  },
  match: regexTest('match'),
  search: regexTest('search'),
  regex: regexTest('regex'),
  version: (v, args, kw, c) => {
    const [other, operator, strictFlag, versionType] = bind(c, args, kw, ['version', 'operator', 'strict', 'version_type'], false, 1);
    const type = versionType !== undefined && versionType !== null ? String(versionType) : truthy(strictFlag ?? false) ? 'strict' : 'loose';
    return versionCompare(pyStr(defined(v)), pyStr(other), String(operator ?? 'eq'), type);
  },
  truthy: (v, args, kw, c) => {
    const [convertBool] = bind(c, args, kw, ['convert_bool']);
    const d = defined(v);
    return truthy(convertBool ? toBool(d) : d);
  },
  falsy: (v, args, kw, c) => {
    const [convertBool] = bind(c, args, kw, ['convert_bool']);
    const d = defined(v);
    return !truthy(convertBool ? toBool(d) : d);
  },
  failed: resultTest((r) => truthy(r.failed)),
  succeeded: resultTest((r) => !truthy(r.failed)),
  changed: resultTest((r) => truthy(r.changed)),
  skipped: resultTest((r) => truthy(r.skipped)),
  finished: resultTest((r) => !('finished' in r) || truthy(r.finished)),
  reachable: resultTest((r) => !truthy(r.unreachable)),
  unreachable: resultTest((r) => truthy(r.unreachable)),
};
export const TESTS: Record<string, Test> = Object.assign(Object.create(null) as Record<string, Test>, tests);
const aliases: Record<string, string> = {
  '==': 'eq',
  equalto: 'eq',
  '!=': 'ne',
  '<': 'lt',
  lessthan: 'lt',
  '<=': 'le',
  '>': 'gt',
  greaterthan: 'gt',
  '>=': 'ge',
  success: 'succeeded',
  successful: 'succeeded',
  failure: 'failed',
  change: 'changed',
  skip: 'skipped',
  version_compare: 'version',
  divisible_by: 'divisibleby',
};
for (const [a, t] of Object.entries(aliases)) TESTS[a] = TESTS[t];
