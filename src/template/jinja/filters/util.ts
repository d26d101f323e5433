// Shared by the filters: type checks with messages that name types, never values.
import { typeName } from '../../truthy.js';
import { isNumber, numValue, type PyFloat } from '../../values/float.js';
import { MISSING, getKey, isMapping } from '../lookup.js';
import type { Env } from '../runtime.js';
import { JinjaError, Undef, defined } from '../undefined.js';

export function fail(name: string, msg: string): never {
  throw new JinjaError(`filter '${name}': ${msg}`);
}

export function str(name: string, v: unknown): string {
  const d = defined(v);
  if (typeof d !== 'string') fail(name, `expects a string, got ${typeName(d)}`);
  return d;
}

export function list(name: string, v: unknown): unknown[] {
  const d = defined(v);
  if (Array.isArray(d)) return d;
  if (typeof d === 'string') return [...d];
  if (isMapping(d)) return Object.keys(d);
  return fail(name, `expects a list, got ${typeName(d)}`);
}

export function mapping(name: string, v: unknown): Record<string, unknown> {
  const d = defined(v);
  if (!isMapping(d)) fail(name, `expects a mapping, got ${typeName(d)}`);
  return d;
}

export function int(name: string, v: unknown, what: string): number {
  if (typeof v === 'boolean' || !isNumber(v) || !Number.isInteger(numValue(v as number | PyFloat)))
    fail(name, `${what} must be an integer, got ${typeName(v)}`);
  return numValue(v as number);
}

/** Jinja's attribute getter: "a.b.0" walks keys, digits as list indexes. */
export function attrGetter(attribute: unknown, env: Env, name: string): (item: unknown) => unknown {
  if (typeof attribute === 'number') return (item) => getKey(item, attribute, env);
  if (typeof attribute !== 'string') fail(name, `attribute must be a string, got ${typeName(attribute)}`);
  const parts = attribute.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return (item) => {
    let v: unknown = item;
    for (const p of parts) {
      v = getKey(v, p, env);
      if (v === MISSING) return new Undef(`${attribute}`);
    }
    return v;
  };
}

export function keyName(k: unknown): string {
  return typeof k === 'string' ? k : String(k);
}
