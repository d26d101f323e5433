// Python's int/float distinction where JavaScript has one number type. A float whose
// value is integral (4 / 2) is boxed, because Jinja prints it as "2.0" and the number 2
// prints as "2"; every other float is a plain number (0.5 prints the same in both).

export class PyFloat {
  constructor(readonly value: number) {}
}

/** A float result: boxed when integral, so it keeps printing as a float. */
export function makeFloat(n: number): number | PyFloat {
  return Number.isInteger(n) ? new PyFloat(n) : n;
}

/** A number as Python sees it (booleans are ints there, but are kept apart here). */
export function isNumber(v: unknown): v is number | PyFloat {
  return typeof v === 'number' || v instanceof PyFloat;
}

export function isFloat(v: unknown): boolean {
  return v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v));
}

export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** The numeric value of a number or boolean (Python: True + 1 == 2). */
export function numValue(v: number | PyFloat | boolean): number {
  if (v instanceof PyFloat) return v.value;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}

/** Plain JavaScript data for the layers below: boxed floats become numbers, deeply. Returns
 * the same object when nothing inside was boxed. */
export function unbox(v: unknown): unknown {
  if (v instanceof PyFloat) return v.value;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    v.forEach((x, i) => {
      const u = unbox(x);
      if (u !== x) (out ??= [...v])[i] = u;
    });
    return out ?? v;
  }
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    let out: Record<string, unknown> | undefined;
    for (const [k, x] of Object.entries(v)) {
      const u = unbox(x);
      if (u !== x) (out ??= { ...(v as Record<string, unknown>) })[k] = u;
    }
    return out ?? v;
  }
  return v;
}
