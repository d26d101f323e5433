// Handlebars rendering of .hbs template files with fleet's strictness: compile once per
// distinct text, run, and turn every failure into a TemplateError naming file, line and
// variable. Jinja tags in a .hbs file are an error: they would pass through as text.
import Handlebars from 'handlebars';
import type { Source, Vars } from '../../model/inventory.js';
import { RenderFault, TemplateError, faultToError } from '../errors.js';
import { offsetFrom } from '../locate.js';
import { lazyView } from '../lazy/view.js';
import type { RawRender } from '../lazy/lazy.js';
import { BUILTIN_HELPERS, helpers } from './helpers.js';
import { ARG_HELPER, OUT_HELPER, Rewriter } from './rewrite.js';

interface Compiled {
  run: (ctx: Vars) => string;
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

hb.registerHelper(OUT_HELPER, function (value: unknown, message: string, variable: string, line: number, col: number) {
  if (value === undefined) throw new RenderFault(message, line, col, variable || undefined);
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
export function handlebarsCacheStats(): { compiles: number; cached: number } {
  return { compiles, cached: cache.size };
}

export function clearHandlebarsCache(): void {
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
  if (/\{\{[^}]*\|[^}]*\}\}/.test(text)) {
    detail += '; Jinja filters are not handlebars: use helpers, e.g. {{default x "y"}}, or name the file .j2 to write Jinja';
  }
  return new RenderFault(detail, line, m ? undefined : e.column);
}

function compile(text: string): Compiled {
  const hit = cache.get(text);
  if (hit instanceof RenderFault) throw hit;
  if (hit) return hit;
  let compiled: Compiled;
  try {
    rejectJinjaTags(text);
    // Unprocessed: compile() applies whitespace control itself, once.
    const ast = hb.parseWithoutProcessing(text) as unknown as { type: string; body: { type: string }[] };
    new Rewriter(KNOWN, text).program(ast);
    const template = hb.compile(ast as unknown as hbs.AST.Program, { noEscape: true, knownHelpers: KNOWN_HELPERS });
    compiles++;
    compiled = {
      run: (ctx) => template(ctx),
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

/** `{%` and `{#` (but neither a shell's `${#x}` nor handlebars' `{{#x}}`) outside a
 * {{{{raw}}}} block: Jinja that handlebars would print as text. */
function rejectJinjaTags(text: string): void {
  if (!text.includes('{%') && !text.includes('{#')) return;
  const raws: [number, number][] = [];
  for (const m of text.matchAll(/\{\{\{\{raw\}\}\}\}[\s\S]*?\{\{\{\{\/raw\}\}\}\}/g)) raws.push([m.index, m.index + m[0].length]);
  for (const m of text.matchAll(/\{%|(?<![${])\{#/g)) {
    if (raws.some(([a, b]) => m.index >= a && m.index < b)) continue;
    const before = text.slice(0, m.index);
    const line = before.split('\n').length;
    const column = m.index - (before.lastIndexOf('\n') + 1);
    throw new RenderFault(
      `Jinja ${m[0] === '{%' ? 'tag {%' : 'comment {#'} in a handlebars (.hbs) template would be written out as text: use {{#if}}...{{/if}}, {{#each}}...{{/each}}, {{!-- comment --}}, or name the file .j2 to write Jinja`,
      line,
      column,
    );
  }
}

function toTemplateError(e: unknown, origin: Source): TemplateError {
  if (e instanceof TemplateError) return e;
  if (e instanceof RenderFault) return faultToError(e, origin);
  const err = e as Error & { lineNumber?: number; column?: number };
  const at = offsetFrom(origin, err.lineNumber, err.column);
  const msg = String(err?.message ?? e)
    .split('\n')[0]
    .replace(/ - \d+:\d+$/, '');
  return new TemplateError(origin.file, at.line, at.column, `template error: ${msg}`);
}

/** Render a handlebars text (a .hbs file). Variables that are still templates (Lazy) are
 * resolved when read, through `render`. */
export function renderHandlebars(text: string, ctx: Vars, origin: Source, render: RawRender): string {
  try {
    const c = compile(text);
    return c.run(lazyView(ctx, render));
  } catch (e) {
    throw toTemplateError(e, origin);
  }
}
