// Rendering Jinja texts: parse once per distinct text (bounded cache), run against a
// context, and turn internal errors into TemplateErrors naming file, line and column.
import type { Source, Vars } from '../../model/inventory.js';
import { TemplateError } from '../errors.js';
import { VarChainError } from '../lazy/lazy.js';
import { lineCol, locateInFile } from '../locate.js';
import type { Expr, Node } from './ast.js';
import { evaluate } from './evaluate.js';
import { run } from './execute.js';
import { handlebarsHint, rejectHandlebars } from './handlebars-hints.js';
import { ANSIBLE_LEX, JinjaSyntaxError, type LexOptions } from './lexer.js';
import { parseExpression, parseTemplate } from './parser.js';
import { Frame, type Env, type Services } from './runtime.js';
import { JinjaError, defined } from './undefined.js';

/** Where a text comes from decides what else it may hold: a YAML value must not hold
 * handlebars syntax (reported with the Jinja equivalent). */
export type TextKind = 'value' | 'file';

interface Parsed {
  nodes: Node[];
  /** The text is exactly one {{ expression }}: a value keeps that expression's type. */
  lone?: Expr;
}

const CACHE_LIMIT = 20_000;
/** Per kind and whitespace options, text -> parsed (keyed without building a longer string). */
const caches = new Map<string, Map<string, Parsed | JinjaError>>();
let parses = 0;
let cached = 0;

export function jinjaCacheStats(): { parses: number; cached: number } {
  return { parses, cached };
}

export function clearJinjaCache(): void {
  caches.clear();
  cached = 0;
}

function remember(cache: Map<string, Parsed | JinjaError>, text: string, entry: Parsed | JinjaError): void {
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  else cached++;
  cache.set(text, entry);
}

export function parse(text: string, kind: TextKind, lex: LexOptions = ANSIBLE_LEX): Parsed {
  const mode = `${kind}${lex.trimBlocks ? 'T' : 't'}${lex.lstripBlocks ? 'L' : 'l'}`;
  let cache = caches.get(mode);
  if (!cache) caches.set(mode, (cache = new Map()));
  const hit = cache.get(text);
  if (hit instanceof JinjaError) throw hit;
  if (hit) return hit;
  let entry: Parsed | JinjaError;
  try {
    if (kind === 'value') rejectHandlebars(text);
    const nodes = parseTemplate(text, lex);
    parses++;
    entry = { nodes, lone: nodes.length === 1 && nodes[0].k === 'out' ? nodes[0].e : undefined };
  } catch (e) {
    if (e instanceof JinjaSyntaxError) entry = handlebarsHint(text) ?? new JinjaError(e.message, e.pos);
    else if (e instanceof JinjaError) entry = e;
    else throw e;
  }
  remember(cache, text, entry);
  if (entry instanceof JinjaError) throw entry;
  return entry;
}

/** An internal error as a TemplateError at the right place of the origin's file. */
export function toTemplateError(e: unknown, text: string, origin: Source): unknown {
  if (e instanceof VarChainError) return e;
  if (e instanceof TemplateError) return e;
  if (e instanceof JinjaError || e instanceof JinjaSyntaxError) {
    const lc = e.pos !== undefined ? lineCol(text, e.pos) : undefined;
    const at = locateInFile(origin, text, lc?.line, lc?.column);
    return new TemplateError(origin.file, at.line, at.column, e.message, (e as JinjaError).variable);
  }
  return e;
}

export function makeEnv(ctx: Vars, text: string, origin: Source, dirs: string[], services: Services, includeDepth = 0): Env {
  return { ctx, text, origin, dirs, includeDepth, services };
}

/** Render to text. */
export function renderText(parsed: Parsed, env: Env): string {
  const out: string[] = [];
  run(parsed.nodes, new Frame(), env, out);
  return out.join('');
}

/** Render a value: a lone {{ expression }} keeps its type, anything else is text. */
export function renderToValue(parsed: Parsed, env: Env): unknown {
  if (parsed.lone) return defined(evaluate(parsed.lone, new Frame(), env));
  return renderText(parsed, env);
}

const exprCache = new Map<string, Expr | JinjaError>();

export function parseCondition(text: string): Expr {
  let hit = exprCache.get(text);
  if (hit === undefined) {
    try {
      hit = parseExpression(text);
    } catch (e) {
      if (!(e instanceof JinjaSyntaxError)) throw e;
      hit = new JinjaError(e.message, e.pos);
    }
    if (exprCache.size >= CACHE_LIMIT) exprCache.delete(exprCache.keys().next().value as string);
    exprCache.set(text, hit);
  }
  if (hit instanceof JinjaError) throw hit;
  return hit;
}

export function evaluateCondition(expr: Expr, env: Env): unknown {
  return defined(evaluate(expr, new Frame(), env));
}
