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

/** Filters and tests that take no arguments: given some, they are an error, not ignored. */
const NO_ARGS = new Set([
  'lower',
  'upper',
  'capitalize',
  'title',
  'bool',
  'string',
  'list',
  'type_debug',
  'length',
  'count',
  'first',
  'last',
  'reverse',
  'items',
  'basename',
  'dirname',
  'splitext',
  'path_join',
  'from_json',
  'from_yaml',
  'from_yaml_all',
  'escape',
  'e',
  'safe',
  'md5',
  'sha1',
  'checksum',
  'wordcount',
  'urlencode',
  'quote',
  'defined',
  'undefined',
  'none',
  'true',
  'false',
  'boolean',
  'string',
  'number',
  'integer',
  'float',
  'mapping',
  'sequence',
  'iterable',
  'callable',
  'odd',
  'even',
  'failed',
  'succeeded',
  'success',
  'successful',
  'failure',
  'changed',
  'change',
  'skipped',
  'skip',
  'finished',
  'reachable',
  'unreachable',
]);

function noArgs(n: string, args: unknown[], kw: Record<string, unknown>): void {
  if (NO_ARGS.has(n) && (args.length || Object.keys(kw).length)) throw new JinjaError(`'${n}' takes no arguments`);
}

export function applyFilter(name: string, input: unknown, args: unknown[], kw: Record<string, unknown>, env: Env, frame: Frame): unknown {
  const n = bare(name);
  if (!has(FILTERS, n)) throw new JinjaError(`unknown filter '${name}' (filters: ${Object.keys(FILTERS).sort().join(', ')})`);
  noArgs(n, args, kw);
  return FILTERS[n](input, args, kw, call(env, frame, n));
}

export function applyTest(name: string, input: unknown, args: unknown[], kw: Record<string, unknown>, env: Env, frame: Frame): boolean {
  const n = bare(name);
  if (!has(TESTS, n)) throw new JinjaError(`unknown test '${name}' (tests: ${Object.keys(TESTS).sort().join(', ')})`);
  noArgs(n, args, kw);
  return TESTS[n](input, args, kw, call(env, frame, n));
}
