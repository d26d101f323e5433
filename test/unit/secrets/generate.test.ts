import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generate, parseGenerator, type GeneratorSpec } from '../../../src/secrets/generate.js';

const spec = (raw: unknown): GeneratorSpec => {
  const g = parseGenerator(raw);
  if (typeof g === 'string') throw new Error(g);
  return g;
};

describe('generators', () => {
  it('characters from an alphabet, random bytes in hex or base64', () => {
    expect(generate(spec({ length: 40 })).value).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(generate(spec({ length: 12, alphabet: 'digits' })).value).toMatch(/^[0-9]{12}$/);
    expect(generate(spec({ length: 64, alphabet: 'ab' })).value).toMatch(/^[ab]{64}$/);
    expect(generate(spec({ hex: 16 })).value).toMatch(/^[0-9a-f]{32}$/);
    expect(Buffer.from(generate(spec({ base64: 32 })).value, 'base64')).toHaveLength(32);
    const a = generate(spec({ length: 32 })).value;
    expect(generate(spec({ length: 32 })).value).not.toBe(a);
  });

  it('bad generators say what is expected', () => {
    expect(parseGenerator({ length: 0 })).toMatch(/length must be a whole number from 1 to 4096/);
    expect(parseGenerator({ length: 8, alphabet: 'x' })).toMatch(/fewer than 2 different characters/);
    expect(parseGenerator({ type: 'dsa' })).toMatch(/type must be one of ed25519, age, x25519, wireguard, rsa/);
    expect(parseGenerator({ length: 8, size: 3 })).toMatch(/unknown key 'size'/);
    expect(parseGenerator('long')).toMatch(/expected a generator/);
  });

  it('ed25519: an OpenSSH private key that ssh-keygen reads, with its public key', () => {
    const g = generate(spec({ type: 'ed25519' }));
    expect(g.value).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n[\s\S]+\n-----END OPENSSH PRIVATE KEY-----\n$/);
    expect(g.public).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]+=*$/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-gen-'));
    try {
      const f = path.join(dir, 'key');
      fs.writeFileSync(f, g.value, { mode: 0o600 });
      expect(execFileSync('ssh-keygen', ['-y', '-f', f], { encoding: 'utf8' }).trim()).toBe(`${g.public} fleet`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('wireguard: a clamped X25519 private key whose public half matches', () => {
    const g = generate(spec({ type: 'wireguard' }));
    const priv = Buffer.from(g.value, 'base64');
    expect(priv).toHaveLength(32);
    expect(priv[0] & 7).toBe(0);
    expect(priv[31] & 0xc0).toBe(0x40);
    // Two parties derive the same shared secret from each other's public keys.
    const h = generate(spec({ type: 'wireguard' }));
    const key = (b64: string) =>
      createPrivateKey({
        key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), Buffer.from(b64, 'base64')]),
        format: 'der',
        type: 'pkcs8',
      });
    const pub = (b64: string) =>
      createPublicKey({
        key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), Buffer.from(b64, 'base64')]),
        format: 'der',
        type: 'spki',
      });
    expect(diffieHellman({ privateKey: key(g.value), publicKey: pub(h.public!) })).toEqual(
      diffieHellman({ privateKey: key(h.value), publicKey: pub(g.public!) }),
    );
  });

  it('age: an identity and its recipient; rsa: PKCS#8 and SPKI PEM', () => {
    const a = generate(spec({ type: 'x25519' }));
    expect(a.value).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    expect(a.public).toMatch(/^age1[0-9a-z]{58}$/);
    const r = generate(spec({ type: 'rsa', bits: 2048 }));
    expect(createPrivateKey(r.value).asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(createPublicKey(r.public!).export({ format: 'pem', type: 'spki' })).toBe(r.public);
  });
});
