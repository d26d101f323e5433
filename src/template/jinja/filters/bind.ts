// What a filter or test receives, and how it binds its arguments to parameter names.
import type { Env, Frame } from '../runtime.js';
import { JinjaError, Undef, defined } from '../undefined.js';

export interface Call {
  env: Env;
  frame: Frame;
  /** The filter or test name, for messages. */
  name: string;
  /** Apply another filter or test by name (map('upper'), select('defined')). */
  filter(name: string, input: unknown, args: unknown[], kw: Record<string, unknown>): unknown;
  test(name: string, input: unknown, args: unknown[], kw: Record<string, unknown>): boolean;
}

export type Filter = (input: unknown, args: unknown[], kw: Record<string, unknown>, c: Call) => unknown;
export type Test = (input: unknown, args: unknown[], kw: Record<string, unknown>, c: Call) => boolean;

/** Bind positional and keyword arguments to parameter names, in order; the first
 * `required` must be given. Arguments must be defined unless `tolerant` (default(), ternary()). */
export function bind(
  c: { name: string },
  args: unknown[],
  kw: Record<string, unknown>,
  names: string[],
  tolerant = false,
  required = 0,
): unknown[] {
  if (args.length > names.length) {
    throw new JinjaError(
      `'${c.name}' takes at most ${names.length} argument(s)${names.length ? ` (${names.join(', ')})` : ''}, got ${args.length}`,
    );
  }
  const out: unknown[] = [...args];
  for (const [k, v] of Object.entries(kw)) {
    const i = names.indexOf(k);
    if (i < 0) throw new JinjaError(`'${c.name}' has no parameter '${k}'${names.length ? ` (parameters: ${names.join(', ')})` : ''}`);
    if (i < args.length) throw new JinjaError(`'${c.name}' got '${k}' twice`);
    out[i] = v;
  }
  for (let i = 0; i < required; i++) {
    if (out[i] === undefined) throw new JinjaError(`'${c.name}' needs its '${names[i]}' argument`);
  }
  return tolerant ? out : out.map((v) => (v instanceof Undef ? defined(v) : v));
}
