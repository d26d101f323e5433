// A variable's value as a text that is equal in two contexts only if a template reading it
// would read the same there: the engine compares these to know that a render made earlier
// (the first round trip's speculation) still holds. Only plain data has such a text: a
// Proxy (hostvars, the secrets store), a Lazy left inside a value or any other object has
// none, and neither has a value too large to be worth comparing.
import { types } from 'node:util';
import type { Vars } from '../model/inventory.js';
import { Lazy } from './lazy/lazy.js';
import { MISSING, getKey } from './jinja/lookup.js';
import { owned } from './jinja/runtime.js';
import { PyFloat } from './values/float.js';
import { makeEnv } from './jinja/render.js';
import { templateServices } from './render.js';

/** Past this many characters a value is not compared (the render is done again). */
const MAX_TEXT = 64 * 1024;
const MAX_DEPTH = 32;

/** What reading `name` and then the keys of `path` gives in `ctx`, as a text; undefined when it
 * cannot be compared (see above) or reading it fails. Where a key cannot be followed (a list
 * index, a missing key), the value above it is what is compared: it decides everything below. */
export function valueSnapshot(ctx: Vars, name: string, path: readonly string[]): string | undefined {
  if (name === 'vars' || name === 'hostvars') return undefined;
  try {
    const env = makeEnv(ctx, '', { file: '(variables)' }, [], templateServices);
    let v = getKey(ctx, name, env);
    let depth = 0;
    for (const k of path) {
      if (v === MISSING) break;
      const next = getKey(v, k, env);
      if (next === MISSING) break;
      v = next;
      depth++;
    }
    // Most variables are a plain string or number: no encoder needed.
    if (typeof v === 'string') return `${depth}:s${v.length}:${v}`;
    if (typeof v === 'number' && !Object.is(v, -0)) return `${depth}:n${v};`;
    const out: string[] = [`${depth}:`];
    return encode(v, out, 0, { size: 0 }) ? out.join('') : undefined;
  } catch {
    return undefined;
  }
}

function encode(v: unknown, out: string[], depth: number, budget: { size: number }): boolean {
  if (depth > MAX_DEPTH) return false;
  if (v === MISSING) return push(out, 'M', budget);
  switch (typeof v) {
    case 'undefined':
      return push(out, 'u', budget);
    case 'boolean':
      return push(out, v ? 't' : 'f', budget);
    case 'number':
      return push(out, Object.is(v, -0) ? 'n-0;' : `n${v};`, budget);
    case 'bigint':
      return push(out, `b${v};`, budget);
    case 'string':
      return push(out, `s${v.length}:${v}`, budget);
    case 'object':
      break;
    default:
      return false;
  }
  if (v === null) return push(out, 'z', budget);
  if (v instanceof PyFloat) return push(out, `F${v.value};`, budget);
  if (v instanceof Lazy || types.isProxy(v)) return false;
  const mark = owned.has(v) ? 'o' : '';
  if (Array.isArray(v)) {
    if (!push(out, `${mark}[${v.length}:`, budget)) return false;
    for (const x of v) if (!encode(x, out, depth + 1, budget)) return false;
    return push(out, ']', budget);
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  const keys = Object.keys(v);
  if (!push(out, `${mark}{${keys.length}:`, budget)) return false;
  for (const k of keys) {
    if (!push(out, `${k.length}:${k}`, budget)) return false;
    if (!encode((v as Record<string, unknown>)[k], out, depth + 1, budget)) return false;
  }
  return push(out, '}', budget);
}

function push(out: string[], s: string, budget: { size: number }): boolean {
  budget.size += s.length;
  if (budget.size > MAX_TEXT) return false;
  out.push(s);
  return true;
}
