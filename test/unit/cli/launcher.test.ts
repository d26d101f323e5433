// dist/fleet.cjs, the command: runs the bundle through a V8 code cache that it keeps beside
// it, or in the user's cache directory when it cannot write there; a cache that does not fit
// (another node, a corrupt file) is rejected and written afresh, never trusted.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DIST = path.resolve('dist');

describe('dist/fleet.cjs', () => {
  let tmp: string;
  let dir: string;
  let xdg: string;
  const run = (args: string[]) => spawnSync(process.execPath, [path.join(dir, 'fleet.cjs'), ...args], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: xdg } });
  const caches = () => (fs.existsSync(path.join(xdg, 'fleet')) ? fs.readdirSync(path.join(xdg, 'fleet')) : []);

  beforeAll(() => {
    if (!fs.existsSync(path.join(DIST, 'fleet.cjs'))) throw new Error('dist/fleet.cjs is missing: run npm run build (npm test does)');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-launcher-'));
    dir = path.join(tmp, 'dist');
    xdg = path.join(tmp, 'xdg');
    fs.mkdirSync(dir);
    for (const f of ['fleet.cjs', 'fleet-bundle.cjs']) fs.copyFileSync(path.join(DIST, f), path.join(dir, f));
    // Where the cache would go beside the bundle is a file: as unwritable as a read-only install.
    fs.writeFileSync(path.join(dir, '.cache'), '');
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('answers --version as the bundle does', () => {
    const own = run(['--version']);
    const bundle = spawnSync(process.execPath, [path.join(dir, 'fleet-bundle.cjs'), '--version'], { encoding: 'utf8' });
    expect(own.stdout).toMatch(/^fleet \d+\.\d+\.\d+ \(commit \S+\)\n$/);
    expect(own.stdout).toBe(bundle.stdout);
    expect(caches()).toEqual([]);
  });

  it("raises V8's interrupt budget before the bundle is compiled (TurboFan only for what stays hot)", () => {
    // Seen from outside: v8.setFlagsFromString called with the budget, before the bundle's own
    // code runs (its first require of node:fs comes later than the call).
    const hook = path.join(tmp, 'flags-hook.cjs');
    fs.writeFileSync(
      hook,
      "const v8 = require('node:v8'); const set = v8.setFlagsFromString; v8.setFlagsFromString = (f) => { process.stderr.write('flags ' + f + '\\n'); return set(f); };\n",
    );
    const r = spawnSync(process.execPath, ['-r', hook, path.join(dir, 'fleet.cjs'), 'help', 'apply'], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: xdg } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('flags '))).toEqual(['flags --interrupt-budget=300000']);
    // --version is answered before: no flags, nothing of the bundle read.
    const v = spawnSync(process.execPath, ['-r', hook, path.join(dir, 'fleet.cjs'), '--version'], { encoding: 'utf8' });
    expect(v.stderr).toBe('');
  });

  it('writes one cache per command word in the user cache directory, and reads it back', () => {
    const first = run(['help', 'apply']);
    expect(first.status, first.stderr).toBe(0);
    const written = caches();
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^fleet-[0-9a-f]{16}-\d+-\d+-v[\d.]+-\w+-help\.cache$/);
    const file = path.join(xdg, 'fleet', written[0]);
    const before = fs.statSync(file).mtimeMs;
    const second = run(['help', 'apply']);
    expect(second.stdout).toBe(first.stdout);
    // Accepted: not written again.
    expect(fs.statSync(file).mtimeMs).toBe(before);
  });

  it('keeps the cache beside the bundle where it can write there', () => {
    const beside = path.join(tmp, 'writable');
    fs.mkdirSync(beside);
    for (const f of ['fleet.cjs', 'fleet-bundle.cjs']) fs.copyFileSync(path.join(dir, f), path.join(beside, f));
    const before = caches();
    const r = spawnSync(process.execPath, [path.join(beside, 'fleet.cjs'), 'help', 'check'], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: xdg } });
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readdirSync(path.join(beside, '.cache'))).toEqual([expect.stringMatching(/-help\.cache$/)]);
    expect(caches()).toEqual(before);
  });

  it('runs from a corrupt cache, and replaces it', () => {
    const [name] = caches();
    const file = path.join(xdg, 'fleet', name);
    fs.writeFileSync(file, 'not a code cache');
    const r = run(['help', 'apply']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('fleet apply');
    expect(fs.statSync(file).size).toBeGreaterThan(1000);
    expect(caches()).toEqual([name]);
  });
});
