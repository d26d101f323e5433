// Syntax only: is every template in a value, and every condition, well formed? For tasks that
// cannot be rendered before contact (they read other hosts' values), a typo like `(1 + )`
// must still fail before any host is contacted, at its line and column.
import type { Source } from '../model/inventory.js';
import { TemplateError } from './errors.js';
import { hasTemplate } from './lazy/lazy.js';
import { parse, parseCondition, toTemplateError } from './jinja/render.js';

/** Throws a TemplateError at the first template or condition that does not parse. */
export function checkSyntax(value: unknown, kind: 'value' | 'condition', origin: Source): void {
  if (kind === 'condition') {
    for (const cond of [value].flat()) {
      if (typeof cond !== 'string') continue;
      if (/\{\{|\{%/.test(cond)) checkSyntax(cond, 'value', origin);
      else
        try {
          parseCondition(cond);
        } catch (e) {
          throw withCondition(toTemplateError(e, cond, origin), cond);
        }
    }
    return;
  }
  if (typeof value === 'string') {
    if (!hasTemplate(value)) return;
    try {
      parse(value, 'value');
    } catch (e) {
      throw toTemplateError(e, value, origin);
    }
  } else if (Array.isArray(value)) value.forEach((v) => checkSyntax(v, kind, origin));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => checkSyntax(v, kind, origin));
}

/** The error with the condition it is in named, as evaluating it says. */
export function withCondition(e: unknown, cond: string): unknown {
  if (!(e instanceof TemplateError)) return e;
  return new TemplateError(e.file, e.line, e.column, `${e.detail} in condition ${JSON.stringify(cond)}`, e.variable);
}
