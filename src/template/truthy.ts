// Ansible/Jinja value semantics (Python's) shared by the helpers and the Jinja evaluator.
import { PyFloat, isNumber, numValue } from './values/float.js';

/** Python truthiness: empty string/list/map, 0, false, null and undefined are false. */
export function truthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (value instanceof PyFloat) return value.value !== 0;
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** Structural equality like Python's ==, without JS coercion ('22' != 22), but with Python's
 * numbers (2 == 2.0, True == 1). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  const na = isNumber(a) || typeof a === 'boolean';
  const nb = isNumber(b) || typeof b === 'boolean';
  if (na || nb) return na && nb && numValue(a as number) === numValue(b as number);
  if (typeof a !== typeof b) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => deepEqual(v, b[i]));
  }
  if (typeof a === 'object') {
    if (Array.isArray(b)) return false;
    const ka = Object.keys(a as object);
    const kb = Object.keys(b as object);
    if (ka.length !== kb.length) return false;
    return ka.every(
      (k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    );
  }
  return false;
}

/** Membership like Python's `in`: list element, substring, or mapping key. */
export function contains(container: unknown, item: unknown): boolean {
  if (Array.isArray(container)) return container.some((v) => deepEqual(v, item));
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw new TypeError(`'in <string>' needs a string on its left, got ${typeName(item)}`);
    return container.includes(item);
  }
  if (container instanceof Set) return container.has(item);
  if (container instanceof Map) return container.has(item);
  if (container !== null && typeof container === 'object' && !(container instanceof PyFloat)) {
    return (typeof item === 'string' || typeof item === 'number') && Object.prototype.hasOwnProperty.call(container, String(item));
  }
  throw new TypeError(`'in' needs a list, string or mapping on its right, got ${typeName(container)}`);
}

/** Short type name for messages (never the value: it may be a secret). */
export function typeName(v: unknown): string {
  if (v === null) return 'none';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyFloat) return 'float';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'object') return 'mapping';
  return typeof v;
}
