// Ansible/Jinja-like value semantics shared by the helpers and the expression evaluator.

/** Ansible truthiness: empty string/list/map, 0, false, null and undefined are false. */
export function truthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** Structural equality like Python's ==, without JS coercion ('22' != 22). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
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
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

/** Membership like Python's `in`: list element, substring, or mapping key. */
export function contains(container: unknown, item: unknown): boolean {
  if (Array.isArray(container)) return container.some((v) => deepEqual(v, item));
  if (typeof container === 'string') return typeof item === 'string' && container.includes(item);
  if (container instanceof Set) return container.has(item);
  if (container instanceof Map) return container.has(item);
  if (container !== null && typeof container === 'object') {
    return typeof item === 'string' && Object.prototype.hasOwnProperty.call(container, item);
  }
  throw new TypeError(`'in' needs a list, string or mapping on its right, got ${typeName(container)}`);
}

/** Short type name for messages (never the value: it may be a secret). */
export function typeName(v: unknown): string {
  if (v === null) return 'none';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'mapping';
  return typeof v;
}
