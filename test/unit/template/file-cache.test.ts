// Role files read once per run while unchanged, and read again as soon as they change.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { readFileCached, readTextCached } from '../../../src/template/file-cache.js';
import { RACY_MS } from '../../../src/template/read-log.js';

describe('readFileCached', () => {
  it('returns the kept bytes while the file is unchanged, the new ones once it changes', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'fleet-fc-')), 't.conf');
    writeFileSync(f, 'one');
    // Just written, its stamp may not change with the next write (read-log.ts's RACY_MS): read each time.
    expect(readFileCached(f)).not.toBe(readFileCached(f));
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + RACY_MS + 1000);
    const a = readFileCached(f);
    expect(readFileCached(f)).toBe(a);
    vi.useRealTimers();
    expect(readTextCached(f)).toBe('one');
    writeFileSync(f, 'two!');
    expect(readTextCached(f)).toBe('two!');
    expect(readFileCached(f).toString()).toBe('two!');
  });

  it('throws as readFileSync does for a missing file', () => {
    expect(() => readFileCached('/nonexistent/fleet-fc')).toThrow(/ENOENT/);
  });
});
