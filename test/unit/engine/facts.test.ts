// Facts as the first round trip reads them, over a real local shell.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FACTS_PROBE, parseFacts } from '../../../src/engine/facts.js';

describe('facts', () => {
  it('the host clock (now) comes from /proc with builtins, within a couple of seconds of the real one, and moves on with the controller', async () => {
    const out = execFileSync('sh', ['-c', FACTS_PROBE], { encoding: 'utf8' });
    const facts = parseFacts(out);
    const real = Math.floor(Date.now() / 1000);
    expect(facts.now).toBeGreaterThan(real - 3);
    expect(facts.now).toBeLessThan(real + 3);
    const read = parseFacts('now=1000\n');
    await new Promise((r) => setTimeout(r, 1100));
    expect(read.now).toBeGreaterThanOrEqual(1001);
    expect(read.now).toBeLessThan(1005);
  });

  it('arch and the CPU count read from /proc and /sys say what uname and getconf say', () => {
    const facts = parseFacts(execFileSync('sh', ['-c', FACTS_PROBE], { encoding: 'utf8' }));
    expect(facts.arch).toBe(execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim());
    expect(facts.cpus).toBe(Number(execFileSync('getconf', ['_NPROCESSORS_ONLN'], { encoding: 'utf8' }).trim()));
  });

  it('no clock read: no now (a plan then falls back to what its probe or the controller says)', () => {
    expect(parseFacts('os_id=debian\n').now).toBeUndefined();
  });
});
