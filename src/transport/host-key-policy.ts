// Decide, during key exchange, whether the key a server offers is the one pinned for it.
import { HostKeyError } from '../model/transport.js';
import { hostKeyAlgorithmsFor } from './fingerprint.js';
import { changedKeyMessage, revokedKeyMessage, unknownKeyMessage, type Target } from './errors.js';
import { appendKnownHost, checkHostKey, pinnedFor, readKnownHosts } from './known-hosts.js';

/** Preferred order when nothing is pinned: ed25519 is the fastest to verify and the smallest. */
export const DEFAULT_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

export interface HostKeyPolicy {
  /** serverHostKey algorithms to offer: the pinned key types only, so the server shows a key
   * we can compare (otherwise it may pick another type and look like a changed key). */
  algorithms: string[];
  /** Types pinned for this host ([] when unknown), for messages. */
  pinnedTypes: string[];
  /** Resolves when the key is acceptable (recording it when allowed), throws HostKeyError otherwise. */
  verify(key: Buffer): Promise<void>;
}

export async function pinningPolicy(file: string, acceptNew: boolean, t: Target): Promise<HostKeyPolicy> {
  const { entries } = await readKnownHosts(file);
  const pinnedTypes = [...new Set(pinnedFor(entries, t.address, t.port).map((e) => e.keyType))];
  let algorithms = DEFAULT_HOST_KEY_ALGORITHMS;
  if (pinnedTypes.length > 0) {
    algorithms = DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => pinnedTypes.some((p) => hostKeyAlgorithmsFor(p).includes(a)));
    if (algorithms.length === 0) {
      throw new HostKeyError(
        t.name,
        `host key for ${t.label ?? t.name} (${t.address}:${t.port}) is pinned as ${pinnedTypes.join(', ')} in ${file}, a key type fleet cannot verify (supported: ed25519, ecdsa, rsa)`,
      );
    }
  }
  return {
    algorithms,
    pinnedTypes,
    async verify(key: Buffer) {
      const verdict = checkHostKey(entries, t.address, t.port, key);
      if (verdict.kind === 'known') return;
      if (verdict.kind === 'revoked') throw new HostKeyError(t.name, revokedKeyMessage(t, key, verdict.entry, file));
      if (verdict.kind === 'changed') throw new HostKeyError(t.name, changedKeyMessage(t, key, verdict.pinned, file));
      if (!acceptNew) throw new HostKeyError(t.name, unknownKeyMessage(t, key));
      // Another connection may have pinned a different key meanwhile: appendKnownHost re-checks.
      const res = await appendKnownHost(file, t.address, t.port, key);
      if (res.result === 'changed') throw new HostKeyError(t.name, changedKeyMessage(t, key, res.pinned, file));
    },
  };
}
