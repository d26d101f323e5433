// `fleet secrets` as a user types it (the built CLI; `npm test` builds first).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = path.resolve('dist/fleet.cjs');
let dir: string;
let env: NodeJS.ProcessEnv;

function fleet(args: string[], input = '', extraEnv: NodeJS.ProcessEnv = {}) {
  if (!fs.existsSync(MAIN)) throw new Error('dist/fleet.cjs is missing: run npm run build (npm test does)');
  const r = spawnSync(process.execPath, [MAIN, ...args, '-i', path.join(dir, 'inventory')], {
    encoding: 'utf8',
    input,
    env: { ...env, ...extraEnv },
    cwd: dir,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function fleetAsync(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [MAIN, ...args, '-i', path.join(dir, 'inventory')], { env, cwd: dir });
    let out = '';
    let err = '';
    c.stdout.on('data', (b) => (out += b));
    c.stderr.on('data', (b) => (err += b));
    c.on('close', (code) => resolve({ code, out, err }));
  });
}

const file = () => path.join(dir, 'inventory', 'secrets.yml');

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-secrets-cli-'));
  fs.mkdirSync(path.join(dir, 'inventory'));
  fs.mkdirSync(path.join(dir, '.git'));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-secrets-home-'));
  env = { ...process.env, FLEET_AGE_IDENTITY: '', FLEET_AGE_IDENTITY_FILE: path.join(home, 'id.txt') };
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(path.dirname(env.FLEET_AGE_IDENTITY_FILE!), { recursive: true, force: true });
});

describe('fleet secrets', { timeout: 180_000 }, () => {
  it('init refuses an identity inside the project, then creates one outside (0600) and the file', () => {
    const inside = fleet(['secrets', 'init'], '', { FLEET_AGE_IDENTITY_FILE: path.join(dir, 'keys', 'id.txt') });
    expect(inside.code).toBe(3);
    expect(inside.err).toMatch(/refusing to create the age identity .* inside the project directory/);
    const r = fleet(['secrets', 'init']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^your public key: age1[a-z0-9]{58}\n$/);
    expect(fs.statSync(env.FLEET_AGE_IDENTITY_FILE!).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file(), 'utf8')).toContain(r.out.split(': ')[1].trim());
  });

  it('set reads the value from stdin only; get prints it; list never does', () => {
    expect(fleet(['secrets', 'set', 'smtp_password', 'on-the-command-line']).code).toBe(3);
    const set = fleet(['secrets', 'set', 'smtp_password'], 'from-stdin-value-9\n');
    expect(set.code, set.err).toBe(0);
    expect(fs.readFileSync(file(), 'utf8')).not.toContain('from-stdin-value-9');
    expect(fleet(['secrets', 'get', 'smtp_password']).out).toBe('from-stdin-value-9\n');
    const pem = '-----BEGIN KEY-----\nabc\n-----END KEY-----\n';
    fleet(['secrets', 'set', 'tls_private_key'], pem);
    expect(fleet(['secrets', 'get', 'tls_private_key']).out).toBe(pem);
    const list = fleet(['secrets', 'list']);
    expect(list.out).toContain('smtp_password  set');
    expect(list.out).not.toContain('from-stdin-value-9');
  });

  it('four processes reading a not-yet-generated secret at once all get the same value', async () => {
    fs.appendFileSync(file(), '  gen_token:\n    generate: {length: 30}\n');
    const runs = await Promise.all([1, 2, 3, 4].map(() => fleetAsync(['secrets', 'get', 'gen_token'])));
    for (const r of runs) expect(r.code, r.err).toBe(0);
    const values = new Set(runs.map((r) => r.out));
    expect(values.size).toBe(1);
    expect([...values][0]).toMatch(/^[A-Za-z0-9]{30}\n$/);
    expect(fs.readFileSync(file(), 'utf8').match(/gen_token:/g)).toHaveLength(1);
    expect(fs.existsSync(`${file()}.lock`)).toBe(false);
  });

  it('edit: the editor sees the values in a private file; what changed is encrypted again, nothing is left', () => {
    const seen = path.join(dir, 'seen.txt');
    const editor = path.join(dir, 'editor.sh');
    fs.writeFileSync(
      editor,
      `#!/bin/sh\nstat -c '%a' "$1" "$(dirname "$1")" > ${seen}\necho "$1" >> ${seen}\nsed -i 's/from-stdin-value-9/edited-value-10/' "$1"\nprintf 'new_api_token: added-in-editor\\n' >> "$1"\n`,
      { mode: 0o700 },
    );
    const before = fs.readFileSync(file(), 'utf8');
    const r = fleet(['secrets', 'edit'], '', { EDITOR: editor });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/changed smtp_password; added new_api_token/);
    const [fileMode, dirMode, tmp] = fs.readFileSync(seen, 'utf8').trim().split('\n');
    expect([fileMode, dirMode]).toEqual(['600', '700']);
    expect(fs.existsSync(tmp)).toBe(false);
    expect(fs.existsSync(path.dirname(tmp))).toBe(false);
    expect(fleet(['secrets', 'get', 'smtp_password']).out).toBe('edited-value-10\n');
    expect(fleet(['secrets', 'get', 'new_api_token']).out).toBe('added-in-editor\n');
    // The untouched value's ciphertext is byte for byte what it was: only changes show in review.
    const block = (t: string) => t.slice(t.indexOf('tls_private_key:'), t.indexOf('-----END', t.indexOf('tls_private_key:')));
    expect(block(fs.readFileSync(file(), 'utf8'))).toBe(block(before));
  });

  it('rotate gives a generated secret a new value and refuses a hand-set one', () => {
    const old = fleet(['secrets', 'get', 'gen_token']).out;
    expect(fleet(['secrets', 'rotate', 'gen_token']).code).toBe(0);
    expect(fleet(['secrets', 'get', 'gen_token']).out).not.toBe(old);
    const r = fleet(['secrets', 'rotate', 'smtp_password']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/no generator, so it cannot be rotated/);
  });

  it('recipients add lets a second key read everything; remove takes it away', () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-secrets-other-'));
    const otherEnv = { FLEET_AGE_IDENTITY_FILE: path.join(other, 'id.txt') };
    try {
      const init = fleet(['secrets', 'init'], '', otherEnv);
      expect(init.err).toMatch(/you are not one of its recipients/);
      const key = init.out.split(': ')[1].trim();
      expect(fleet(['secrets', 'get', 'smtp_password'], '', otherEnv).err).toMatch(/cannot be decrypted with your age identity/);
      expect(fleet(['secrets', 'recipients', 'add', key, '--comment', 'bob']).code).toBe(0);
      expect(fleet(['secrets', 'get', 'smtp_password'], '', otherEnv).out).toBe('edited-value-10\n');
      expect(fleet(['secrets', 'recipients']).out.trim().split('\n')).toHaveLength(2);
      expect(fleet(['secrets', 'recipients', 'remove', key]).code).toBe(0);
      expect(fleet(['secrets', 'get', 'smtp_password'], '', otherEnv).code).toBe(3);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
});
