// Serialisations: to_json / to_nice_json as Python's json.dumps prints them (", " and
// ": " separators, \u escapes, sorted keys for nice), tojson, from_json, YAML both ways.
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { truthy, typeName } from '../../truthy.js';
import { PyFloat } from '../../values/float.js';
import { floatRepr } from '../../values/print.js';
import { isMapping } from '../lookup.js';
import { own } from '../runtime.js';
import { bind, type Filter } from './bind.js';
import { JinjaError, defined } from '../undefined.js';
import { int, str } from './util.js';
import { toFlowYaml, toNiceYaml } from './yaml-out.js';

interface JsonOpts {
  indent?: number;
  sortKeys: boolean;
  ensureAscii: boolean;
  itemSep: string;
  keySep: string;
  htmlSafe?: boolean;
}

function jsonString(s: string, o: JsonOpts): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || (o.htmlSafe && "<>&'".includes(ch)) || (o.ensureAscii && c > 0x7e)) {
      for (let k = 0; k < ch.length; k++) out += '\\u' + ch.charCodeAt(k).toString(16).padStart(4, '0');
    } else out += ch;
  }
  return out + '"';
}

/** Python's json.dumps of template values. */
export function pyJson(v: unknown, o: JsonOpts, level = 0): string {
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'string') return jsonString(v, o);
  if (v instanceof PyFloat)
    return floatRepr(v.value)
      .replace(/^inf$/, 'Infinity')
      .replace(/^-inf$/, '-Infinity')
      .replace(/^nan$/, 'NaN');
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
    return Number.isInteger(v) ? String(v) : floatRepr(v);
  }
  const nl = o.indent === undefined ? '' : '\n' + ' '.repeat(o.indent * (level + 1));
  const end = o.indent === undefined ? '' : '\n' + ' '.repeat(o.indent * level);
  if (Array.isArray(v)) {
    if (!v.length) return '[]';
    return `[${nl}${v.map((x) => pyJson(x, o, level + 1)).join(o.itemSep + nl)}${end}]`;
  }
  if (isMapping(v)) {
    let keys = Object.keys(v);
    if (!keys.length) return '{}';
    if (o.sortKeys) keys = keys.sort();
    return `{${nl}${keys.map((k) => `${jsonString(k, o)}${o.keySep}${pyJson(v[k], o, level + 1)}`).join(o.itemSep + nl)}${end}}`;
  }
  throw new JinjaError(`cannot serialise ${typeName(v)} to JSON`);
}

function jsonOpts(indent: unknown, sortKeys: unknown, nice: boolean, ensureAscii = true): JsonOpts {
  const i = indent === undefined || indent === null ? undefined : int('to_json', indent, 'indent');
  return { indent: i, sortKeys: truthy(sortKeys ?? false), ensureAscii, itemSep: nice || i !== undefined ? ',' : ', ', keySep: ': ' };
}

function fromYaml(s: string): unknown {
  try {
    return parseYaml(s, { version: '1.1' });
  } catch (e) {
    throw new JinjaError(`from_yaml: invalid YAML (${(e as Error).message.split('\n')[0]})`);
  }
}

export const dataFilters: Record<string, Filter> = {
  to_json: (v, args, kw, c) => {
    const [indent, sortKeys, ensureAscii] = bind(c, args, kw, ['indent', 'sort_keys', 'ensure_ascii']);
    return pyJson(defined(v), jsonOpts(indent, sortKeys, false, truthy(ensureAscii ?? true)));
  },
  to_nice_json: (v, args, kw, c) => {
    const [indent, sortKeys, ensureAscii] = bind(c, args, kw, ['indent', 'sort_keys', 'ensure_ascii']);
    return pyJson(defined(v), jsonOpts(indent ?? 4, sortKeys ?? true, true, truthy(ensureAscii ?? true)));
  },
  // Jinja's own: HTML-safe, sorted keys.
  tojson: (v, args, kw, c) => {
    const [indent] = bind(c, args, kw, ['indent']);
    return pyJson(defined(v), { ...jsonOpts(indent, true, false, false), htmlSafe: true });
  },
  from_json: (v) => {
    try {
      return own(JSON.parse(str('from_json', v)));
    } catch (e) {
      throw new JinjaError(`from_json: invalid JSON (${(e as Error).message})`);
    }
  },
  to_yaml: (v, args, kw, c) => {
    const [indent] = bind(c, args, kw, ['indent']);
    return toFlowYaml(defined(v), indent === undefined ? 2 : int('to_yaml', indent, 'indent'));
  },
  to_nice_yaml: (v, args, kw, c) => {
    const [indent] = bind(c, args, kw, ['indent']);
    return toNiceYaml(defined(v), indent === undefined ? 4 : int('to_nice_yaml', indent, 'indent'));
  },
  from_yaml: (v) => fromYaml(str('from_yaml', v)),
  from_yaml_all: (v) => {
    const docs = parseAllDocuments(str('from_yaml_all', v), { version: '1.1' });
    return own((Array.isArray(docs) ? docs : [docs]).map((d) => d.toJS()));
  },
};
