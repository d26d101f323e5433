import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { decryptWithIdentity, encryptForRecipients } from '../../../src/secrets/backup.js';
import { SecretStore } from '../../../src/secrets/store.js';
import { resetSecretStores } from '../../../src/secrets/context.js';
import { knownSecrets } from '../../../src/model/secret-values.js';
import { newKey, tmpProject } from './helpers.js';

const alice = newKey();
const bob = newKey();
const saved = process.env.FLEET_AGE_IDENTITY;
afterEach(() => {
  if (saved === undefined) delete process.env.FLEET_AGE_IDENTITY;
  else process.env.FLEET_AGE_IDENTITY = saved;
  resetSecretStores();
});

describe('encrypt for the recipients, decrypt with the identity (onion key backups)', () => {
  it('round trip of binary bytes, readable by every recipient, and the result is masked', () => {
    const p = tmpProject();
    try {
      const s = new SecretStore(p.file, { env: alice.env });
      s.init(alice.recipient);
      s.addRecipient(bob.recipient);
      const key = Buffer.concat([
        Buffer.from('== ed25519v1-secret: type0 ==\0\0\0'),
        Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37) % 256)),
      ]);
      const armored = encryptForRecipients(key, [p.inventory]);
      expect(armored).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
      for (const who of [alice, bob]) {
        process.env.FLEET_AGE_IDENTITY = who.identity;
        expect(Buffer.from(decryptWithIdentity(armored, [p.inventory], 'backups/lab1.age'))).toEqual(key);
      }
      expect(knownSecrets().has(key.toString('base64'))).toBe(true);
      const mallory = newKey();
      process.env.FLEET_AGE_IDENTITY = mallory.identity;
      expect(() => decryptWithIdentity(armored, [p.inventory], 'backups/lab1.age')).toThrow(
        /^backups\/lab1\.age: cannot decrypt with your age identity \(env FLEET_AGE_IDENTITY\): no identity matched/,
      );
    } finally {
      p.cleanup();
    }
  });

  it('no secrets file: encrypting says to run fleet secrets init', () => {
    const p = tmpProject();
    try {
      expect(() => encryptForRecipients('x', [p.inventory])).toThrow(/no recipients to encrypt for: run `fleet secrets init` first/);
      expect(fs.existsSync(p.file)).toBe(false);
    } finally {
      p.cleanup();
    }
  });
});
