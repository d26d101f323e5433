// The lab's root key and deploy password are made once per instance, even when its hosts
// boot side by side and each asks for them at the same moment (labUp's bootOne).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureDeployPassword, ensureRootKey } from '../../../src/lab/keys.js';
import type { LabInstance } from '../../../src/lab/instance.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function instance(): LabInstance {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-lab-keys-'));
  dirs.push(stateDir);
  return { name: 'k', stateDir, keyFile: path.join(stateDir, 'id_ed25519'), deployPasswordFile: path.join(stateDir, 'deploypw.password') } as LabInstance;
}

describe('lab key material asked for by hosts booting side by side', () => {
  it('one root key: every caller gets the same public key, the one on disk', async () => {
    const inst = instance();
    const pubs = await Promise.all(Array.from({ length: 6 }, () => ensureRootKey(inst)));
    const onDisk = fs.readFileSync(`${inst.keyFile}.pub`, 'utf8').trim();
    expect(new Set(pubs)).toEqual(new Set([onDisk]));
    expect(onDisk).toMatch(/^ssh-ed25519 \S+ fleet-k$/);
    // A later call keeps it.
    expect(await ensureRootKey(inst)).toBe(onDisk);
  });

  it('one deploy password and one hash of it for every host', async () => {
    const inst = instance();
    const got = await Promise.all(Array.from({ length: 6 }, () => ensureDeployPassword(inst)));
    expect(new Set(got.map((g) => g.hash)).size).toBe(1);
    expect(got[0].hash).toBe(fs.readFileSync(`${inst.deployPasswordFile}.sha512crypt`, 'utf8').trim());
    expect(fs.statSync(inst.deployPasswordFile).mode & 0o777).toBe(0o600);
  });
});
