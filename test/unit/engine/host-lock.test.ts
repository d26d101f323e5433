// The run lock's shell text and what its result means; the lock on real hosts is tested in
// test/integration/concurrency.test.ts.
import { describe, expect, it } from 'vitest';
import { LOCK_BUSY, lockSection, ownerDescription, parseLockResult } from '../../../src/engine/host-lock.js';
import { buildScript } from '../../../src/engine/script.js';
import { parseScriptOutput } from '../../../src/engine/frame-reader.js';

describe('run lock', () => {
  it('apply takes the lock (writes it), check only tests it', () => {
    expect(lockSection('take', 'me').text).toMatch(/>"\$L"/);
    expect(lockSection('test', 'me').text).not.toMatch(/>"\$L"/);
    // It stops the script when it fails: nothing is read while another run writes.
    expect(lockSection('take', 'me').kind).toBe('apply');
  });

  it('the owner description is one line of characters safe in a shell word', () => {
    const d = ownerDescription('apply', new Date('2026-12-04T10:00:00.123Z'));
    expect(d).toMatch(/^[A-Za-z0-9@._:,+ ?-]+$/);
    expect(d).toContain(`pid ${process.pid}, fleet apply since 2026-12-04T10:00:00Z`);
  });

  it('reads free, stale, held and broken results', () => {
    expect(parseLockResult({ rc: 0, stdout: '', stderr: '' })).toEqual({ state: 'free' });
    expect(parseLockResult({ rc: 0, stdout: 'stale bob@x pid 3, fleet apply since T\n', stderr: '' })).toEqual({ state: 'free', stale: 'bob@x pid 3, fleet apply since T' });
    expect(parseLockResult({ rc: LOCK_BUSY, stdout: 'held bob@x pid 3\n', stderr: '' })).toEqual({ state: 'held', owner: 'bob@x pid 3' });
    expect(parseLockResult({ rc: 1, stdout: '', stderr: 'flock: not found\n' })).toMatchObject({ state: 'error', msg: expect.stringContaining('flock: not found') });
    expect(parseLockResult(undefined)).toMatchObject({ state: 'error' });
  });
});

describe('a section cut off mid-way', () => {
  it('is the one that started and never reported its end', () => {
    const built = buildScript([
      { kind: 'probe', text: 'echo a' },
      { kind: 'apply', text: 'echo b' },
    ]);
    const m = `@@F${built.nonce}`;
    const full = `${m}:b:0@@\na\n${m}:e:0:0@@\n${m}:b:1@@\nb\n${m}:e:1:0@@\n${m}:x:1@@\n\n${m}:y:1@@\n`;
    const cutIn = (out: string) => [...parseScriptOutput(out, built.nonce, ['probe', 'apply']).sections].filter(([, r]) => r.cutOff).map(([i]) => i);
    expect(cutIn(full)).toEqual([]);
    const cut = `${m}:b:0@@\na\n${m}:e:0:0@@\n${m}:b:1@@\nb`;
    expect(cutIn(cut)).toEqual([1]);
  });
});
