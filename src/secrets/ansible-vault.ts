// Ansible Vault's format, so a project moving from Ansible can keep its vaulted files:
//
//   $ANSIBLE_VAULT;1.1;AES256             (1.2 adds ;LABEL, the vault id)
//   <hex of: hex(salt) "\n" hex(hmac) "\n" hex(ciphertext)>, in lines of 80
//
// key material = PBKDF2-HMAC-SHA256(password, salt, 10000 iterations, 80 bytes):
// bytes 0-31 the AES-256-CTR key, 32-63 the HMAC-SHA256 key, 64-79 the CTR counter block.
// The HMAC covers the ciphertext; the plaintext is PKCS#7 padded to 16 bytes first.
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const VAULT_HEADER = '$ANSIBLE_VAULT;';

export interface VaultEnvelope {
  version: '1.1' | '1.2';
  cipher: string;
  label?: string;
  salt: Buffer;
  hmac: Buffer;
  ciphertext: Buffer;
}

export class VaultFormatError extends Error {}

export function isVaultText(text: string): boolean {
  return text.trimStart().startsWith(VAULT_HEADER);
}

export function parseVault(text: string): VaultEnvelope {
  const lines = text
    .trim()
    .split(/\r?\n/)
    .map((l) => l.trim());
  const header = lines.shift() ?? '';
  const parts = header.split(';');
  if (parts[0] !== '$ANSIBLE_VAULT' || parts.length < 3)
    throw new VaultFormatError(`not an Ansible Vault header: ${JSON.stringify(header.slice(0, 40))}`);
  const version = parts[1];
  if (version !== '1.1' && version !== '1.2')
    throw new VaultFormatError(`Ansible Vault format ${version} is not supported (1.1 and 1.2 are)`);
  const cipher = parts[2].trim();
  if (cipher !== 'AES256') throw new VaultFormatError(`Ansible Vault cipher ${cipher} is not supported (AES256 is)`);
  const body = lines.join('');
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(body)) throw new VaultFormatError('the vault body is not hexadecimal (truncated or edited?)');
  const inner = Buffer.from(body, 'hex').toString('latin1').split('\n');
  if (inner.length !== 3 || !inner.every((p) => /^(?:[0-9a-fA-F]{2})+$/.test(p)))
    throw new VaultFormatError('the vault body does not hold salt, hmac and ciphertext (truncated or edited?)');
  const [salt, hmac, ciphertext] = inner.map((h) => Buffer.from(h, 'hex'));
  return { version, cipher, label: version === '1.2' ? parts[3]?.trim() : undefined, salt, hmac, ciphertext };
}

function keys(password: string, salt: Buffer): { key: Buffer; hmacKey: Buffer; iv: Buffer } {
  const m = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, 10000, 80, 'sha256');
  return { key: m.subarray(0, 32), hmacKey: m.subarray(32, 64), iv: m.subarray(64, 80) };
}

/** The plaintext, or undefined when the password does not authenticate the ciphertext. */
export function tryDecrypt(env: VaultEnvelope, password: string): Buffer | undefined {
  const k = keys(password, env.salt);
  const mac = createHmac('sha256', k.hmacKey).update(env.ciphertext).digest();
  if (mac.length !== env.hmac.length || !timingSafeEqual(mac, env.hmac)) return undefined;
  const d = createDecipheriv('aes-256-ctr', k.key, k.iv);
  const padded = Buffer.concat([d.update(env.ciphertext), d.final()]);
  const n = padded[padded.length - 1];
  if (!n || n > 16 || padded.length < n || !padded.subarray(padded.length - n).every((b) => b === n)) {
    throw new VaultFormatError('the decrypted vault has invalid padding');
  }
  return padded.subarray(0, padded.length - n);
}

/** Encrypt as ansible-vault does (for tests and fixtures; fleet itself never writes vaults). */
export function encryptVault(plaintext: string | Buffer, password: string, label?: string): string {
  const salt = randomBytes(32);
  const k = keys(password, salt);
  const data = Buffer.from(plaintext);
  const n = 16 - (data.length % 16);
  const c = createCipheriv('aes-256-ctr', k.key, k.iv);
  const ciphertext = Buffer.concat([c.update(Buffer.concat([data, Buffer.alloc(n, n)])), c.final()]);
  const mac = createHmac('sha256', k.hmacKey).update(ciphertext).digest();
  const inner = [salt, mac, ciphertext].map((b) => b.toString('hex')).join('\n');
  const body = Buffer.from(inner, 'latin1')
    .toString('hex')
    .replace(/.{1,80}/g, '$&\n');
  return `${VAULT_HEADER}${label ? '1.2' : '1.1'};AES256${label ? `;${label}` : ''}\n${body}`;
}
