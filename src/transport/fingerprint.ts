// Host key identity: wire-format key blobs, their type names and fingerprints as OpenSSH prints them.
import { createHash } from 'node:crypto';

/** Key type name stored at the start of an SSH wire-format public key blob ("ssh-ed25519"). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) throw new Error('malformed SSH public key: too short');
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) throw new Error('malformed SSH public key: bad type length');
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** "SHA256:..." exactly as `ssh-keygen -lf` prints it: base64 without the '=' padding. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** The short label ssh-keygen -l shows in parentheses: ED25519, ECDSA, RSA, DSA. */
export function keyLabel(keyType: string): string {
  if (keyType === 'ssh-ed25519') return 'ED25519';
  if (keyType.startsWith('ecdsa-sha2-')) return 'ECDSA';
  if (keyType === 'ssh-rsa' || keyType.startsWith('rsa-sha2-')) return 'RSA';
  if (keyType === 'ssh-dss') return 'DSA';
  if (keyType.startsWith('sk-ssh-ed25519')) return 'ED25519-SK';
  if (keyType.startsWith('sk-ecdsa')) return 'ECDSA-SK';
  return keyType.toUpperCase();
}

/** "ED25519 key SHA256:xxxx", the phrase every host key message uses. */
export function describeKey(blob: Buffer): string {
  return `${keyLabel(keyTypeOf(blob))} key ${fingerprint(blob)}`;
}

/**
 * Host key algorithms ssh2 can negotiate for a pinned key type. An RSA key is one key for three
 * signature algorithms, so pinning ssh-rsa must still allow the SHA-2 ones (preferred).
 */
export function hostKeyAlgorithmsFor(keyType: string): string[] {
  switch (keyType) {
    case 'ssh-ed25519':
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521':
      return [keyType];
    case 'ssh-rsa':
      return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
    default:
      return []; // not negotiable with ssh2 (ssh-dss is disabled on modern servers; sk-* are user keys)
  }
}
