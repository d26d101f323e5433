// onion_keys on the controller: addresses from public keys, backups encrypted with age,
// restores only into services without a key, refusal when host and backup disagree, and no
// secret in anything but the encrypted file and the restore script.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { onionAddress, onionKeys, parseKeyList, runOnionKeys, type OnionKeysParams } from '../../../src/actions/onion-keys.js';
import { openKeyVault } from '../../../src/actions/onion-key-vault.js';
import { stubPorts } from './stub-ports.js';
import type { ActionContext, ActionPorts } from '../../../src/model/action.js';
import { host } from '../engine/fixtures.js';

// A key pair tor 0.4.9 made, with the hostname it wrote.
const PUBLIC_FILE = Buffer.from('PT0gZWQyNTUxOXYxLXB1YmxpYzogdHlwZTAgPT0AAACTXJPZ5bOYyKAMXy++15gXV/OHNlxEHUQ9+drEF8K7hQ==', 'base64');
const HOSTNAME = 'snojhwpfwommriaml4x35v4yc5l7hbzwlrcb2rb57hnmif6cxoc3spyd.onion';
const SECRET_FILE = Buffer.concat([Buffer.from('== ed25519v1-secret: type0 =='), Buffer.alloc(3), Buffer.alloc(64, 0x5a)]);
const OTHER_PUBLIC = Buffer.concat([PUBLIC_FILE.subarray(0, 32), Buffer.alloc(32, 7)]);

describe('onion addresses', () => {
  it('is tor’s own hostname for a public key file', () => {
    expect(onionAddress(PUBLIC_FILE)).toBe(HOSTNAME);
    expect(() => onionAddress(Buffer.alloc(64))).toThrow(/not a tor v3 public key/);
  });

  it('reads the key listing: keys, missing keys, secret-only', () => {
    const m = parseKeyList(`web ${PUBLIC_FILE.toString('base64')}\nssh -\nold ?\n\ngarbage line here\n`);
    expect(m.get('web')).toEqual({ kind: 'key', publicFile: PUBLIC_FILE });
    expect(m.get('ssh')).toEqual({ kind: 'none' });
    expect(m.get('old')).toEqual({ kind: 'secret-only' });
    expect(m.size).toBe(3);
  });
});

describe('onion_keys', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let scripts: string[];
  let redacted: string[];
  let hostOutput: string;
  const params = (state: 'restored' | 'saved', keys: string, more: Partial<OnionKeysParams> = {}): OnionKeysParams => ({
    state, dir: '/var/lib/tor/onion', keys, services: [{ name: 'web' }], ssh: false, backup: true, backup_dir: '', owner: 'debian-tor', ...more,
  });
  const ctx = (check = false, pendingAfter?: string): ActionContext => ({ host: 'relay1', connection: host('relay1').connection, vars: {}, check, pendingAfter });
  const ports: ActionPorts = {
    ...stubPorts(),
    connect: async () => {
      throw new Error('onion_keys opens no connection of its own');
    },
    runOn: async (name, script) => {
      expect(name).toBe('relay1');
      scripts.push(script);
      return { rc: 0, stdout: hostOutput, stderr: '' };
    },
    upload: async () => undefined,
    download: async () => Buffer.alloc(0),
    inventoryFile: () => path.join(dir, 'inventory', 'hosts.yml'),
    setInventoryValue: () => undefined,
    secret: (s) => void redacted.push(s),
  };
  const run = (p: OnionKeysParams, check = false, pendingAfter?: string) => runOnionKeys(p, ctx(check, pendingAfter), ports, { env });
  const backupFile = () => path.join(dir, 'inventory', 'onion-keys', 'relay1', 'web.age');

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-onion-'));
    fs.mkdirSync(path.join(dir, 'inventory'));
    const age = await import('age-encryption');
    env = { FLEET_AGE_IDENTITY: await age.generateX25519Identity() };
    scripts = [];
    redacted = [];
    hostOutput = `web ${SECRET_FILE.toString('base64')}\n`;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('backs up a new key encrypted, publishes the address, then has nothing to do', async () => {
    const listing = `web ${PUBLIC_FILE.toString('base64')}\n`;
    const first = await run(params('saved', listing));
    expect(first.status).toBe('changed');
    expect(first.msg).toContain(`web (${HOSTNAME})`);
    expect(first.registered).toMatchObject({ addresses: { web: HOSTNAME }, address: HOSTNAME, ssh_address: '' });
    expect(first.outputs).toEqual({ 'addresses.web': HOSTNAME });
    // The secret was read once, over the host connection, and handed to the redactor.
    expect(scripts).toHaveLength(1);
    expect(scripts[0]).toContain('hs_ed25519_secret_key');
    expect(redacted).toContain(SECRET_FILE.toString('base64'));
    const stored = fs.readFileSync(backupFile(), 'utf8');
    expect(stored).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/);
    for (const form of [SECRET_FILE.subarray(32).toString('base64'), SECRET_FILE.toString('base64'), SECRET_FILE.subarray(32).toString('hex')]) expect(stored).not.toContain(form);
    expect(fs.statSync(backupFile()).mode & 0o077).toBe(0);
    const plain = JSON.parse(Buffer.from(await (await openKeyVault(path.join(dir, 'inventory'), env)).decrypt(stored)).toString());
    expect(plain).toMatchObject({ host: 'relay1', service: 'web', address: HOSTNAME, secret_key: SECRET_FILE.toString('base64') });

    const again = await run(params('saved', listing));
    expect(again).toMatchObject({ status: 'ok', registered: { addresses: { web: HOSTNAME } } });
    expect(scripts).toHaveLength(1);
  });

  it('check mode says what it would back up and touches nothing', async () => {
    const r = await run(params('saved', `web ${PUBLIC_FILE.toString('base64')}\n`), true);
    expect(r).toMatchObject({ status: 'changed', registered: { addresses: { web: HOSTNAME } } });
    expect(r.msg).toMatch(/^would back up the keys of web/);
    expect(scripts).toHaveLength(0);
    expect(fs.existsSync(backupFile())).toBe(false);
  });

  it('a key tor has not made yet fails an apply and is pending in check mode', async () => {
    const r = await run(params('saved', 'web -\n'));
    expect(r.status).toBe('failed');
    expect(r.msg).toMatch(/tor has not made the key of web/);
    const c = await run(params('saved', 'web -\n'), true, 'write torrc');
    expect(c).toMatchObject({ status: 'changed', after: 'write torrc' });
  });

  it('restores a missing key from the backup, and only a missing one', async () => {
    await run(params('saved', `web ${PUBLIC_FILE.toString('base64')}\n`));
    scripts = [];
    const check = await run(params('restored', 'web -\n'), true);
    expect(check).toMatchObject({ status: 'changed' });
    expect(scripts).toHaveLength(0);
    const r = await run(params('restored', ''));
    expect(r.status).toBe('changed');
    expect(r.msg).toContain(`restored the keys of web (${HOSTNAME})`);
    expect(scripts).toHaveLength(1);
    const script = scripts[0];
    expect(script).toContain("install -d -o debian-tor -g debian-tor -m 2700 /var/lib/tor/onion/web");
    expect(script).toContain('mv -f "$t" /var/lib/tor/onion/web/hs_ed25519_secret_key');
    expect(script).toContain('mv -f "$t" /var/lib/tor/onion/web/hs_ed25519_public_key');
    // The key travels only inside the script's here-document.
    expect(script.replace(/\n/g, '')).toContain(SECRET_FILE.toString('base64'));
    const present = await run(params('restored', `web ${PUBLIC_FILE.toString('base64')}\n`));
    expect(present.status).toBe('ok');
    expect(scripts).toHaveLength(1);
  });

  it('refuses, changing nothing, when the host’s key is not the backed-up one', async () => {
    await run(params('saved', `web ${PUBLIC_FILE.toString('base64')}\n`));
    scripts = [];
    const before = fs.readFileSync(backupFile(), 'utf8');
    for (const state of ['restored', 'saved'] as const) {
      const r = await run(params(state, `web ${OTHER_PUBLIC.toString('base64')}\n`));
      expect(r.status).toBe('failed');
      expect(r.msg).toContain(`the key on the host (${onionAddress(OTHER_PUBLIC)}) is not the one the controller backed up (${HOSTNAME}`);
    }
    expect(scripts).toHaveLength(0);
    expect(fs.readFileSync(backupFile(), 'utf8')).toBe(before);
  });

  it('with backups off, only publishes; the SSH service is published as ssh_address', async () => {
    const r = await run(params('saved', `web ${PUBLIC_FILE.toString('base64')}\nssh ${PUBLIC_FILE.toString('base64')}\n`, { backup: false, ssh: true }));
    expect(r).toMatchObject({ status: 'ok', registered: { addresses: { web: HOSTNAME, ssh: HOSTNAME }, ssh_address: HOSTNAME } });
    expect(fs.existsSync(path.join(dir, 'inventory', 'onion-keys'))).toBe(false);
    expect((await run(params('restored', 'web -\n', { backup: false }))).status).toBe('ok');
  });
});

describe('onion_keys before contact', () => {
  it('registers the shape later tasks read: every service’s address and the SSH one', () => {
    const shape = onionKeys.registers!({ state: 'saved', dir: '/d', keys: '', services: [{ name: 'web' }], ssh: true, backup: true, backup_dir: '', owner: 'debian-tor' });
    expect(Object.keys(shape.addresses as object)).toEqual(['web', 'ssh']);
    expect(shape).toMatchObject({ address: expect.stringMatching(/\.onion$/), ssh_address: expect.stringMatching(/\.onion$/) });
  });
});

describe('key vault', () => {
  it('creates the identity where the secrets store looks for it, once, readable by its owner only', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-vault-'));
    try {
      const env = { XDG_CONFIG_HOME: home };
      const v = await openKeyVault(path.join(home, 'inv'), env);
      const file = path.join(home, 'fleet', 'age-identity.txt');
      expect(v.createdIdentity).toBe(file);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const sealed = await v.encrypt(Buffer.from('key bytes'));
      expect(Buffer.from(await v.decrypt(sealed)).toString()).toBe('key bytes');
      await expect(openKeyVault(path.join(home, 'inv'), { FLEET_AGE_IDENTITY_FILE: path.join(home, 'missing.txt') })).rejects.toThrow(/does not exist/);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('also encrypts for the recipients of secrets.yml next to the inventory, and refuses a bad list', async () => {
    const age = await import('age-encryption');
    const inv = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-vault-'));
    try {
      const mine = await age.generateX25519Identity();
      const theirs = await age.generateX25519Identity();
      fs.writeFileSync(path.join(inv, 'secrets.yml'), `recipients:\n  - ${await age.identityToRecipient(theirs)}\nsecrets: {}\n`);
      const sealed = await (await openKeyVault(inv, { FLEET_AGE_IDENTITY: mine })).encrypt(Buffer.from('x'));
      const d = new age.Decrypter();
      d.addIdentity(theirs);
      expect(await d.decrypt(age.armor.decode(sealed), 'text')).toBe('x');
      const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-vault-'));
      fs.writeFileSync(path.join(bad, 'secrets.yml'), 'recipients: [nope]\n');
      await expect(openKeyVault(bad, { FLEET_AGE_IDENTITY: mine })).rejects.toThrow(/secrets.yml: recipients: expected a list of age public keys/);
      fs.rmSync(bad, { recursive: true, force: true });
    } finally {
      fs.rmSync(inv, { recursive: true, force: true });
    }
  });
});
