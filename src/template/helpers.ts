// The handlebars helpers operators may call. Each takes its arguments first and
// handlebars' options object last.
import type { HelperOptions } from 'handlebars';
import { RenderFault } from './errors.js';
import { contains, deepEqual, truthy, typeName } from './truthy.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- handlebars passes template values of any type
type Helper = (...args: any[]) => unknown;

/** Helpers whose arguments may be undefined (they test or replace missing values). Every
 * other helper's variable arguments must be defined, like a plain {{ var }}. */
export const TOLERANT_HELPERS = new Set(['default', 'eq', 'ne', 'and', 'or', 'not', 'if', 'unless', 'each', 'with']);

/** Split handlebars' trailing options object from the real arguments. */
function split(args: unknown[]): { params: unknown[]; options: HelperOptions } {
  return { params: args.slice(0, -1), options: args[args.length - 1] as HelperOptions };
}

function fault(options: HelperOptions, name: string, msg: string): RenderFault {
  const loc = (options as unknown as { loc?: { start: { line: number; column: number } } }).loc;
  return new RenderFault(`helper '${name}': ${msg}`, loc?.start.line, loc?.start.column);
}

function arity(name: string, args: unknown[], min: number, max: number): { params: unknown[]; options: HelperOptions } {
  const s = split(args);
  if (s.params.length < min || s.params.length > max) {
    const want = min === max ? `${min}` : `${min} to ${max}`;
    throw fault(s.options, name, `expected ${want} argument(s), got ${s.params.length}`);
  }
  return s;
}

function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** POSIX sh single quotes: nothing inside is special except the quote itself. */
export function shQuote(v: unknown): string {
  return `'${str(v).replace(/'/g, `'\\''`)}'`;
}

/** Jinja's indent: every line but the first (unless first) gets n spaces; blank lines stay blank. */
export function indentText(text: string, n: number, first: boolean): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((line, i) => ((i > 0 || first) && line.trim() !== '' ? pad + line : line))
    .join('\n');
}

export const helpers: Record<string, Helper> = {
  default(...args) {
    const { params } = arity('default', args, 2, 2);
    return params[0] === undefined || params[0] === null ? params[1] : params[0];
  },
  eq(...args) {
    const { params } = arity('eq', args, 2, 2);
    return deepEqual(params[0], params[1]);
  },
  ne(...args) {
    const { params } = arity('ne', args, 2, 2);
    return !deepEqual(params[0], params[1]);
  },
  // and/or return an operand like Python, so `or a b` doubles as a fallback.
  and(...args) {
    const { params } = arity('and', args, 1, Infinity);
    for (const p of params) if (!truthy(p)) return p;
    return params[params.length - 1];
  },
  or(...args) {
    const { params } = arity('or', args, 1, Infinity);
    for (const p of params) if (truthy(p)) return p;
    return params[params.length - 1];
  },
  not(...args) {
    const { params } = arity('not', args, 1, 1);
    return !truthy(params[0]);
  },
  join(...args) {
    const { params, options } = arity('join', args, 1, 2);
    const [list, sep] = params;
    if (!Array.isArray(list)) throw fault(options, 'join', `expected a list, got ${typeName(list)}`);
    return list.map(str).join(sep === undefined ? ',' : str(sep));
  },
  json(...args) {
    const { params } = arity('json', args, 1, 2);
    const spaces = typeof params[1] === 'number' ? params[1] : undefined;
    return JSON.stringify(params[0], null, spaces);
  },
  // {{indent 4 text}} (Jinja: first line untouched, first=true to indent it too) or
  // {{#indent 4}}block{{/indent}} (every line, as a block starts at column 0).
  indent(...args) {
    const { params, options } = split(args);
    const block = typeof options.fn === 'function' && params.length === 1;
    let n: unknown;
    let text: unknown;
    if (block) {
      n = params[0];
      text = options.fn(this);
    } else {
      if (params.length !== 2) throw fault(options, 'indent', `expected 2 arguments (spaces, text), got ${params.length}`);
      [n, text] = typeof params[0] === 'number' ? params : [params[1], params[0]];
    }
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw fault(options, 'indent', `expected a number of spaces, got ${typeName(n)}`);
    }
    const first = options.hash?.first === undefined ? block : truthy(options.hash.first);
    return indentText(str(text), n, first);
  },
  upper(...args) {
    return str(arity('upper', args, 1, 1).params[0]).toUpperCase();
  },
  lower(...args) {
    return str(arity('lower', args, 1, 1).params[0]).toLowerCase();
  },
  // A list quotes each element, space separated: ready to be a command's arguments.
  quote(...args) {
    const v = arity('quote', args, 1, 1).params[0];
    return Array.isArray(v) ? v.map(shQuote).join(' ') : shQuote(v);
  },
  b64(...args) {
    return Buffer.from(str(arity('b64', args, 1, 1).params[0]), 'utf8').toString('base64');
  },
  first(...args) {
    const { params, options } = arity('first', args, 1, 1);
    const v = params[0];
    if (Array.isArray(v) || typeof v === 'string') return v[0];
    throw fault(options, 'first', `expected a list or string, got ${typeName(v)}`);
  },
  last(...args) {
    const { params, options } = arity('last', args, 1, 1);
    const v = params[0];
    if (Array.isArray(v) || typeof v === 'string') return v[v.length - 1];
    throw fault(options, 'last', `expected a list or string, got ${typeName(v)}`);
  },
  // {{{{raw}}}}...{{{{/raw}}}}: the body is not parsed, so Go/docker {{ }} pass through.
  raw(...args) {
    const { options } = split(args);
    if (typeof options.fn !== 'function') throw fault(options, 'raw', 'use it as a raw block: {{{{raw}}}}...{{{{/raw}}}}');
    return options.fn(this);
  },
  includes(...args) {
    const { params, options } = arity('includes', args, 2, 2);
    try {
      return contains(params[0], params[1]);
    } catch (e) {
      throw fault(options, 'includes', (e as Error).message.replace(/^'in' needs/, 'needs'));
    }
  },
  /** The items of the first list that the second has, in the first list's order (a preference
   * order filtered by what a host supports). */
  intersect(...args) {
    const { params, options } = arity('intersect', args, 2, 2);
    const [wanted, have] = params;
    if (!Array.isArray(wanted) || !Array.isArray(have)) throw fault(options, 'intersect', `needs two lists, got ${typeName(wanted)} and ${typeName(have)}`);
    return wanted.filter((w) => have.some((h) => deepEqual(w, h)));
  },
};

/** Helpers handlebars provides itself and that we keep. */
export const BUILTIN_HELPERS = ['if', 'unless', 'each', 'with', 'lookup'];
