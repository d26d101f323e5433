// Filters (x | f) and tests (x is t): looked up by name in fleet's own tables, with
// Ansible's `ansible.builtin.` prefix allowed. Each gets its input (possibly Undef: only a
// few accept that), its arguments by position and by name, and the template's env.
import type { Call } from './filters/bind.js';
import { FILTERS } from './filters/index.js';
import type { Env, Frame } from './runtime.js';
import { TESTS } from './tests.js';
import { JinjaError } from './undefined.js';

const PREFIXES = ['ansible.builtin.', 'ansible.posix.', 'ansible.utils.'];

function bare(name: string): string {
  for (const p of PREFIXES) if (name.startsWith(p)) return name.slice(p.length);
  return name;
}

function has(table: object, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(table, name);
}

function call(env: Env, frame: Frame, name: string): Call {
  return {
    env,
    frame,
    name,
    filter: (n, input, args, kw) => applyFilter(n, input, args, kw, env, frame),
    test: (n, input, args, kw) => applyTest(n, input, args, kw, env, frame),
  };
}

export function applyFilter(name: string, input: unknown, args: unknown[], kw: Record<string, unknown>, env: Env, frame: Frame): unknown {
  const n = bare(name);
  if (!has(FILTERS, n)) throw new JinjaError(`unknown filter '${name}' (filters: ${Object.keys(FILTERS).sort().join(', ')})`);
  return FILTERS[n](input, args, kw, call(env, frame, n));
}

export function applyTest(name: string, input: unknown, args: unknown[], kw: Record<string, unknown>, env: Env, frame: Frame): boolean {
  const n = bare(name);
  if (!has(TESTS, n)) throw new JinjaError(`unknown test '${name}' (tests: ${Object.keys(TESTS).sort().join(', ')})`);
  return TESTS[n](input, args, kw, call(env, frame, n));
}
