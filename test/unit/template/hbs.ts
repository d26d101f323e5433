// Handlebars is for .hbs template files: tests render their texts through such a file.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { TemplateError, renderTemplateFile } from '../../../src/template/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fleet-hbs-'));
let n = 0;

/** Write `text` to a fresh .hbs file; returns its path. */
export function hbsFile(text: string, name = `t${n++}.hbs`): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

export function hbs(text: string, ctx: Record<string, unknown> = {}): string {
  return renderTemplateFile(hbsFile(text), ctx);
}

export function templateError(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateError);
    return e as TemplateError;
  }
  throw new Error('expected a TemplateError');
}
