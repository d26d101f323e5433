// A temporary directory per test, with XDG_CACHE_HOME inside it (fleet's caches stay out of
// the user's own); `dir()` is the current test's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

export function tempCacheDir(prefix: string): () => string {
  let base = '';
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), prefix));
    process.env.XDG_CACHE_HOME = join(base, 'cache');
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));
  return () => base;
}
