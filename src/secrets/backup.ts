// Encrypt bytes for the project's recipients, decrypt them with the controller's identity:
// for anything else the controller must keep encrypted (onion key backups, exported keys),
// with the same people able to read it as the secrets file.
import { ageDecrypt, ageEncrypt } from './age-sync.js';
import { storeFileFor } from './context.js';
import { SecretsError } from './errors.js';
import { loadIdentity, projectDirOf } from './identity.js';
import { revealSecret } from '../model/secret-values.js';
import { SecretStore } from './store.js';

/** ASCII-armored age file of `data`, readable by every recipient of the project's secrets file. */
export function encryptForRecipients(data: Uint8Array | string, inventorySources: string[]): string {
  const file = storeFileFor(inventorySources);
  const recipients = new SecretStore(file).recipients;
  if (recipients.length === 0) throw new SecretsError('no recipients to encrypt for: run `fleet secrets init` first', { file });
  return ageEncrypt(data, recipients);
}

/** The bytes of an armored age file, with the controller's identity. `origin` names the file
 * in errors. The result is marked secret (redacted everywhere; binary as its base64). */
export function decryptWithIdentity(armored: string, inventorySources: string[], origin: string): Uint8Array {
  const id = loadIdentity({ projectDir: projectDirOf(storeFileFor(inventorySources)) });
  let out: Uint8Array;
  try {
    out = ageDecrypt(armored, id.identities);
  } catch (e) {
    throw new SecretsError(`cannot decrypt with your age identity (${id.origin}): ${(e as Error).message}`, { file: origin });
  }
  const text = Buffer.from(out).toString('utf8');
  // Binary key material shows up in output as base64 if at all.
  revealSecret(text.includes('\uFFFD') ? Buffer.from(out).toString('base64') : text);
  return out;
}
