// dist/fleet.cjs, the command: runs the bundle through a V8 code cache that it keeps beside
// it, or in the user's cache directory when it cannot write there; a cache that does not fit
// (another node, a corrupt file) is rejected and written afresh, never trusted.
import { isAscii } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
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

  /** What another local user could leave where fleet looks for its cache: V8 checks only the
   * source's length, so a cache compiled from other code of that length runs that code. */
  function plant(cacheDir: string, word: string): string {
    const file = path.join(dir, 'fleet-bundle.cjs');
    const source = fs.readFileSync(file, 'utf8').replace(/^#!/, '//');
    const real = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
    const marker = path.join(tmp, `planted-code-ran-${word}`);
    let evil = `(function (exports, require, module, __filename, __dirname) {require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n})`;
    evil += ' '.repeat(real.length - evil.length);
    const build = JSON.parse(/const BUILD = (\{.*\});/.exec(fs.readFileSync(path.join(dir, 'fleet.cjs'), 'utf8'))![1]) as { id: string };
    const st = fs.statSync(file);
    const name = `fleet-${build.id}-${st.size}-${Math.trunc(st.mtimeMs)}-${process.version}-${process.arch}-${word}.cache`;
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.writeFileSync(path.join(cacheDir, name), new vm.Script(evil, { filename: file }).createCachedData());
    return marker;
  }

  it('never runs a cache that another user could have written (group or world writable)', () => {
    const shared = path.join(tmp, 'shared');
    const marker = plant(path.join(shared, 'fleet'), 'inventory');
    const f = fs.readdirSync(path.join(shared, 'fleet'))[0];
    fs.chmodSync(path.join(shared, 'fleet', f), 0o666);
    const r = spawnSync(process.execPath, [path.join(dir, 'fleet.cjs'), 'inventory', '--help'], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: shared } });
    expect(fs.existsSync(marker)).toBe(false);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('fleet inventory');
    // Replaced by fleet's own, which only its owner can write.
    expect(fs.statSync(path.join(shared, 'fleet', f)).mode & 0o022).toBe(0);
  });

  it.runIf(process.getuid?.() === 0)('never runs a cache owned by another user', () => {
    const shared = path.join(tmp, 'shared2');
    const marker = plant(path.join(shared, 'fleet'), 'vars');
    const f = fs.readdirSync(path.join(shared, 'fleet'))[0];
    fs.chmodSync(path.join(shared, 'fleet', f), 0o644);
    fs.chownSync(path.join(shared, 'fleet', f), 65534, 65534);
    const r = spawnSync(process.execPath, [path.join(dir, 'fleet.cjs'), 'vars', '--help'], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: shared } });
    expect(fs.existsSync(marker)).toBe(false);
    expect(r.stdout).toContain('fleet vars');
  });

  it('reads an ASCII bundle (the build writes one) and a bundle with other characters alike, through its cache', () => {
    expect(isAscii(fs.readFileSync(path.join(DIST, 'fleet-bundle.cjs')))).toBe(true);
    const other = path.join(tmp, 'utf8');
    fs.mkdirSync(other);
    fs.copyFileSync(path.join(dir, 'fleet.cjs'), path.join(other, 'fleet.cjs'));
    // Two characters of two bytes each in UTF-8: read as latin1 the text would be two
    // characters longer, and the cache written for it (V8 checks only the length) misread.
    fs.writeFileSync(path.join(other, 'fleet-bundle.cjs'), `${fs.readFileSync(path.join(dir, 'fleet-bundle.cjs'), 'utf8')}\nprocess.stdout.write('\u00ab\u00bb\\n');\n`);
    const runOther = () => spawnSync(process.execPath, [path.join(other, 'fleet.cjs'), 'help', 'check'], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: xdg } });
    const first = runOther();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('\u00ab\u00bb\n');
    expect(first.stdout).toContain('fleet check');
    const cache = fs.readdirSync(path.join(other, '.cache'));
    expect(cache).toHaveLength(1);
    const before = fs.statSync(path.join(other, '.cache', cache[0])).mtimeMs;
    expect(runOther().stdout).toBe(first.stdout);
    // Accepted, so not written again.
    expect(fs.statSync(path.join(other, '.cache', cache[0])).mtimeMs).toBe(before);
  });

  it('keeps the cache of a run that stopped early as partial, and replaces it with the first whole run', () => {
    // A cache holds what its run compiled: one from a run that failed on its first file
    // would otherwise serve every later run of that command with most of fleet uncached.
    const missing = path.join(tmp, 'missing.yml');
    const failed = run(['apply', missing]);
    expect(failed.status).toBe(3);
    const partial = caches().filter((f) => f.includes('-apply.'));
    expect(partial).toEqual([expect.stringMatching(/-apply\.partial\.cache$/)]);
    const file = path.join(xdg, 'fleet', partial[0]);
    const before = fs.statSync(file).mtimeMs;
    // Another early stop: the partial one serves it and stays as it is.
    expect(run(['apply', missing]).status).toBe(3);
    expect(fs.statSync(file).mtimeMs).toBe(before);
    // A run to its end (exit 0) writes the whole cache; the partial one goes.
    const whole = run(['apply', '--help']);
    expect(whole.status, whole.stderr).toBe(0);
    const now = caches().filter((f) => f.includes('-apply.'));
    expect(now).toEqual([partial[0].replace(/\.partial\.cache$/, '.cache')]);
    const wholeFile = path.join(xdg, 'fleet', now[0]);
    const written = fs.statSync(wholeFile).mtimeMs;
    // And an early stop after it leaves the whole one alone.
    expect(run(['apply', missing]).status).toBe(3);
    expect(caches().filter((f) => f.includes('-apply.'))).toEqual(now);
    expect(fs.statSync(wholeFile).mtimeMs).toBe(written);
  });

  it('runs from a corrupt cache, and replaces it', () => {
    const help = () => caches().filter((f) => f.endsWith('-help.cache'));
    const [name] = help();
    const file = path.join(xdg, 'fleet', name);
    fs.writeFileSync(file, 'not a code cache');
    const r = run(['help', 'apply']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('fleet apply');
    expect(fs.statSync(file).size).toBeGreaterThan(1000);
    expect(help()).toEqual([name]);
  });
});
