// evalExpression: Ansible's when / changed_when / failed_when, in the same Jinja as
// templates: a bare expression, or (tolerated, as Ansible does) one with {{ }} inside.
import type { Source, Vars } from '../model/inventory.js';
import { TemplateError } from './errors.js';
import { VarChainError } from './lazy/lazy.js';
import { evaluateCondition, makeEnv, parseCondition, toTemplateError } from './jinja/render.js';
import { withCondition } from './syntax.js';
import { JinjaError } from './jinja/undefined.js';
import { dirsFor, renderValue, templateServices } from './render.js';
import { truthy } from './truthy.js';
import { unbox } from './values/float.js';

function fail(origin: Source, detail: string, variable?: string): TemplateError {
  return new TemplateError(origin.file, origin.line, origin.column, detail, variable);
}

function evaluateText(expr: string, ctx: Vars, origin: Source): unknown {
  const env = makeEnv(ctx, expr, origin, dirsFor(origin.file), templateServices);
  return unbox(evaluateCondition(parseCondition(expr), env));
}

function evalOne(expr: string | boolean, ctx: Vars, origin: Source): unknown {
  if (typeof expr === 'boolean') return expr;
  if (typeof expr !== 'string') {
    throw fail(origin, `expected a condition (string or boolean), got ${expr === null ? 'null' : typeof expr}`);
  }
  if (/\{\{|\{%/.test(expr)) return evalRendered(expr, ctx, origin);
  const where = `in condition ${JSON.stringify(expr)}`;
  if (expr.trim() === '') throw fail(origin, `empty condition ${where}`);
  try {
    return evaluateText(expr, ctx, origin);
  } catch (e) {
    if (e instanceof VarChainError) throw e.usedFrom(origin);
    // At the line and column inside the condition (a multi-line `when: >` included).
    if (e instanceof JinjaError) throw withCondition(toTemplateError(e, expr, origin), expr);
    throw e;
  }
}

const LITERAL_TEXT = /^(true|True|false|False|none|None|-?\d+(\.\d+)?)$/;

function isLoneExpression(expr: string): boolean {
  return /^\{\{[^{}]*\}\}$/.test(expr.trim());
}

/** Ansible tolerates {{ }} in conditions (with a warning): a lone "{{ x }}" is x's value;
 * otherwise render, then evaluate the result. Errors then quote the condition as written
 * and nothing of the rendered text: it may hold secrets. */
function evalRendered(expr: string, ctx: Vars, origin: Source): unknown {
  const value = renderValue(expr, ctx, origin);
  // renderValue keeps a lone expression's type: that is the condition's value.
  if (typeof value !== 'string') return value;
  if (isLoneExpression(expr)) {
    // Ansible re-reads the rendered text, so a string "False" is false; other text stays text.
    return LITERAL_TEXT.test(value.trim()) ? evaluateText(value.trim(), {}, origin) : value;
  }
  try {
    return evaluateText(value, ctx, origin);
  } catch (e) {
    if (e instanceof JinjaError || e instanceof TemplateError) {
      const kind =
        e instanceof JinjaError && e.variable
          ? 'an undefined variable'
          : /expected|unexpected|unterminated/.test(e.message)
            ? 'a syntax error'
            : 'an error';
      throw fail(origin, `condition ${JSON.stringify(expr)} rendered to an expression with ${kind}; write conditions without {{ }}`);
    }
    throw e;
  }
}

/** A boolean returns itself; a string is a Jinja expression (result returned as is, the
 * caller applies truthy()); a list means every item must hold (returns a boolean). */
export function evalExpression(expr: string | boolean | (string | boolean)[], ctx: Vars, origin: Source): unknown {
  if (Array.isArray(expr)) return expr.every((e) => truthy(evalOne(e, ctx, origin)));
  return evalOne(expr, ctx, origin);
}
