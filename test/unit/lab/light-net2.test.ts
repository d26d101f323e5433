// Two light labs of different names on one machine never share loopback addresses: a lab
// without an explicit second octet takes one no other light lab uses, and keeps it.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lightNet2 } from '../../../src/lab/light.js';
import { lightLab } from '../../../src/lab/light-config.js';

const tag = String(process.pid % 100000);
const a = `na${tag}`;
const b = `nb${tag}`;

function record(name: string, net2: number): void {
  const dir = lightLab(name).stateDir;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'net2'), `${net2}\n`);
}

afterEach(() => {
  for (const n of [a, b]) fs.rmSync(lightLab(n).stateDir, { recursive: true, force: true });
});

describe('light lab second octet', () => {
  it('is the one asked for, else the recorded one, else one no other light lab uses', () => {
    expect(lightNet2(b, 91)).toBe(91);
    const free = lightNet2(b);
    expect(free).toBeGreaterThanOrEqual(1);
    expect(free).toBeLessThanOrEqual(254);
    // Another lab already holds that octet: b gets a different one.
    record(a, free);
    const other = lightNet2(b);
    expect(other).not.toBe(free);
    // Once b is up with it, b keeps it, whatever the others hold.
    record(b, other);
    record(a, 5);
    expect(lightNet2(b)).toBe(other);
  });
});
