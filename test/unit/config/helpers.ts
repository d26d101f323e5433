// Shared helpers for config tests: fixture paths, temp dirs, and "this throws a ConfigError at".
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { ConfigError } from '../../../src/model/errors.js';

export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/config');

/** Write files (path -> content) into a fresh temp dir; returns its path. */
export function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-config-'));
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  return dir;
}

/** Run fn, expect a ConfigError at file:line:column whose detail contains every `text`. */
export function expectConfigError(fn: () => unknown, file: string, line: number, column: number, ...text: string[]): ConfigError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a ConfigError').toBeInstanceOf(ConfigError);
  const ce = err as ConfigError;
  expect({ file: ce.file, line: ce.line, column: ce.column }, ce.message).toEqual({ file, line, column });
  for (const t of text) expect(ce.detail).toContain(t);
  expect(ce.message.startsWith(`${file}:${line}:${column}: `)).toBe(true);
  return ce;
}
