import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeKey, fingerprint, hostKeyAlgorithmsFor, keyLabel, keyTypeOf } from '../../../src/transport/fingerprint.js';

const dir = mkdtempSync(join(tmpdir(), 'fleet-fp-'));

describe('fingerprint', () => {
  for (const [type, bits, label] of [
    ['ed25519', undefined, 'ED25519'],
    ['ecdsa', '256', 'ECDSA'],
    ['ecdsa', '521', 'ECDSA'],
    ['rsa', '2048', 'RSA'],
  ] as const) {
    it(`matches ssh-keygen -lf for ${type}${bits ? `-${bits}` : ''}`, () => {
      const f = join(dir, `${type}${bits ?? ''}`);
      execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', bits] : []), '-N', '', '-f', f]);
      const [keyType, b64] = readFileSync(f + '.pub', 'utf8').trim().split(/\s+/);
      const blob = Buffer.from(b64, 'base64');
      // "256 SHA256:abc... comment (ED25519)"
      const out = execFileSync('ssh-keygen', ['-lf', f + '.pub'], { encoding: 'utf8' }).trim();
      const sshFp = out.split(/\s+/)[1];
      const sshLabel = /\(([^)]+)\)$/.exec(out)![1];
      expect(fingerprint(blob)).toBe(sshFp);
      expect(fingerprint(blob)).not.toMatch(/=/);
      expect(keyTypeOf(blob)).toBe(keyType);
      expect(keyLabel(keyType)).toBe(sshLabel);
      expect(keyLabel(keyType)).toBe(label);
      expect(describeKey(blob)).toBe(`${label} key ${sshFp}`);
    }, 30_000);
  }

  it('rejects a blob that is not an SSH key', () => {
    expect(() => keyTypeOf(Buffer.from('hello'))).toThrow(/malformed SSH public key/);
    expect(() => keyTypeOf(Buffer.alloc(2))).toThrow(/too short/);
  });

  it('maps a pinned key type to the algorithms that present it', () => {
    expect(hostKeyAlgorithmsFor('ssh-ed25519')).toEqual(['ssh-ed25519']);
    expect(hostKeyAlgorithmsFor('ssh-rsa')).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(hostKeyAlgorithmsFor('ecdsa-sha2-nistp384')).toEqual(['ecdsa-sha2-nistp384']);
    expect(hostKeyAlgorithmsFor('ssh-dss')).toEqual([]);
  });
});
