// The bundle loads ssh2's native ciphers (scripts/bundle-native-crypto.mjs): without them ssh2
// encrypts every packet through a new OpenSSL cipher made in JavaScript. Seen from outside: the
// addon is opened (process.dlopen) when the bundle loads ssh2, from the checkout's node_modules;
// and a bundle with no node_modules near it still runs (ssh2 falls back, as before).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BUNDLE = path.resolve('dist/fleet-bundle.cjs');

describe('dist/fleet-bundle.cjs and ssh2 native crypto', () => {
  let tmp: string;
  let hook: string;
  const opened = (bundle: string) => {
    const r = spawnSync(process.execPath, ['-r', hook, bundle, 'help', 'apply'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stderr.split('\n').filter((l) => l.startsWith('dlopen ')).map((l) => l.slice('dlopen '.length));
  };

  beforeAll(() => {
    if (!fs.existsSync(BUNDLE)) throw new Error('dist/fleet-bundle.cjs is missing: run npm run build (npm test does)');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-native-crypto-'));
    hook = path.join(tmp, 'hook.cjs');
    fs.writeFileSync(hook, "const open = process.dlopen; process.dlopen = function (m, f, ...r) { process.stderr.write('dlopen ' + f + '\\n'); return open.call(this, m, f, ...r); };\n");
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('opens ssh2 sshcrypto addon from node_modules', () => {
    const files = opened(BUNDLE);
    expect(files.some((f) => f.endsWith(path.join('ssh2', 'lib', 'protocol', 'crypto', 'build', 'Release', 'sshcrypto.node')))).toBe(true);
  });

  it('runs without it where no node_modules is near', () => {
    const alone = path.join(tmp, 'dist', 'fleet-bundle.cjs');
    fs.mkdirSync(path.dirname(alone));
    fs.copyFileSync(BUNDLE, alone);
    expect(opened(alone).filter((f) => f.endsWith('sshcrypto.node'))).toEqual([]);
  });
});
