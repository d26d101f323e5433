// Key material of the lab: the root key (generated once per instance), per-host ssh host
// keys cached by host name (RSA generation costs about 0.5 s a host, and a host that keeps
// its keys across resets keeps its pinned known_hosts line valid), and deploypw's password.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { must } from './exec.js';
import { hostDir, type LabInstance } from './instance.js';

export const HOST_KEY_TYPES = ['ed25519', 'ecdsa', 'rsa'] as const;

/** Work in flight per file: hosts boot side by side, and each asks for the instance's root key
 * and deploy password. Without this, a second host found no key while the first's ssh-keygen
 * was writing it, and its own ssh-keygen then refused to overwrite it (seen in CI). */
const inFlight = new Map<string, Promise<unknown>>();
function once<T>(file: string, make: () => Promise<T>): Promise<T> {
  let p = inFlight.get(file) as Promise<T> | undefined;
  if (!p) {
    p = make().finally(() => inFlight.delete(file));
    inFlight.set(file, p);
  }
  return p;
}

export function ensureRootKey(inst: LabInstance): Promise<string> {
  return once(inst.keyFile, () => makeRootKey(inst));
}

async function makeRootKey(inst: LabInstance): Promise<string> {
  fs.mkdirSync(inst.stateDir, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(inst.keyFile) || !fs.existsSync(`${inst.keyFile}.pub`)) {
    fs.rmSync(inst.keyFile, { force: true });
    fs.rmSync(`${inst.keyFile}.pub`, { force: true });
    await must(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `fleet-${inst.name}`, '-f', inst.keyFile]);
  }
  return fs.readFileSync(`${inst.keyFile}.pub`, 'utf8').trim();
}

export function hostKeysDir(inst: LabInstance, name: string): string {
  return path.join(hostDir(inst, name), 'keys');
}

/** Generate the host's ssh host keys unless cached; returns the dir holding ssh_host_*_key. */
export async function ensureHostKeys(inst: LabInstance, name: string): Promise<string> {
  const dir = hostKeysDir(inst, name);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  await Promise.all(
    HOST_KEY_TYPES.map(async (t) => {
      const f = path.join(dir, `ssh_host_${t}_key`);
      if (fs.existsSync(f) && fs.existsSync(`${f}.pub`)) return;
      fs.rmSync(f, { force: true });
      fs.rmSync(`${f}.pub`, { force: true });
      await must(['ssh-keygen', '-q', '-t', t, '-N', '', '-C', `root@${name}`, '-f', f]);
    }),
  );
  return dir;
}

/** "TYPE BASE64" public host keys of a host, from the cache. */
export function hostPublicKeys(inst: LabInstance, name: string): string[] {
  const dir = hostKeysDir(inst, name);
  return HOST_KEY_TYPES.map((t) => {
    const [type, key] = fs.readFileSync(path.join(dir, `ssh_host_${t}_key.pub`), 'utf8').trim().split(/\s+/);
    return `${type} ${key}`;
  });
}

/** deploypw's sudo password (generated once, mode 0600) and its crypt(3) SHA-512 hash. */
export function ensureDeployPassword(inst: LabInstance): Promise<{ hash: string }> {
  return once(inst.deployPasswordFile, () => makeDeployPassword(inst));
}

async function makeDeployPassword(inst: LabInstance): Promise<{ hash: string }> {
  const f = inst.deployPasswordFile;
  if (!fs.existsSync(f)) {
    fs.writeFileSync(f, crypto.randomBytes(18).toString('base64url') + '\n', { mode: 0o600 });
  }
  fs.chmodSync(f, 0o600);
  const password = fs.readFileSync(f, 'utf8').trim();
  const hashFile = `${f}.sha512crypt`;
  // The hash is salted, so cache it: the same password then gives the same /etc/shadow.
  if (!fs.existsSync(hashFile) || fs.statSync(hashFile).mtimeMs < fs.statSync(f).mtimeMs) {
    const hash = (await must(['openssl', 'passwd', '-6', '-stdin'], { input: password + '\n' })).trim();
    fs.writeFileSync(hashFile, hash + '\n', { mode: 0o600 });
  }
  return { hash: fs.readFileSync(hashFile, 'utf8').trim() };
}
