// A task's rendered params are copied before ajv fills in defaults (it writes into them): a
// whole-value template ("{{ users }}") gives the variable's own list, which must not change.
// structuredClone did it, serializing every value: 32 ms of the controller at N = 100 for
// params that are mostly a few strings. This copies plain data (arrays, plain objects) itself
// and hands anything else to structuredClone, so what it gives (or throws) is what
// structuredClone gives for that value; a value deeper than any YAML nests (a cycle) is
// copied by structuredClone whole.
import { types } from 'node:util';

const MAX_DEPTH = 100;
const TOO_DEEP = Symbol('too deep');

/** structuredClone(v), for plain data without walking it through the serializer. */
export function plainCopy<T>(v: T): T {
  try {
    return copy(v, 0) as T;
  } catch (e) {
    if (e === TOO_DEEP) return structuredClone(v);
    throw e;
  }
}

function copy(v: unknown, depth: number): unknown {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function' && typeof v !== 'symbol')) return v;
  if (typeof v !== 'object' || types.isProxy(v)) return structuredClone(v);
  if (depth > MAX_DEPTH) throw TOO_DEEP;
  if (Array.isArray(v)) {
    // Holes stay holes, as structuredClone keeps them; an array with other own keys is not plain.
    if (Object.keys(v).length !== countIndexes(v)) return structuredClone(v);
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) if (i in v) out[i] = copy(v[i], depth + 1);
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = copy((v as Record<string, unknown>)[k], depth + 1);
    // An own key named __proto__ stays a key (an assignment would set the prototype).
    if (k === '__proto__') Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    else out[k] = x;
  }
  return out;
}

function countIndexes(a: unknown[]): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (i in a) n++;
  return n;
}
