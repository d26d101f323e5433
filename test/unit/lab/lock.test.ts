import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withLock } from '../../../src/lab/lock.js';

describe('lab lock', () => {
  it('serialises two holders and removes the file afterwards', async () => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lab-lock-')), 'lock');
    const order: string[] = [];
    const a = withLock(f, async () => {
      order.push('a start');
      await new Promise((r) => setTimeout(r, 300));
      order.push('a end');
    });
    await new Promise((r) => setTimeout(r, 20));
    const b = withLock(f, async () => {
      order.push('b');
    });
    await Promise.all([a, b]);
    expect(fs.existsSync(f)).toBe(false);
    expect(order).toEqual(['a start', 'a end', 'b']);
  });

  it('takes over a lock whose owner is dead', async () => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lab-lock-')), 'lock');
    fs.writeFileSync(f, '999999999');
    await expect(withLock(f, async () => 'ran')).resolves.toBe('ran');
  });

  it('waits for a live owner, then gives up with its pid named', async () => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lab-lock-')), 'lock');
    fs.writeFileSync(f, '1'); // pid 1 is alive and not us
    await expect(withLock(f, async () => 'ran', { timeoutMs: 600 })).rejects.toThrow(/held by pid 1/);
    fs.rmSync(f);
  });
});
