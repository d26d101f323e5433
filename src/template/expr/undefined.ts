/** A missing variable while evaluating: carries its path ("a.b[0]") so the error can name
 * it, and lets `is defined` and `default` see it without failing. */
export class Undef {
  constructor(public readonly name: string) {}
}

/** Raised when a value is used that is Undef; the evaluator adds file and line. */
export class UndefinedUse extends Error {
  constructor(public readonly variable: string) {
    super(`undefined variable '${variable}'`);
    this.name = 'UndefinedUse';
  }
}

/** Raised for a type or usage error inside an expression (no values in the message). */
export class ExprEvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExprEvalError';
  }
}

export function defined<T>(v: T | Undef): T {
  if (v instanceof Undef) throw new UndefinedUse(v.name);
  return v;
}
