// The Python methods templates call on strings, lists and mappings ('a'.upper(),
// d.items(), l.index(x)...), implemented here; anything else is an error naming it. Methods
// that change a list or mapping work only on ones the template built itself.
import { deepEqual, truthy, typeName } from '../truthy.js';
import { isNumber, numValue } from '../values/float.js';
import { pyStr } from '../values/print.js';
import { pySplit, pyStrip } from '../values/strings.js';
import { isMapping } from './lookup.js';
import { binary } from './ops.js';
import { Namespace, own, owned } from './runtime.js';
import { JinjaError } from './undefined.js';

type Method = (self: never, args: unknown[], kw: Record<string, unknown>) => unknown;

function n(v: unknown, what: string): number {
  if (!isNumber(v) || !Number.isInteger(numValue(v))) throw new JinjaError(`${what} must be an integer, got ${typeName(v)}`);
  return numValue(v);
}

function s(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new JinjaError(`${what} must be a string, got ${typeName(v)}`);
  return v;
}

function prefixes(v: unknown, what: string): string[] {
  return Array.isArray(v) ? v.map((x) => s(x, what)) : [s(v, what)];
}

/** str.format: {} {0} {name}, with {{ }} for literal braces. */
function format(self: string, args: unknown[], kw: Record<string, unknown>): string {
  let auto = 0;
  return self.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (m, field: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const [key, spec] = (field ?? '').split(':');
    let v: unknown;
    if (key === '') v = args[auto++];
    else if (/^\d+$/.test(key)) v = args[Number(key)];
    else v = Object.prototype.hasOwnProperty.call(kw, key) ? kw[key] : undefined;
    if (v === undefined) throw new JinjaError(`format: no value for field '{${key}}'`);
    if (!spec) return pyStr(v);
    return binary('%', `%${spec.replace(/^>/, '')}${/[a-zA-Z]$/.test(spec) ? '' : 's'}`, [v]) as string;
  });
}

function mutable(self: object, name: string): void {
  if (!owned.has(self)) {
    throw new JinjaError(
      `.${name}() changes a value that comes from the variables; build a new one instead (e.g. a + [x], a | combine(b))`,
    );
  }
}

const STR: Record<string, Method> = {
  lower: (t: string) => t.toLowerCase(),
  upper: (t: string) => t.toUpperCase(),
  capitalize: (t: string) => t.slice(0, 1).toUpperCase() + t.slice(1).toLowerCase(),
  title: (t: string) => t.replace(/([\w']+)/g, (w) => w.slice(0, 1).toUpperCase() + w.slice(1).toLowerCase()),
  swapcase: (t: string) => [...t].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
  strip: (t: string, [chars]) => pyStrip(t, chars, true, true),
  lstrip: (t: string, [chars]) => pyStrip(t, chars, true, false),
  rstrip: (t: string, [chars]) => pyStrip(t, chars, false, true),
  split: (t: string, [sep, max], kw) =>
    own(pySplit(t, sep ?? kw.sep, max === undefined && kw.maxsplit === undefined ? -1 : n(max ?? kw.maxsplit, 'maxsplit'))),
  rsplit: (t: string, [sep, max]) => {
    const m = max === undefined ? -1 : n(max, 'maxsplit');
    if (m < 0) return own(pySplit(t, sep, -1));
    const rev = pySplit([...t].reverse().join(''), typeof sep === 'string' ? [...sep].reverse().join('') : sep, m);
    return own(rev.map((p) => [...p].reverse().join('')).reverse());
  },
  splitlines: (t: string, [keep]) =>
    own(
      truthy(keep ?? false)
        ? (t.match(/[^\n]*\n|[^\n]+$/g) ?? [])
        : t.split(/\r\n|\n|\r/).filter((_, i, a) => i < a.length - 1 || a[i] !== ''),
    ),
  startswith: (t: string, [p]) => prefixes(p, 'prefix').some((x) => t.startsWith(x)),
  endswith: (t: string, [p]) => prefixes(p, 'suffix').some((x) => t.endsWith(x)),
  replace: (t: string, [a, b, count]) => {
    const from = s(a, 'old');
    const to = s(b, 'new');
    if (count === undefined || n(count, 'count') < 0) return t.split(from).join(to);
    const parts = t.split(from);
    const k = n(count, 'count');
    return parts.length - 1 <= k ? parts.join(to) : parts.slice(0, k + 1).join(to) + from + parts.slice(k + 1).join(from);
  },
  join: (t: string, [items]) => {
    if (!Array.isArray(items)) throw new JinjaError(`join() needs a list, got ${typeName(items)}`);
    return items.map((x) => s(x, 'each joined item')).join(t);
  },
  find: (t: string, [sub]) => t.indexOf(s(sub, 'substring')),
  rfind: (t: string, [sub]) => t.lastIndexOf(s(sub, 'substring')),
  index: (t: string, [sub]) => {
    const i = t.indexOf(s(sub, 'substring'));
    if (i < 0) throw new JinjaError('substring not found');
    return i;
  },
  count: (t: string, [sub]) => (s(sub, 'substring') === '' ? t.length + 1 : t.split(sub as string).length - 1),
  format: (t: string, args, kw) => format(t, args, kw),
  isdigit: (t: string) => /^\d+$/.test(t),
  isnumeric: (t: string) => /^\d+$/.test(t),
  isdecimal: (t: string) => /^\d+$/.test(t),
  isalpha: (t: string) => /^[A-Za-z\u00C0-\uFFFF]+$/.test(t),
  isalnum: (t: string) => /^[A-Za-z0-9\u00C0-\uFFFF]+$/.test(t),
  isspace: (t: string) => /^\s+$/.test(t),
  islower: (t: string) => /[a-z]/.test(t) && t === t.toLowerCase(),
  isupper: (t: string) => /[A-Z]/.test(t) && t === t.toUpperCase(),
  zfill: (t: string, [w]) => {
    const width = n(w, 'width');
    const sign = /^[+-]/.test(t) ? t[0] : '';
    return sign + t.slice(sign.length).padStart(width - sign.length, '0');
  },
  ljust: (t: string, [w, fill]) => t.padEnd(n(w, 'width'), fill === undefined ? ' ' : s(fill, 'fill')),
  rjust: (t: string, [w, fill]) => t.padStart(n(w, 'width'), fill === undefined ? ' ' : s(fill, 'fill')),
  center: (t: string, [w, fill]) => {
    const width = n(w, 'width');
    const f = fill === undefined ? ' ' : s(fill, 'fill');
    const total = Math.max(0, width - t.length);
    const left = Math.floor(total / 2) + (total % 2 && width % 2 ? 1 : 0);
    return f.repeat(left) + t + f.repeat(total - left);
  },
  partition: (t: string, [sep]) => {
    const i = t.indexOf(s(sep, 'separator'));
    return own(i < 0 ? [t, '', ''] : [t.slice(0, i), sep, t.slice(i + (sep as string).length)]);
  },
  rpartition: (t: string, [sep]) => {
    const i = t.lastIndexOf(s(sep, 'separator'));
    return own(i < 0 ? ['', '', t] : [t.slice(0, i), sep, t.slice(i + (sep as string).length)]);
  },
};

const LIST: Record<string, Method> = {
  index: (l: unknown[], [x]) => {
    const i = l.findIndex((y) => deepEqual(x, y));
    if (i < 0) throw new JinjaError('list.index(x): x not in list');
    return i;
  },
  count: (l: unknown[], [x]) => l.filter((y) => deepEqual(x, y)).length,
  copy: (l: unknown[]) => own([...l]),
  append: (l: unknown[], [x]) => {
    mutable(l, 'append');
    l.push(x);
    return null;
  },
  extend: (l: unknown[], [x]) => {
    mutable(l, 'extend');
    if (!Array.isArray(x)) throw new JinjaError(`extend() needs a list, got ${typeName(x)}`);
    l.push(...x);
    return null;
  },
  insert: (l: unknown[], [i, x]) => {
    mutable(l, 'insert');
    l.splice(n(i, 'index'), 0, x);
    return null;
  },
  pop: (l: unknown[], [i]) => {
    mutable(l, 'pop');
    if (!l.length) throw new JinjaError('pop from an empty list');
    const k = i === undefined ? l.length - 1 : n(i, 'index');
    return l.splice(k < 0 ? l.length + k : k, 1)[0];
  },
  remove: (l: unknown[], [x]) => {
    mutable(l, 'remove');
    const k = l.findIndex((y) => deepEqual(x, y));
    if (k < 0) throw new JinjaError('list.remove(x): x not in list');
    l.splice(k, 1);
    return null;
  },
};

const DICT: Record<string, Method> = {
  items: (d: Record<string, unknown>) => own(Object.keys(d).map((k) => own([k, d[k]]))),
  keys: (d: Record<string, unknown>) => own(Object.keys(d)),
  values: (d: Record<string, unknown>) => own(Object.keys(d).map((k) => d[k])),
  get: (d: Record<string, unknown>, [k, dflt]) => {
    const key = pyStr(k);
    return Object.prototype.hasOwnProperty.call(d, key) && d[key] !== undefined ? d[key] : (dflt ?? null);
  },
  copy: (d: Record<string, unknown>) => own({ ...d }),
  update: (d: Record<string, unknown>, [other], kw) => {
    mutable(d, 'update');
    if (other !== undefined && !isMapping(other)) throw new JinjaError(`update() needs a mapping, got ${typeName(other)}`);
    Object.assign(d, other ?? {}, kw);
    return null;
  },
  pop: (d: Record<string, unknown>, [k, dflt]) => {
    mutable(d, 'pop');
    const key = pyStr(k);
    if (!Object.prototype.hasOwnProperty.call(d, key)) {
      if (dflt === undefined) throw new JinjaError(`pop(): key '${key}' not found`);
      return dflt;
    }
    const v = d[key];
    delete d[key];
    return v;
  },
  setdefault: (d: Record<string, unknown>, [k, dflt]) => {
    const key = pyStr(k);
    if (Object.prototype.hasOwnProperty.call(d, key)) return d[key];
    mutable(d, 'setdefault');
    d[key] = dflt ?? null;
    return d[key];
  },
};

function table(self: unknown): { kind: string; methods: Record<string, Method> } | undefined {
  if (typeof self === 'string') return { kind: 'string', methods: STR };
  if (Array.isArray(self)) return { kind: 'list', methods: LIST };
  if (isMapping(self)) return { kind: 'mapping', methods: DICT };
  if (self instanceof Namespace) return { kind: 'namespace', methods: {} };
  return undefined;
}

export function callMethod(self: unknown, name: string, args: unknown[], kw: Record<string, unknown>): unknown {
  const t = table(self);
  if (!t || !Object.prototype.hasOwnProperty.call(t.methods, name)) {
    const known = t ? Object.keys(t.methods).sort().join(', ') : 'none';
    throw new JinjaError(`unsupported method .${name}() on a ${t?.kind ?? typeName(self)} (supported: ${known}; or use a filter)`);
  }
  return t.methods[name](self as never, args, kw);
}
