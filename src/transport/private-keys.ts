// A private key file, parsed once for the run and signing through one OpenSSL key object.
// ssh2 parses a key given as text on every connection and signs with its PEM text, which
// OpenSSL decodes again at every signature (about 0.9 ms of CPU for an ed25519 key, against
// 0.07 ms from a KeyObject): at 100 hosts, most of the login's signing cost.
import { createHash, createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2'; // CommonJS: named imports fail under Node's ESM loader
import type { ParsedKey } from 'ssh2';

/** The hash ssh2 signs with when the server names none (ssh2's keyParser, per key type). */
const DEFAULT_HASH: Record<string, string | null> = {
  'ssh-ed25519': null,
  'ssh-rsa': 'sha1',
  'ecdsa-sha2-nistp256': 'sha256',
  'ecdsa-sha2-nistp384': 'sha384',
  'ecdsa-sha2-nistp521': 'sha512',
};

/** Parsed keys by file, with a digest of the bytes they were parsed from (not the bytes: no
 * second copy of the key kept): a file replaced during the run is parsed again. */
const parsed = new Map<string, { digest: string; key: ParsedKey }>();

/** The key in `file`, parsed (throws naming the file when it cannot be read or used). */
export function loadPrivateKey(file: string): ParsedKey {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read private key ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  const digest = createHash('sha256').update(data).digest('hex');
  const hit = parsed.get(file);
  if (hit?.digest === digest) return hit.key;
  const key = ssh2.utils.parseKey(data);
  if (key instanceof Error) throw new Error(`cannot use private key ${file}: ${key.message}`);
  const fast = signingFromKeyObject(key);
  parsed.set(file, { digest, key: fast });
  return fast;
}

/** The same key, its signatures made from a KeyObject made once. A type without a known default
 * hash, or a PEM OpenSSL will not take, keeps ssh2's own signing. */
export function signingFromKeyObject(key: ParsedKey): ParsedKey {
  const hash = DEFAULT_HASH[key.type];
  if (hash === undefined || !key.isPrivateKey()) return key;
  let object: KeyObject;
  try {
    object = createPrivateKey(key.getPrivatePEM());
  } catch {
    return key;
  }
  // ssh2's contract: a Buffer, or the Error (returned, not thrown).
  key.sign = ((data: Buffer | string, algo?: string) => {
    try {
      return cryptoSign(algo || hash, data as Buffer, object);
    } catch (err) {
      return err as Error;
    }
  }) as ParsedKey['sign'];
  return key;
}
