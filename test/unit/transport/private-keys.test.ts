// Private keys parsed once per file and signing from a KeyObject (private-keys.ts): the
// signatures are the ones ssh2 makes itself, for every key type fleet logs in with.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPrivateKey } from '../../../src/transport/private-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'fleet-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keygen(name: string, type: string, bits?: number): string {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-f', file]);
  return file;
}

const own = (file: string) => ssh2.utils.parseKey(readFileSync(file)) as ParsedKey;
const data = Buffer.from('session id and userauth request to sign');

describe('loadPrivateKey', () => {
  it('signs as ssh2 does: byte for byte where the signature is deterministic (ed25519, RSA)', () => {
    const ed = keygen('ed', 'ed25519');
    expect(loadPrivateKey(ed).sign(data)).toEqual(own(ed).sign(data));
    const rsa = keygen('rsa', 'rsa', 2048);
    for (const hash of [undefined, 'sha256', 'sha512']) expect(loadPrivateKey(rsa).sign(data, hash)).toEqual(own(rsa).sign(data, hash));
  }, 30_000);

  it('signs ECDSA with the curve hash ssh2 uses, verifiable by ssh2', () => {
    for (const bits of [256, 384, 521]) {
      const f = keygen(`ec${bits}`, 'ecdsa', bits);
      const sig = loadPrivateKey(f).sign(data);
      expect(Buffer.isBuffer(sig)).toBe(true);
      expect(own(f).verify(data, sig)).toBe(true);
      // Not with another hash: the default is the curve's.
      expect(own(f).verify(data, sig, bits === 256 ? 'sha512' : 'sha256')).toBe(false);
    }
  });

  it('signs without decoding the PEM text again (the text ssh2 signs from is not read)', () => {
    const f = keygen('ed2', 'ed25519');
    const key = loadPrivateKey(f);
    const expected = own(f).sign(data);
    const pem = Object.getOwnPropertySymbols(key).find((s) => s.description === 'Private key PEM');
    expect(pem).toBeDefined();
    (key as unknown as Record<symbol, unknown>)[pem!] = '-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----';
    expect(key.sign(data)).toEqual(expected);
  });

  it('parses a file once, and again when its bytes change', () => {
    const f = keygen('again', 'ed25519');
    const first = loadPrivateKey(f);
    expect(loadPrivateKey(f)).toBe(first);
    const other = keygen('other', 'ed25519');
    writeFileSync(f, readFileSync(other));
    const second = loadPrivateKey(f);
    expect(second).not.toBe(first);
    expect(second.getPublicSSH()).toEqual(own(other).getPublicSSH());
    expect(second.sign(data)).toEqual(own(other).sign(data));
  });

  it('names the file it cannot read or use', () => {
    expect(() => loadPrivateKey(join(dir, 'missing'))).toThrow(/cannot read private key .*missing: ENOENT/);
    writeFileSync(join(dir, 'junk'), 'not a key');
    expect(() => loadPrivateKey(join(dir, 'junk'))).toThrow(/cannot use private key .*junk: /);
    const enc = join(dir, 'enc');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', enc]);
    expect(() => loadPrivateKey(enc)).toThrow(/cannot use private key .*enc: .*passphrase/i);
  });
});
