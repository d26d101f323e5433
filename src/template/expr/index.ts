// evalExpression: Ansible's when / changed_when / failed_when, evaluated safely.
import type { Source, Vars } from '../../model/inventory.js';
import { TemplateError } from '../errors.js';
import { renderValue } from '../render.js';
import { truthy } from '../truthy.js';
import type { Expr } from './ast.js';
import { evaluate } from './evaluate.js';
import { ExprSyntaxError } from './lexer.js';
import { parseExpression } from './parser.js';
import { ExprEvalError, UndefinedUse, defined } from './undefined.js';

const parsed = new Map<string, Expr | ExprSyntaxError>();
const PARSE_CACHE_LIMIT = 20_000;

function parseCached(src: string): Expr {
  let hit = parsed.get(src);
  if (hit === undefined) {
    try {
      hit = parseExpression(src);
    } catch (e) {
      if (!(e instanceof ExprSyntaxError)) throw e;
      hit = e;
    }
    if (parsed.size >= PARSE_CACHE_LIMIT) parsed.delete(parsed.keys().next().value as string);
    parsed.set(src, hit);
  }
  if (hit instanceof ExprSyntaxError) throw hit;
  return hit;
}

function evalOne(expr: string | boolean, ctx: Vars, origin: Source): unknown {
  if (typeof expr === 'boolean') return expr;
  if (typeof expr !== 'string') {
    throw new TemplateError(origin.file, origin.line, origin.column, `expected a condition (string or boolean), got ${expr === null ? 'null' : typeof expr}`);
  }
  if (expr.includes('{{')) return evalRendered(expr, ctx, origin);
  const where = `in condition ${JSON.stringify(expr)}`;
  if (expr.trim() === '') throw new TemplateError(origin.file, origin.line, origin.column, `empty condition ${where}`);
  try {
    return defined(evaluate(parseCached(expr), ctx));
  } catch (e) {
    if (e instanceof UndefinedUse) {
      throw new TemplateError(origin.file, origin.line, origin.column, `${e.message} ${where}`, e.variable);
    }
    if (e instanceof ExprSyntaxError || e instanceof ExprEvalError) {
      throw new TemplateError(origin.file, origin.line, origin.column, `${e.message} ${where}`);
    }
    throw e;
  }
}

/** Ansible tolerates {{ }} in conditions (with a warning): a lone "{{ x }}" is x's value;
 * otherwise render, then evaluate the result. Errors then quote the condition as written
 * and nothing of the rendered text: it may hold secrets. */
function evalRendered(expr: string, ctx: Vars, origin: Source): unknown {
  const value = renderValue(expr, ctx, origin);
  // renderValue keeps a lone expression's type: that is the condition's value.
  if (typeof value !== 'string') return value;
  if (isLoneMustache(expr)) {
    // Ansible re-reads the rendered text, so a string "False" is false; other text stays text.
    return LITERAL_TEXT.test(value.trim()) ? evaluate(parseExpression(value.trim()), {}) : value;
  }
  try {
    return defined(evaluate(parseExpression(value), ctx));
  } catch (e) {
    if (e instanceof UndefinedUse || e instanceof ExprSyntaxError || e instanceof ExprEvalError) {
      const kind = e instanceof UndefinedUse ? 'an undefined variable' : e instanceof ExprSyntaxError ? 'a syntax error' : 'a type error';
      throw new TemplateError(
        origin.file,
        origin.line,
        origin.column,
        `condition ${JSON.stringify(expr)} rendered to an expression with ${kind}; write conditions without {{ }}`,
      );
    }
    throw e;
  }
}

const LITERAL_TEXT = /^(true|True|false|False|none|None|-?\d+(\.\d+)?)$/;

function isLoneMustache(expr: string): boolean {
  return /^\{\{[^{}]*\}\}$/.test(expr.trim());
}

/** A boolean returns itself; a string is a Jinja expression (result returned as is, the
 * caller applies truthy()); a list means every item must hold (returns a boolean). */
export function evalExpression(expr: string | boolean | (string | boolean)[], ctx: Vars, origin: Source): unknown {
  if (Array.isArray(expr)) return expr.every((e) => truthy(evalOne(e, ctx, origin)));
  return evalOne(expr, ctx, origin);
}
