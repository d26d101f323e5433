// Shared by the Jinja tests: render a text as a YAML value would be.
import { expect } from 'vitest';
import { TemplateError, renderString, renderValue } from '../../../src/template/index.js';

export const origin = { file: 'roles/web/tasks.yml', line: 10, column: 12 };

export function j(text: string, ctx: Record<string, unknown> = {}): string {
  return renderString(text, ctx, origin);
}

export function jv(text: unknown, ctx: Record<string, unknown> = {}): unknown {
  return renderValue(text, ctx, origin);
}

export function jinjaError(text: string, ctx: Record<string, unknown> = {}): TemplateError {
  try {
    renderString(text, ctx, origin);
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateError);
    return e as TemplateError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to fail`);
}
