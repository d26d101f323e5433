// Functions a template may call: range, dict, namespace, lookup/query. lookup() reads the
// controller's environment and files, renders templates and reads variables; plugins that
// run commands or keep state on the controller (pipe, password...) are refused.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { typeName } from '../truthy.js';
import { isNumber, numValue } from '../values/float.js';
import { pyStr } from '../values/print.js';
import { MISSING, getKey, isMapping } from './lookup.js';
import { Namespace, own, type Env, type Frame } from './runtime.js';
import { JinjaError } from './undefined.js';
import { noteExternalRead } from '../read-log.js';

type Global = (args: unknown[], kw: Record<string, unknown>, env: Env, frame: Frame) => unknown;

const RANGE_LIMIT = 100_000;

function intArg(v: unknown, what: string): number {
  if (!isNumber(v) || !Number.isInteger(numValue(v))) throw new JinjaError(`${what} must be an integer, got ${typeName(v)}`);
  return numValue(v);
}

/** A file named by a template: absolute, or searched in the template's directories. */
export function findFile(env: Env, name: string, sub: 'files' | 'templates'): string | undefined {
  if (isAbsolute(name)) return name;
  const candidates: string[] = [];
  for (const d of env.dirs) candidates.push(join(d, sub, name), join(d, name));
  candidates.push(name);
  for (const c of candidates) {
    try {
      readFileSync(c);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

const REFUSED: Record<string, string> = {
  pipe: "lookup('pipe') runs a command on the controller: not supported (use a command task with register)",
  password: "lookup('password') keeps state on the controller: not supported (use fleet's secrets: {{ secrets.NAME }})",
  url: "lookup('url') reaches the network from the controller: not supported",
  lines: "lookup('lines') runs a command on the controller: not supported",
};

type Plugin = (terms: unknown[], kw: Record<string, unknown>, env: Env, frame: Frame) => unknown[];

const PLUGINS: Record<string, Plugin> = {
  env: (terms, kw) =>
    terms.map((t) => {
      const v = process.env[pyStr(t)];
      return v === undefined ? (kw.default !== undefined ? kw.default : '') : v;
    }),
  file: (terms, kw, env) =>
    terms.map((t) => {
      const name = pyStr(t);
      const file = findFile(env, name, 'files');
      if (!file)
        throw new JinjaError(`lookup('file'): could not find '${name}' (looked in ${env.dirs.join(', ') || 'the current directory'})`);
      let text = readFileSync(file, 'utf8');
      if (kw.rstrip !== false) text = text.replace(/\s+$/, '');
      if (kw.lstrip === true) text = text.replace(/^\s+/, '');
      return text;
    }),
  template: (terms, _kw, env) =>
    terms.map((t) => {
      const name = pyStr(t);
      const file = findFile(env, name, 'templates');
      if (!file)
        throw new JinjaError(`lookup('template'): could not find '${name}' (looked in ${env.dirs.join(', ') || 'the current directory'})`);
      return env.services.renderFile(file, env.ctx, env);
    }),
  vars: (terms, kw, env) =>
    terms.map((t) => {
      const v = getKey(env.ctx, pyStr(t), env);
      if (v !== MISSING) return v;
      if ('default' in kw) return kw.default;
      throw new JinjaError(`lookup('vars'): no variable '${pyStr(t)}'`, undefined, pyStr(t));
    }),
  items: (terms) => terms.flatMap((t) => (Array.isArray(t) ? t : [t])),
  list: (terms) => terms,
  dict: (terms) =>
    terms.flatMap((t) => {
      if (!isMapping(t)) throw new JinjaError(`lookup('dict') expects a mapping, got ${typeName(t)}`);
      return Object.entries(t).map(([key, value]) => own({ key, value }));
    }),
};
PLUGINS.flattened = PLUGINS.items;

function runLookup(args: unknown[], kw: Record<string, unknown>, env: Env, frame: Frame, wantlist: boolean): unknown {
  const [plugin, ...terms] = args;
  if (typeof plugin !== 'string') throw new JinjaError("lookup() needs a plugin name first, e.g. lookup('env', 'HOME')");
  const name = plugin.replace(/^ansible\.builtin\./, '');
  if (Object.prototype.hasOwnProperty.call(REFUSED, name)) throw new JinjaError(REFUSED[name]);
  if (!Object.prototype.hasOwnProperty.call(PLUGINS, name)) {
    throw new JinjaError(`unsupported lookup plugin '${plugin}' (supported: ${Object.keys(PLUGINS).sort().join(', ')})`);
  }
  const { wantlist: wl, errors: _e, ...opts } = kw;
  // The environment and files found by a search: a render that read them cannot be kept.
  if (name === 'env' || name === 'file' || name === 'template') noteExternalRead();
  const out = PLUGINS[name](terms, opts, env, frame);
  if (wantlist || wl === true) return own(out);
  // Ansible joins several results with commas unless a list is wanted.
  if (name === 'items' || name === 'list' || name === 'dict' || name === 'flattened') return own(out);
  return out.length === 1 ? out[0] : out.map(pyStr).join(',');
}

export const GLOBALS: Record<string, Global> = {
  range: (args) => {
    if (!args.length || args.length > 3) throw new JinjaError('range() takes 1 to 3 integers');
    const [a, b, c] = args.map((x, i) => intArg(x, `range() argument ${i + 1}`));
    const [start, stop, step] = args.length === 1 ? [0, a, 1] : [a, b, c ?? 1];
    if (step === 0) throw new JinjaError('range() step must not be zero');
    const n = Math.max(0, Math.ceil((stop - start) / step));
    if (n > RANGE_LIMIT) throw new JinjaError(`range() of more than ${RANGE_LIMIT} items`);
    return own(Array.from({ length: n }, (_, i) => start + i * step));
  },
  dict: (args, kw) => {
    const out: Record<string, unknown> = {};
    if (args.length > 1) throw new JinjaError('dict() takes at most one positional argument');
    if (args.length) {
      const src = args[0];
      if (isMapping(src)) Object.assign(out, src);
      else if (Array.isArray(src)) {
        for (const pair of src) {
          if (!Array.isArray(pair) || pair.length !== 2) throw new JinjaError('dict() needs a list of (key, value) pairs');
          out[pyStr(pair[0])] = pair[1];
        }
      } else throw new JinjaError(`dict() needs a mapping or a list of pairs, got ${typeName(src)}`);
    }
    return own(Object.assign(out, kw));
  },
  namespace: (args, kw) => {
    if (args.length > 1 || (args.length && !isMapping(args[0])))
      throw new JinjaError('namespace() takes keyword arguments (or one mapping)');
    return new Namespace({ ...((args[0] as object) ?? {}), ...kw });
  },
  lookup: (args, kw, env, frame) => runLookup(args, kw, env, frame, false),
  query: (args, kw, env, frame) => runLookup(args, kw, env, frame, true),
};
GLOBALS.q = GLOBALS.query;

export function callGlobal(name: string, args: unknown[], kw: Record<string, unknown>, env: Env, frame: Frame): unknown {
  return GLOBALS[name](args, kw, env, frame);
}
