// Handlebars rendering with fleet's strictness: compile once per distinct text, run,
// and turn every failure into a TemplateError naming file, line and variable.
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import type { Source, Vars } from '../model/inventory.js';
import { RenderFault, TemplateError, faultToError, locate } from './errors.js';
import { BUILTIN_HELPERS, helpers } from './helpers.js';
import { ARG_HELPER, OUT_HELPER, Rewriter } from './rewrite.js';

/** Where a lone-expression render leaves the expression's raw value (renderValue). */
interface Capture {
  value?: unknown;
}

interface Compiled {
  run: (ctx: Vars, capture?: Capture) => string;
  /** The text is exactly one {{ expression }}: renderValue keeps its type. */
  single: boolean;
}

const hb = Handlebars.create();
// Only our helpers and the useful builtins: `log` would write to the console.
hb.unregisterHelper('log');

function formatOut(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  // A list or mapping inside text: JSON, not JS's "a,b" / "[object Object]".
  if (typeof value === 'object' && value.constructor !== hb.SafeString) return JSON.stringify(value);
  return String(value);
}

hb.registerHelper(OUT_HELPER, function (value: unknown, message: string, variable: string, line: number, col: number, options: Handlebars.HelperOptions) {
  if (value === undefined) throw new RenderFault(message, line, col, variable || undefined);
  const capture = (options.data as { fleetCapture?: Capture } | undefined)?.fleetCapture;
  if (capture) capture.value = value;
  return formatOut(value);
});
hb.registerHelper(ARG_HELPER, function (value: unknown, name: string, line: number, col: number) {
  if (value === undefined) throw new RenderFault(`undefined variable '${name}'`, line, col, name);
  return value;
});
for (const [name, fn] of Object.entries(helpers)) hb.registerHelper(name, fn);

const KNOWN = new Set([...Object.keys(helpers), ...BUILTIN_HELPERS, OUT_HELPER, ARG_HELPER]);
// knownHelpers lets handlebars call them directly instead of probing the context first.
const KNOWN_HELPERS: Record<string, boolean> = Object.fromEntries([...KNOWN].map((h) => [h, true]));

const CACHE_LIMIT = 20_000;
const cache = new Map<string, Compiled | RenderFault>();
let compiles = 0;

/** How often a template text was compiled (tests assert the cache works). */
export function templateCacheStats(): { compiles: number; cached: number } {
  return { compiles, cached: cache.size };
}

export function clearTemplateCache(): void {
  cache.clear();
}

/** Handlebars' parse errors carry the line only inside their message. */
function parseFault(e: Error & { lineNumber?: number; column?: number }, text: string): RenderFault {
  const m = /(?:Parse|Lexical) error on line (\d+)/.exec(e.message);
  const line = m ? Number(m[1]) : e.lineNumber;
  const got = /got '([^']+)'/.exec(e.message);
  // Quote the template's own line: handlebars' snippet glues the previous line onto it.
  const near = line !== undefined ? (text.split('\n')[line - 1] ?? '').trim() : '';
  let detail = m
    ? `template syntax error near "${near}"${got ? ` (unexpected ${got[1]})` : ''}`
    : `template error: ${e.message.split('\n')[0].replace(/ - \d+:\d+$/, '')}`;
  if (/\{\{[^}]*\|[^}]*\}\}|\{%/.test(text)) {
    detail += '; Jinja filters and {% %} tags are not supported: use helpers, e.g. {{default x "y"}}, {{#if x}}...{{/if}}';
  }
  return new RenderFault(detail, line, m ? undefined : e.column);
}

function compile(text: string): Compiled {
  const hit = cache.get(text);
  if (hit instanceof RenderFault) throw hit;
  if (hit) return hit;
  let compiled: Compiled;
  try {
    // Unprocessed: compile() applies whitespace control itself, once.
    const ast = hb.parseWithoutProcessing(text) as unknown as { type: string; body: { type: string }[] };
    new Rewriter(KNOWN, text).program(ast);
    const single = ast.body.length === 1 && ast.body[0].type === 'MustacheStatement';
    const template = hb.compile(ast as unknown as hbs.AST.Program, { noEscape: true, knownHelpers: KNOWN_HELPERS });
    compiles++;
    compiled = {
      single,
      run: (ctx, capture) => template(ctx, { data: { fleetCapture: capture } }),
    };
  } catch (e) {
    const fault = e instanceof RenderFault ? e : parseFault(e as Error, text);
    remember(text, fault);
    throw fault;
  }
  remember(text, compiled);
  return compiled;
}

function remember(text: string, entry: Compiled | RenderFault): void {
  // Oldest first out: a run's texts are reused across hosts, not across runs.
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(text, entry);
}

function toTemplateError(e: unknown, origin: Source): TemplateError {
  if (e instanceof TemplateError) return e;
  if (e instanceof RenderFault) return faultToError(e, origin);
  const err = e as Error & { lineNumber?: number; column?: number };
  const at = locate(origin, err.lineNumber, err.column);
  const msg = String(err?.message ?? e).split('\n')[0].replace(/ - \d+:\d+$/, '');
  return new TemplateError(origin.file, at.line, at.column, `template error: ${msg}`);
}

function execute(text: string, ctx: Vars, origin: Source, capture?: Capture): { out: string; single: boolean } {
  try {
    const c = compile(text);
    return { out: c.run(ctx, c.single ? capture : undefined), single: c.single };
  } catch (e) {
    throw toTemplateError(e, origin);
  }
}

export function renderString(text: string, ctx: Vars, origin: Source): string {
  if (!text.includes('{{')) return text;
  return execute(text, ctx, origin).out;
}

export function renderValue(value: unknown, ctx: Vars, origin: Source): unknown {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return value;
    const capture: Capture = {};
    const { out, single } = execute(value, ctx, origin, capture);
    // Like Ansible: "{{ ports }}" alone is the list itself, not its text.
    return single ? capture.value : out;
  }
  if (Array.isArray(value)) return value.map((v) => renderValue(v, ctx, origin));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderValue(v, ctx, origin);
    return out;
  }
  return value;
}

export function renderTemplateFile(file: string, ctx: Vars): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new TemplateError(file, undefined, undefined, `cannot read template file (${code})`);
  }
  return renderString(text, ctx, { file, line: 1, column: 1 });
}
