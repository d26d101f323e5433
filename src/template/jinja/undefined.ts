// Missing values and evaluation errors. Ansible's templates are strict: a missing value
// flows as Undef (so `is defined` and `default` can see it) until something uses it, which
// is an error naming the variable.

/** A missing variable or key: carries its path ("a.b[0]") and where it was read. */
export class Undef {
  constructor(
    public readonly name: string,
    public readonly pos?: number,
    /** Why it is missing, when that is more than "not defined" (a cycle, a bad lookup). */
    public readonly hint?: string,
  ) {}
}

/** An error while evaluating: `pos` is the offset in the text being rendered, when known. */
export class JinjaError extends Error {
  constructor(
    message: string,
    public pos?: number,
    public readonly variable?: string,
  ) {
    super(message);
    this.name = 'JinjaError';
  }
}

/** A use of an undefined value. */
export class UndefinedUse extends JinjaError {
  constructor(variable: string, pos?: number, hint?: string) {
    super(hint ?? `undefined variable '${variable}'`, pos, variable);
    this.name = 'UndefinedUse';
  }
}

export function defined<T>(v: T | Undef): T {
  if (v instanceof Undef) throw new UndefinedUse(v.name, v.pos, v.hint);
  return v;
}

/** Attach a position to an error raised below, unless it already has one. */
export function at<E>(e: E, pos: number): E {
  if (e instanceof JinjaError && e.pos === undefined) e.pos = pos;
  return e;
}
