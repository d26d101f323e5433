// Python's regular expressions for the Jinja filters and tests (model/py-regex.ts), with its
// errors as template errors.
import { PyRegexError, pyEscape, pyRegex as compile, pyReplacer as replacer, type PyRegexFlags } from '../../model/py-regex.js';
import { JinjaError } from './undefined.js';

export { pyEscape, type PyRegexFlags };

function asJinja<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof PyRegexError) throw new JinjaError(e.message);
    throw e;
  }
}

export function pyRegex(pattern: string, flags: PyRegexFlags = {}, global = false): RegExp {
  return asJinja(() => compile(pattern, flags, global));
}

export function pyReplacer(repl: string): (...m: unknown[]) => string {
  const f = replacer(repl);
  return (...m) => asJinja(() => f(...m));
}
