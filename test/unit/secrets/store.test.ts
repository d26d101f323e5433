import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretStore, countStanzas } from '../../../src/secrets/store.js';
import { SecretsError } from '../../../src/secrets/errors.js';
import { newKey, tmpProject } from './helpers.js';

const alice = newKey();
const bob = newKey();
const mallory = newKey();

let cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.forEach((c) => c());
  cleanups = [];
});

function project() {
  const p = tmpProject();
  cleanups.push(p.cleanup);
  return p;
}

function initStore(file: string, ...keys: (typeof alice)[]): void {
  const s = new SecretStore(file, { env: keys[0].env });
  s.init(keys[0].recipient);
  for (const k of keys.slice(1)) s.addRecipient(k.recipient);
}

function errorOf(fn: () => unknown): SecretsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SecretsError);
    return e as SecretsError;
  }
  throw new Error('expected an error');
}

describe('secrets store', () => {
  it('round trip: a value set is read back by a fresh store, and the file holds no plaintext', () => {
    const p = project();
    initStore(p.file, alice);
    new SecretStore(p.file, { env: alice.env }).set('db_password', 'correct "horse" \\ battery');
    const text = fs.readFileSync(p.file, 'utf8');
    expect(text).toContain('db_password:');
    expect(text).toContain('-----BEGIN AGE ENCRYPTED FILE-----');
    expect(text).not.toContain('horse');
    expect(new SecretStore(p.file, { env: alice.env }).reveal('db_password')).toBe('correct "horse" \\ battery');
  });

  it('several recipients: each of them decrypts, and every value is encrypted for all of them', () => {
    const p = project();
    initStore(p.file, alice, bob);
    new SecretStore(p.file, { env: bob.env }).set('smtp_password', 'mail-pass-1');
    expect(new SecretStore(p.file, { env: alice.env }).reveal('smtp_password')).toBe('mail-pass-1');
    expect(new SecretStore(p.file, { env: bob.env }).reveal('smtp_password')).toBe('mail-pass-1');
    const s = new SecretStore(p.file, { env: alice.env });
    expect(s.recipients).toEqual([alice.recipient, bob.recipient]);
    expect(s.stanzaCount('smtp_password')).toBe(2);
  });

  it('a wrong key fails clearly, naming the secret, the key and what to do', () => {
    const p = project();
    initStore(p.file, alice);
    new SecretStore(p.file, { env: alice.env }).set('db_password', 'not-for-mallory');
    const e = errorOf(() => new SecretStore(p.file, { env: mallory.env }).reveal('db_password'));
    expect(e.message).toContain(p.file);
    expect(e.message).toMatch(/secret 'db_password' cannot be decrypted with your age identity/);
    expect(e.message).toContain(mallory.recipient);
    expect(e.message).toContain(`fleet secrets recipients add ${mallory.recipient}`);
    expect(e.message).not.toContain('not-for-mallory');
  });

  it('a tampered value fails clearly (payload, header and armor)', () => {
    const p = project();
    initStore(p.file, alice);
    new SecretStore(p.file, { env: alice.env }).set('token', 'the-original-token');
    const original = fs.readFileSync(p.file, 'utf8');
    const lines = original.split('\n');
    const end = lines.findIndex((l) => l.includes('-----END AGE'));
    // Flip one base64 character of the payload (the last body line) and of the header.
    const flip = (l: string, at: number) => l.slice(0, at) + (l[at] === 'A' ? 'B' : 'A') + l.slice(at + 1);
    const payload = [...lines];
    payload[end - 1] = flip(
      payload[end - 1],
      payload[end - 1].trimStart().length > 8 ? payload[end - 1].indexOf(payload[end - 1].trim()) + 2 : 0,
    );
    fs.writeFileSync(p.file, payload.join('\n'));
    expect(errorOf(() => new SecretStore(p.file, { env: alice.env }).reveal('token')).message).toMatch(
      /secret 'token' was tampered with or is corrupt/,
    );
    const begin = lines.findIndex((l) => l.includes('-----BEGIN AGE'));
    const header = [...lines];
    const h = header[begin + 2];
    header[begin + 2] = flip(h, h.indexOf(h.trim()) + 30);
    fs.writeFileSync(p.file, header.join('\n'));
    expect(errorOf(() => new SecretStore(p.file, { env: alice.env }).reveal('token')).message).toMatch(
      /secret 'token' (was tampered with or is corrupt|cannot be decrypted)/,
    );
    const armor = [...lines];
    armor.splice(begin + 1, 1);
    armor[begin + 1] = armor[begin + 1] + 'AAAA';
    fs.writeFileSync(p.file, armor.join('\n'));
    const e = errorOf(() => new SecretStore(p.file, { env: alice.env }).reveal('token'));
    expect(e.message).toMatch(/secret 'token' is corrupt: not a valid age-encrypted block/);
    expect(e.line).toBeGreaterThan(1);
  });

  it('plaintext written into the file by mistake is refused, naming the line', () => {
    const p = project();
    initStore(p.file, alice);
    fs.appendFileSync(p.file, 'secrets:\n  db_password: hunter2\n');
    fs.writeFileSync(p.file, fs.readFileSync(p.file, 'utf8').replace('secrets: {}\n', ''));
    const e = errorOf(() => new SecretStore(p.file, { env: alice.env }));
    expect(e.message).toMatch(/secret 'db_password' is not encrypted/);
    expect(e.line).toBeDefined();
  });

  it('a missing recipient fails clearly: no recipients at all, or the writer is not one of them', () => {
    const p = project();
    fs.writeFileSync(p.file, 'recipients: []\nsecrets: {}\n');
    expect(errorOf(() => new SecretStore(p.file, { env: alice.env }).set('x_token', 'v')).message).toMatch(
      /lists no recipients: run `fleet secrets init`/,
    );
    const q = project();
    initStore(q.file, alice);
    const e = errorOf(() => new SecretStore(q.file, { env: bob.env }).set('x_token', 'value'));
    expect(e.message).toMatch(/your age key age1\w+ is not one of the recipients/);
    expect(e.message).toContain(`fleet secrets recipients add ${bob.recipient}`);
  });

  it('a value encrypted before a recipient was added by hand is reported as such', () => {
    const p = project();
    initStore(p.file, alice);
    new SecretStore(p.file, { env: alice.env }).set('api_token', 'only-for-alice');
    fs.writeFileSync(p.file, fs.readFileSync(p.file, 'utf8').replace(`- ${alice.recipient}`, `- ${alice.recipient}\n  - ${bob.recipient}`));
    const s = new SecretStore(p.file, { env: bob.env });
    expect(s.stanzaCount('api_token')).toBe(1);
    expect(errorOf(() => s.reveal('api_token')).message).toMatch(/encrypted before it was added.*fleet secrets reencrypt/);
  });

  it('recipients add and remove re-encrypt every value', () => {
    const p = project();
    initStore(p.file, alice);
    const s = new SecretStore(p.file, { env: alice.env });
    s.set('one_secret', 'value-one');
    s.set('two_secret', 'value-two');
    s.addRecipient(bob.recipient, 'bob');
    expect(fs.readFileSync(p.file, 'utf8')).toContain(`${bob.recipient} # bob`);
    const b = new SecretStore(p.file, { env: bob.env });
    expect([b.reveal('one_secret'), b.reveal('two_secret')]).toEqual(['value-one', 'value-two']);
    b.removeRecipient(alice.recipient);
    expect(errorOf(() => new SecretStore(p.file, { env: alice.env }).reveal('one_secret')).message).toMatch(/cannot be decrypted/);
    expect(new SecretStore(p.file, { env: bob.env }).reveal('two_secret')).toBe('value-two');
    expect(errorOf(() => new SecretStore(p.file, { env: bob.env }).removeRecipient(bob.recipient)).message).toMatch(/last recipient/);
    expect(errorOf(() => b.addRecipient('age1nope')).message).toMatch(/not an age public key/);
  });

  it('generates a declared secret once: stable across stores, machines (identities) and hosts', () => {
    const p = project();
    initStore(p.file, alice, bob);
    fs.writeFileSync(
      p.file,
      fs
        .readFileSync(p.file, 'utf8')
        .replace('secrets: {}', '# the database\nsecrets:\n  db_password:   # generated\n    generate: {length: 40}\n'),
    );
    const s1 = new SecretStore(p.file, { env: alice.env });
    const v = s1.reveal('db_password', { host: 'h1' });
    expect(v).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(s1.reveal('db_password', { host: 'h2' })).toBe(v);
    const text = fs.readFileSync(p.file, 'utf8');
    expect(text).toContain('# the database');
    expect(text).toContain('# generated');
    expect(text).toContain('generate: { length: 40 }');
    expect(text).not.toContain(v);
    // Another machine, another identity, another process: the same value.
    expect(new SecretStore(p.file, { env: bob.env }).reveal('db_password')).toBe(v);
    expect(fs.readFileSync(p.file, 'utf8')).toBe(text);
  });

  it('a second store that generated nothing yet picks up what the first one wrote', () => {
    const p = project();
    initStore(p.file, alice);
    fs.writeFileSync(
      p.file,
      fs.readFileSync(p.file, 'utf8').replace('secrets: {}', 'secrets:\n  macaroon_secret: {generate: {hex: 16}}\n'),
    );
    const a = new SecretStore(p.file, { env: alice.env });
    const b = new SecretStore(p.file, { env: alice.env }); // opened before a generated
    const va = a.reveal('macaroon_secret');
    expect(va).toMatch(/^[0-9a-f]{32}$/);
    expect(b.reveal('macaroon_secret')).toBe(va);
  });

  it('role-declared and per-host secrets: one value per host, stable, rotated deliberately', () => {
    const p = project();
    initStore(p.file, alice);
    const declared = {
      name: 'wg_key',
      generator: { kind: 'key' as const, type: 'wireguard' as const },
      perHost: true,
      where: 'roles/wg/secrets.yml:1',
    };
    const s = new SecretStore(p.file, { env: alice.env });
    const k1 = s.reveal('wg_key', { host: 'lab1', declared });
    const k2 = s.reveal('wg_key', { host: 'lab2', declared });
    expect(k1).not.toBe(k2);
    expect(Buffer.from(k1, 'base64')).toHaveLength(32);
    expect(s.publicOf('wg_key', { host: 'lab1', declared })).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const again = new SecretStore(p.file, { env: alice.env });
    expect(again.reveal('wg_key', { host: 'lab1', declared })).toBe(k1);
    const before = fs.readFileSync(p.file, 'utf8');
    expect(again.rotate('wg_key', declared)).toEqual(['wg_key@lab1', 'wg_key@lab2']);
    const after = new SecretStore(p.file, { env: alice.env });
    expect(after.reveal('wg_key', { host: 'lab1', declared })).not.toBe(k1);
    expect(before).not.toBe(fs.readFileSync(p.file, 'utf8'));
  });

  it('rotate replaces exactly the named secret; a secret without a generator cannot be rotated', () => {
    const p = project();
    initStore(p.file, alice);
    fs.writeFileSync(
      p.file,
      fs
        .readFileSync(p.file, 'utf8')
        .replace('secrets: {}', 'secrets:\n  a_secret: {generate: {length: 20}}\n  b_secret: {generate: {length: 20}}\n'),
    );
    const s = new SecretStore(p.file, { env: alice.env });
    const a = s.reveal('a_secret');
    const b = s.reveal('b_secret');
    const blockOf = (name: string) => {
      const t = fs.readFileSync(p.file, 'utf8');
      return t.slice(t.indexOf(`${name}:`), t.indexOf('-----END', t.indexOf(`${name}:`)));
    };
    const bBlock = blockOf('b_secret');
    s.rotate('a_secret');
    const fresh = new SecretStore(p.file, { env: alice.env });
    expect(fresh.reveal('a_secret')).not.toBe(a);
    expect(fresh.reveal('b_secret')).toBe(b);
    expect(blockOf('b_secret')).toBe(bBlock);
    s.set('plain_token', 'typed-by-hand');
    expect(errorOf(() => s.rotate('plain_token')).message).toMatch(/no generator, so it cannot be rotated/);
  });

  it('a secret with neither value nor generator is an error naming what to do', () => {
    const p = project();
    initStore(p.file, alice);
    expect(errorOf(() => new SecretStore(p.file, { env: alice.env }).reveal('nope_password')).message).toMatch(
      /has no value in the secrets file: set one with `fleet secrets set nope_password`/,
    );
  });

  it('countStanzas counts the recipients a value was encrypted for', () => {
    const p = project();
    initStore(p.file, alice, bob);
    const s = new SecretStore(p.file, { env: alice.env });
    s.set('n_secret', 'x');
    expect(countStanzas(s.entry('n_secret')!.armored!)).toBe(2);
    expect(path.basename(s.file)).toBe('secrets.yml');
  });
});
