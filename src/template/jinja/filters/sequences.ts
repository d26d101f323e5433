// Lists and mappings: length, first/last, min/max, sum, unique, sort, reverse, join, map,
// select/reject(attr), flatten, set operations, zip, batch, dict2items/items2dict, combine...
import { deepEqual, truthy, typeName } from '../../truthy.js';
import { isNumber, makeFloat, numValue, isFloat } from '../../values/float.js';
import { pyStr } from '../../values/print.js';
import { MISSING, getKey, isMapping } from '../lookup.js';
import { order } from '../ops.js';
import { own } from '../runtime.js';
import { bind, type Call, type Filter } from './bind.js';
import { JinjaError, Undef, defined } from '../undefined.js';
import { attrGetter, fail, int, keyName, list, mapping } from './util.js';

/** Case-insensitive by default, as Jinja's sort/unique/min/max. */
function sortKey(v: unknown, caseSensitive: boolean): unknown {
  return !caseSensitive && typeof v === 'string' ? v.toLowerCase() : v;
}

function keyed(c: Call, attribute: unknown, caseSensitive: unknown): (x: unknown) => unknown {
  const get = attribute === undefined || attribute === null ? (x: unknown) => x : attrGetter(attribute, c.env, c.name);
  const cs = truthy(caseSensitive ?? false);
  return (x) => sortKey(defined(get(x)), cs);
}

function uniqueBy(items: unknown[], key: (x: unknown) => unknown): unknown[] {
  const seen: unknown[] = [];
  const out: unknown[] = [];
  for (const x of items) {
    const k = key(x);
    if (seen.some((s) => deepEqual(s, k))) continue;
    seen.push(k);
    out.push(x);
  }
  return own(out);
}

function extreme(name: string, sign: number): Filter {
  return (v, args, kw, c) => {
    const [caseSensitive, attribute] = bind(c, args, kw, ['case_sensitive', 'attribute']);
    const items = list(name, v);
    if (!items.length) return new Undef(`(${name} of an empty list)`);
    const key = keyed(c, attribute, caseSensitive);
    let best = items[0];
    for (const x of items.slice(1)) if (order(key(x), key(best)) * sign > 0) best = x;
    return best;
  };
}

/** A filter or test named by a string argument, as map() and select() take them. */
function selector(c: Call, args: unknown[], kw: Record<string, unknown>, kind: 'test'): (x: unknown) => boolean {
  if (!args.length) return (x) => truthy(defined(x));
  const [name, ...rest] = args;
  if (typeof name !== 'string') fail(c.name, `expects a ${kind} name, got ${typeName(name)}`);
  return (x) => c.test(name, x, rest, kw);
}

function selectFilter(name: string, keep: boolean): Filter {
  return (v, args, kw, c) => {
    const test = selector(c, args.map(defined), kw, 'test');
    return own(list(name, v).filter((x) => test(x) === keep));
  };
}

function selectAttrFilter(name: string, keep: boolean): Filter {
  return (v, args, kw, c) => {
    const [attribute, ...rest] = args.map(defined);
    if (attribute === undefined) fail(name, 'expects an attribute name');
    const get = attrGetter(attribute, c.env, name);
    const test = selector(c, rest, kw, 'test');
    return own(list(name, v).filter((x) => test(get(x)) === keep));
  };
}

function flatten(items: unknown[], levels: number | undefined, skipNulls: boolean): unknown[] {
  const out: unknown[] = [];
  for (const x of items) {
    if (Array.isArray(x) && (levels === undefined || levels > 0))
      out.push(...flatten(x, levels === undefined ? undefined : levels - 1, skipNulls));
    else if (!(skipNulls && (x === null || x === 'None'))) out.push(x);
  }
  return out;
}

type ListMerge = 'replace' | 'keep' | 'append' | 'prepend' | 'append_rp' | 'prepend_rp';

function mergeLists(a: unknown[], b: unknown[], how: ListMerge): unknown[] {
  switch (how) {
    case 'keep':
      return a;
    case 'append':
      return [...a, ...b];
    case 'prepend':
      return [...b, ...a];
    case 'append_rp':
      return [...a.filter((x) => !b.some((y) => deepEqual(x, y))), ...b];
    case 'prepend_rp':
      return [...b, ...a.filter((x) => !b.some((y) => deepEqual(x, y)))];
    default:
      return b;
  }
}

/** Ansible's combine: later mappings win; recursive merges nested mappings. */
export function combine(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
  recursive: boolean,
  how: ListMerge,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const old = out[k];
    if (recursive && isMapping(old) && isMapping(v)) out[k] = combine(old, v, true, how);
    else if (Array.isArray(old) && Array.isArray(v)) out[k] = mergeLists(old, v, how);
    else out[k] = v;
  }
  return own(out);
}

function setOp(name: string, pick: (a: unknown[], b: unknown[]) => unknown[]): Filter {
  return (v, args, kw, c) => {
    const [other] = bind(c, args, kw, ['other']);
    return uniqueBy(pick(list(name, v), list(name, other)), (x) => x);
  };
}

const inList = (xs: unknown[], x: unknown) => xs.some((y) => deepEqual(x, y));

export const sequenceFilters: Record<string, Filter> = {
  length: (v) => {
    const d = defined(v);
    if (typeof d === 'string') return [...d].length;
    if (Array.isArray(d)) return d.length;
    if (isMapping(d)) return Object.keys(d).length;
    throw new JinjaError(`filter 'length': ${typeName(d)} has no length`);
  },
  first: (v) => {
    const items = list('first', v);
    return items.length ? items[0] : new Undef('(first of an empty list)');
  },
  last: (v) => {
    const items = list('last', v);
    return items.length ? items[items.length - 1] : new Undef('(last of an empty list)');
  },
  min: extreme('min', -1),
  max: extreme('max', 1),
  sum: (v, args, kw, c) => {
    const [attribute, start] = bind(c, args, kw, ['attribute', 'start']);
    const get = attribute === undefined || attribute === null ? (x: unknown) => x : attrGetter(attribute, c.env, 'sum');
    let total: unknown = start ?? 0;
    let float = isFloat(total);
    let n = 0;
    for (const x of list('sum', v)) {
      const d = defined(get(x));
      if (!isNumber(d) && typeof d !== 'boolean') fail('sum', `cannot add ${typeName(d)} to a number`);
      float ||= isFloat(d);
      n += numValue(d as number);
    }
    total = numValue(total as number) + n;
    return float ? makeFloat(total as number) : total;
  },
  unique: (v, args, kw, c) => {
    const [caseSensitive, attribute] = bind(c, args, kw, ['case_sensitive', 'attribute']);
    return uniqueBy(list('unique', v), keyed(c, attribute, caseSensitive));
  },
  sort: (v, args, kw, c) => {
    const [reverse, caseSensitive, attribute] = bind(c, args, kw, ['reverse', 'case_sensitive', 'attribute']);
    const attrs = typeof attribute === 'string' ? attribute.split(',').map((a) => a.trim()) : [attribute];
    const keys = attrs.map((a) => keyed(c, a, caseSensitive));
    const items = [...list('sort', v)];
    items.sort((x, y) => {
      for (const k of keys) {
        const r = order(k(x), k(y));
        if (r) return r;
      }
      return 0;
    });
    if (truthy(reverse ?? false)) items.reverse();
    return own(items);
  },
  reverse: (v) => {
    const d = defined(v);
    if (typeof d === 'string') return [...d].reverse().join('');
    return own([...list('reverse', d)].reverse());
  },
  join: (v, args, kw, c) => {
    const [sep, attribute] = bind(c, args, kw, ['d', 'attribute']);
    const get = attribute === undefined || attribute === null ? (x: unknown) => x : attrGetter(attribute, c.env, 'join');
    return list('join', v)
      .map((x) => pyStr(defined(get(x))))
      .join(sep === undefined ? '' : pyStr(sep));
  },
  map: (v, args, kw, c) => {
    const items = list('map', v);
    if ('attribute' in kw) {
      const get = attrGetter(defined(kw.attribute), c.env, 'map');
      const hasDefault = 'default' in kw;
      return own(
        items.map((x) => {
          const r = get(x);
          return r instanceof Undef && hasDefault ? kw.default : defined(r);
        }),
      );
    }
    const [name, ...rest] = args.map(defined);
    if (typeof name !== 'string') fail('map', "expects a filter name or attribute='name'");
    return own(items.map((x) => defined(c.filter(name, x, rest, kw))));
  },
  select: selectFilter('select', true),
  reject: selectFilter('reject', false),
  selectattr: selectAttrFilter('selectattr', true),
  rejectattr: selectAttrFilter('rejectattr', false),
  flatten: (v, args, kw, c) => {
    const [levels, skipNulls] = bind(c, args, kw, ['levels', 'skip_nulls']);
    return own(
      flatten(
        list('flatten', v),
        levels === undefined || levels === null ? undefined : int('flatten', levels, 'levels'),
        truthy(skipNulls ?? true),
      ),
    );
  },
  union: setOp('union', (a, b) => [...a, ...b]),
  intersect: setOp('intersect', (a, b) => a.filter((x) => inList(b, x))),
  difference: setOp('difference', (a, b) => a.filter((x) => !inList(b, x))),
  symmetric_difference: setOp('symmetric_difference', (a, b) => [...a.filter((x) => !inList(b, x)), ...b.filter((x) => !inList(a, x))]),
  zip: (v, args) => {
    const lists = [list('zip', v), ...args.map((a) => list('zip', a))];
    const n = Math.min(...lists.map((l) => l.length));
    return own(Array.from({ length: n }, (_, i) => own(lists.map((l) => l[i]))));
  },
  zip_longest: (v, args, kw) => {
    const lists = [list('zip_longest', v), ...args.map((a) => list('zip_longest', a))];
    const fill = 'fillvalue' in kw ? defined(kw.fillvalue) : null;
    const n = Math.max(...lists.map((l) => l.length));
    return own(Array.from({ length: n }, (_, i) => own(lists.map((l) => (i < l.length ? l[i] : fill)))));
  },
  batch: (v, args, kw, c) => {
    const [size, fill] = bind(c, args, kw, ['linecount', 'fill_with'], false, 1);
    const n = int('batch', size, 'linecount');
    if (n <= 0) fail('batch', 'linecount must be positive');
    const items = list('batch', v);
    const out: unknown[][] = [];
    for (let i = 0; i < items.length; i += n) out.push(own(items.slice(i, i + n)));
    const lastBatch = out[out.length - 1];
    if (fill !== undefined && fill !== null && lastBatch) while (lastBatch.length < n) lastBatch.push(fill);
    return own(out);
  },
  dict2items: (v, args, kw, c) => {
    const [keyName_, valueName] = bind(c, args, kw, ['key_name', 'value_name']);
    const m = mapping('dict2items', v);
    return own(Object.entries(m).map(([k, x]) => own({ [String(keyName_ ?? 'key')]: k, [String(valueName ?? 'value')]: x })));
  },
  items2dict: (v, args, kw, c) => {
    const [kn, vn] = bind(c, args, kw, ['key_name', 'value_name']);
    const out: Record<string, unknown> = {};
    for (const item of list('items2dict', v)) {
      const key = getKey(item, kn ?? 'key', c.env);
      const val = getKey(item, vn ?? 'value', c.env);
      if (key === MISSING || val === MISSING) fail('items2dict', `each item needs '${String(kn ?? 'key')}' and '${String(vn ?? 'value')}'`);
      out[keyName(key)] = val;
    }
    return own(out);
  },
  items: (v) => {
    const d = defined(v);
    if (d === null) return own([]);
    return own(Object.entries(mapping('items', d)).map(([k, x]) => own([k, x])));
  },
  dictsort: (v, args, kw, c) => {
    const [caseSensitive, by, reverse] = bind(c, args, kw, ['case_sensitive', 'by', 'reverse']);
    const pos = by === 'value' ? 1 : 0;
    const cs = truthy(caseSensitive ?? false);
    const items = Object.entries(mapping('dictsort', v)).map(([k, x]) => own([k, x]));
    items.sort((a, b) => order(sortKey(a[pos], cs), sortKey(b[pos], cs)));
    if (truthy(reverse ?? false)) items.reverse();
    return own(items);
  },
  combine: (v, args, kw) => {
    const extra = Object.keys(kw).filter((k) => k !== 'recursive' && k !== 'list_merge');
    if (extra.length) fail('combine', `has no parameter '${extra[0]}' (parameters: recursive, list_merge)`);
    const how = (kw.list_merge ?? 'replace') as ListMerge;
    if (!['replace', 'keep', 'append', 'prepend', 'append_rp', 'prepend_rp'].includes(how))
      fail('combine', `list_merge must be replace, keep, append, prepend, append_rp or prepend_rp`);
    const terms = [v, ...args].flatMap((t) => (Array.isArray(defined(t)) ? (t as unknown[]) : [t]));
    let out = mapping('combine', terms[0]);
    for (const t of terms.slice(1)) out = combine(out, mapping('combine', t), truthy(kw.recursive ?? false), how);
    return out === terms[0] ? own({ ...out }) : out;
  },
  // map('extract', hostvars, 'ansible_host'): container[item], then [morekeys].
  extract: (v, args, kw, c) => {
    const [container, morekeys] = bind(c, args, kw, ['container', 'morekeys'], false, 1);
    let r = getKey(container, defined(v), c.env);
    if (r === MISSING) return new Undef(`(extract of ${pyStr(v)})`);
    for (const k of morekeys === undefined || morekeys === null ? [] : Array.isArray(morekeys) ? morekeys : [morekeys]) {
      r = getKey(r, k, c.env);
      if (r === MISSING) return new Undef(`(extract of ${pyStr(v)}.${pyStr(k)})`);
    }
    return r;
  },
  attr: (v, args, kw, c) => {
    const [name] = bind(c, args, kw, ['name'], false, 1);
    const r = getKey(defined(v), name, c.env);
    return r === MISSING ? new Undef(`(attribute ${pyStr(name)})`) : r;
  },
};
sequenceFilters.count = sequenceFilters.length;
