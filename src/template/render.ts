// The template layer's entry points. YAML values (task parameters, loops, variables) and
// template files other than .hbs are Jinja; .hbs files are handlebars (fleet's roles).
import { readTextCached } from './file-cache.js';
import { dirname, extname } from 'node:path';
import type { Source, Vars } from '../model/inventory.js';
import { TemplateError } from './errors.js';
import { renderHandlebars } from './handlebars/render.js';
import { OMIT, type Services } from './jinja/runtime.js';
import { makeEnv, parse, renderText, renderToValue, toTemplateError, type TextKind } from './jinja/render.js';
import { ANSIBLE_LEX, type LexOptions } from './jinja/lexer.js';
import { pythonLiteral } from './jinja/literal.js';
import { MISSING, getKey } from './jinja/lookup.js';
import { VarChainError, hasTemplate } from './lazy/lazy.js';
import { lazyView } from './lazy/view.js';
import { unbox } from './values/float.js';

/** Directories a text's includes and lookups search: its own, and the one above (a role's
 * templates/ and files/ sit beside its tasks file; a template's beside it). */
export function dirsFor(file: string): string[] {
  let dirs = dirsCache.get(file);
  if (!dirs) {
    const d = dirname(file);
    const up = dirname(d);
    dirs = up === d ? [d] : [d, up];
    if (dirsCache.size > 5000) dirsCache.clear();
    dirsCache.set(file, dirs);
  }
  return dirs;
}
const dirsCache = new Map<string, string[]>();

const services: Services = {
  resolveRaw: (raw, scope, origin) => valueIn(raw, scope, origin),
  renderFile: (file, ctx, from) => fileIn(file, ctx, from.includeDepth + 1),
};

function jinja(text: string, ctx: Vars, origin: Source, kind: TextKind, asValue: boolean, lex?: LexOptions, depth = 0): unknown {
  try {
    const parsed = parse(text, kind, lex);
    const env = makeEnv(ctx, text, origin, dirsFor(origin.file), services, depth);
    const out = asValue ? renderToValue(parsed, env) : renderText(parsed, env);
    if (typeof out !== 'string' || parsed.lone) return out;
    const kept = keepTrailingNewlines(text, out);
    // A YAML value that renders to a Python literal is that data, as in Ansible.
    return asValue ? (pythonLiteral(kept)?.value ?? kept) : kept;
  } catch (e) {
    throw toTemplateError(e, text, origin);
  }
}

/** Ansible gives back the trailing newlines a text ended with when rendering lost them
 * (trim_blocks after a final {% endif %}, Jinja's own stripping of the last newline). */
function keepTrailingNewlines(text: string, out: string): string {
  const want = trailingNewlines(text);
  if (want === 0) return out;
  const have = trailingNewlines(out);
  return want > have ? out + '\n'.repeat(want - have) : out;
}

function trailingNewlines(s: string): number {
  let n = 0;
  while (n < s.length && s.charCodeAt(s.length - 1 - n) === 10) n++;
  return n;
}

/** A raw value rendered with `ctx` as its variables: strings as Jinja (a lone expression
 * keeps its type), lists and mappings element by element (a mapping entry that renders to
 * omit is left out). Floats stay boxed: the result may feed another template. */
function valueIn(value: unknown, ctx: Vars, origin: Source): unknown {
  if (typeof value === 'string') return hasTemplate(value) ? jinja(value, ctx, origin, 'value', true) : value;
  if (Array.isArray(value)) return value.map((v) => valueIn(v, ctx, origin));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = valueIn(v, ctx, origin);
      if (r !== OMIT) out[k] = r;
    }
    return out;
  }
  return value;
}

/** Ansible's `#jinja2: trim_blocks: False, lstrip_blocks: True` first line of a template. */
function headerOptions(text: string): { lex: LexOptions; body: string; offset: number } {
  const m = /^#jinja2:([^\n]*)\n?/.exec(text);
  if (!m) return { lex: ANSIBLE_LEX, body: text, offset: 0 };
  const lex = { ...ANSIBLE_LEX };
  for (const part of m[1].split(',')) {
    const [k, v] = part.split(':').map((x) => x.trim());
    const on = /^(true|yes|1)$/i.test(v ?? '');
    if (k === 'trim_blocks') lex.trimBlocks = on;
    else if (k === 'lstrip_blocks') lex.lstripBlocks = on;
  }
  return { lex, body: text.slice(m[0].length), offset: 1 };
}

function readTemplate(file: string): string {
  try {
    return readTextCached(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new TemplateError(file, undefined, undefined, `cannot read template file (${code})`);
  }
}

function fileIn(file: string, ctx: Vars, depth: number): string {
  const text = readTemplate(file);
  if (extname(file) === '.hbs') return renderHandlebars(text, ctx, { file, line: 1, column: 1 }, valueIn);
  const { lex, body, offset } = headerOptions(text);
  return jinja(body, ctx, { file, line: 1 + offset, column: 1 }, 'file', false, lex, depth) as string;
}

/** The first variable of a chain names where it was used. */
function atUse(e: unknown, origin: Source): unknown {
  return e instanceof VarChainError ? e.usedFrom(origin) : e;
}

/** A text with Jinja, rendered to text (strict: an undefined variable is a TemplateError). */
export function renderString(text: string, ctx: Vars, origin: Source): string {
  if (!hasTemplate(text)) return text;
  try {
    return jinja(text, ctx, origin, 'value', false) as string;
  } catch (e) {
    throw atUse(e, origin);
  }
}

/** A YAML value rendered: strings as Jinja ("{{ x }}" alone keeps x's type), lists and
 * mappings element by element; mapping entries that render to `omit` are dropped. */
export function renderValue(value: unknown, ctx: Vars, origin: Source): unknown {
  try {
    return unbox(valueIn(value, ctx, origin));
  } catch (e) {
    throw atUse(e, origin);
  }
}

/** A template file: .hbs is handlebars, anything else (.j2...) Jinja. */
export function renderTemplateFile(file: string, ctx: Vars): string {
  try {
    return fileIn(file, ctx, 0);
  } catch (e) {
    throw atUse(e, { file });
  }
}

/** The value of one context variable as templates see it (a variable that is still a
 * template is rendered in the context's scope); undefined when there is none. */
export function resolveVar(ctx: Vars, name: string): unknown {
  const v = getKey(ctx, name, makeEnv(ctx, '', { file: '(variables)' }, [], services));
  return v === MISSING ? undefined : unbox(v);
}

/** A read-only view of a context whose variables resolve when read (for code that reads
 * properties directly). */
export function contextView(ctx: Vars): Vars {
  return lazyView(ctx, valueIn);
}

/** How templates reach files and variables (for the condition evaluator). */
export const templateServices = services;
