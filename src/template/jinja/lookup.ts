// Reading a name or a key. Only data is reachable: own properties of mappings (and of
// objects that present their values as properties or through a Proxy, like a secrets
// store), list and string indexes, and the fields of fleet's own runtime objects. Never a
// prototype member, a constructor, or a function: a template cannot reach JavaScript.
import { isMappingView } from '../../model/mapping-view.js';
import { Lazy, resolveLazy } from '../lazy/lazy.js';
import { PyFloat } from '../values/float.js';
import { LoopInfo, Namespace, OMIT, type Env, type Frame } from './runtime.js';
import { JinjaError, Undef } from './undefined.js';

const FORBIDDEN = new Set([
  '__proto__',
  'constructor',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

export const MISSING: unique symbol = Symbol('missing');

/** "a.b", "a[0]", "a['x-y']": how a path reads in messages. */
export function childName(parent: string, key: unknown): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const k = String(key);
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `${parent}.${k}` : `${parent}[${JSON.stringify(k)}]`;
}

function readable(obj: object, key: string): boolean {
  if (FORBIDDEN.has(key)) return false;
  if (Object.prototype.hasOwnProperty.call(obj, key)) return true;
  // A Proxy may answer `in` without owning the key; never through a prototype's members.
  return !(key in Object.prototype) && Reflect.has(obj, key);
}

/** Is this a mapping as templates see it: a plain object, or a Proxy/getter object over one. */
export function isMapping(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  if (v instanceof PyFloat || v instanceof LoopInfo || v instanceof Namespace || v instanceof Lazy) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null || isMappingView(v);
}

/** obj[key] as Jinja reads it, or MISSING. A Lazy found in a mapping resolves with that
 * mapping as its variables. */
export function getKey(obj: unknown, key: unknown, env: Env): unknown {
  if (Array.isArray(obj) || typeof obj === 'string') {
    if (typeof key === 'boolean') key = key ? 1 : 0;
    if (typeof key === 'number' && Number.isInteger(key)) {
      const i = key < 0 ? obj.length + key : key;
      return i >= 0 && i < obj.length ? obj[i] : MISSING;
    }
    return MISSING;
  }
  if (obj instanceof LoopInfo) {
    // previtem on the first pass and nextitem on the last are undefined, as in Jinja.
    const v =
      typeof key === 'string' && Object.prototype.hasOwnProperty.call(obj, key)
        ? (obj as unknown as Record<string, unknown>)[key]
        : undefined;
    return v === undefined ? MISSING : v;
  }
  if (obj instanceof Namespace)
    return typeof key === 'string' && Object.prototype.hasOwnProperty.call(obj.attrs, key) ? obj.attrs[key] : MISSING;
  if (!isMapping(obj)) return MISSING;
  if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'boolean') return MISSING;
  const k = typeof key === 'boolean' ? (key ? 'True' : 'False') : String(key);
  if (!readable(obj, k)) return MISSING;
  const v = obj[k];
  if (v === undefined) return MISSING;
  if (typeof v === 'function') throw new JinjaError(`'${k}' is not a value a template can use`);
  if (v instanceof Lazy) return resolveLazy(obj, k, v, env.services.resolveRaw);
  return v;
}

/** A name: the template's own variables first, then the context, then fleet's globals. */
export function lookupName(name: string, frame: Frame, env: Env, pos: number): unknown {
  const local = frame.lookup(name);
  if (local.found) return local.value;
  const v = getKey(env.ctx, name, env);
  if (v !== MISSING) return v;
  if (name === 'omit') return OMIT;
  // Ansible's `vars`: every variable by name (vars[name], lookup('vars', name)).
  if (name === 'vars') return env.ctx;
  return new Undef(name, pos);
}
