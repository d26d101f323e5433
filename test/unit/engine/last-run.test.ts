// The last run's facts: written again when anything but the host's clock changed, not when
// only the clock moved (a no-change run of N hosts wrote N files for nothing).
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatheredFacts } from '../../../src/engine/facts.js';
import { loadCachedFacts, saveCachedFacts } from '../../../src/engine/last-run.js';

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fleet-last-run-'));
  process.env.XDG_CACHE_HOME = tmp;
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const conn = { address: '10.0.0.1', port: 22 };
const facts = (over: Partial<GatheredFacts> = {}): GatheredFacts => ({
  osId: 'debian', osVersion: '12', osCodename: 'bookworm', arch: 'x86_64', hostname: 'h1', init: 'systemd',
  addresses: ['10.0.0.1'], memoryMb: 1024, cpus: 2, opensshVersion: '9.2', controllerIp: '10.0.0.9', now: 1000, ...over,
});
const onDisk = () => JSON.parse(readFileSync(join(tmp, 'fleet', 'facts', readdirSync(join(tmp, 'fleet', 'facts'))[0]), 'utf8')) as GatheredFacts;

describe('saveCachedFacts', () => {
  it('only the clock moved since the last run: the file is left as it was; anything else: written', () => {
    saveCachedFacts('h1', conn, facts());
    const last = loadCachedFacts('h1', conn)!;
    expect(last).toEqual(facts());
    saveCachedFacts('h1', conn, facts({ now: 2000 }), last);
    expect(onDisk().now).toBe(1000);
    saveCachedFacts('h1', conn, facts({ now: 3000, cpus: 4 }), last);
    expect(onDisk()).toEqual(facts({ now: 3000, cpus: 4 }));
    // No last run: written.
    saveCachedFacts('h1', conn, facts({ now: 4000 }));
    expect(onDisk().now).toBe(4000);
  });
});
