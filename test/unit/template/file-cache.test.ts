// Role files read once per run while unchanged, and read again as soon as they change.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFileCached, readTextCached } from '../../../src/template/file-cache.js';

describe('readFileCached', () => {
  it('returns the kept bytes while the file is unchanged, the new ones once it changes', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'fleet-fc-')), 't.conf');
    writeFileSync(f, 'one');
    const a = readFileCached(f);
    expect(readFileCached(f)).toBe(a);
    expect(readTextCached(f)).toBe('one');
    writeFileSync(f, 'two!');
    expect(readTextCached(f)).toBe('two!');
    expect(readFileCached(f).toString()).toBe('two!');
  });

  it('throws as readFileSync does for a missing file', () => {
    expect(() => readFileCached('/nonexistent/fleet-fc')).toThrow(/ENOENT/);
  });
});
