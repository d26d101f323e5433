// Ansible Vault inside YAML: a whole file encrypted with ansible-vault, and single values
// tagged `!vault |` (ansible-vault encrypt_string). Both are decrypted when the file is
// read, in memory only, and every value that came out of a vault is marked secret, so it is
// masked in all output. The YAML reader calls these two hooks.
import { parse as parseYamlValue, type ScalarTag } from 'yaml';
import { isVaultText, parseVault, tryDecrypt, VaultFormatError, type VaultEnvelope } from './ansible-vault.js';
import { SecretsError } from './errors.js';
import { revealSecret } from '../model/secret-values.js';
import { vaultSecrets, type VaultSecret } from './vault-passwords.js';

const HOW =
  'give the vault password with --vault-password-file FILE (or --vault-id LABEL@FILE), ANSIBLE_VAULT_PASSWORD_FILE, FLEET_VAULT_PASSWORD_FILE or FLEET_VAULT_PASSWORD';

/** Decrypt one vault text; `what` says which value or file it is, for messages. */
export function decryptVaultText(text: string, what: string): string {
  let env: VaultEnvelope;
  try {
    env = parseVault(text);
  } catch (e) {
    throw new Error(`${what} is not a valid Ansible Vault: ${(e as Error).message}`, { cause: e });
  }
  const secrets = vaultSecrets();
  if (secrets.length === 0) throw new Error(`${what} is encrypted with Ansible Vault and no vault password was given: ${HOW}`);
  // Like Ansible: the password whose vault id matches the label first, then every other one.
  const ordered: VaultSecret[] = [...secrets.filter((s) => s.label === env.label), ...secrets.filter((s) => s.label !== env.label)];
  for (const s of ordered) {
    let plain: Buffer | undefined;
    try {
      plain = tryDecrypt(env, s.password);
    } catch (e) {
      if (e instanceof VaultFormatError) throw new Error(`${what}: ${e.message}`, { cause: e });
      throw e;
    }
    if (plain) return plain.toString('utf8');
  }
  const tried = ordered.map((s) => s.origin).join(', ');
  throw new Error(
    `${what}: wrong vault password: none of the passwords given decrypts it${env.label ? ` (its vault id is '${env.label}')` : ''}; tried ${tried}`,
  );
}

/** The `!vault` tag: its scalar is a vault; the value is the decrypted text. */
export const vaultTag: ScalarTag = {
  tag: '!vault',
  identify: () => false,
  resolve(str: string): string {
    const value = decryptVaultText(str, 'this !vault value');
    revealSecret(value);
    return value;
  },
};

export const vaultTags: ScalarTag[] = [vaultTag];

/** A file encrypted whole with ansible-vault: its plaintext (every value in it is secret);
 * any other text unchanged. */
export function openVaultFile(file: string, text: string): string {
  if (!isVaultText(text)) return text;
  let plain: string;
  try {
    plain = decryptVaultText(text, 'this file');
  } catch (e) {
    throw new SecretsError((e as Error).message, { file });
  }
  try {
    // Its text values; numbers and booleans (a port, a flag) would mask harmless output.
    revealSecret(textLeaves(parseYamlValue(plain)));
  } catch {
    revealSecret(plain); // not YAML after all: the reader reports that with the position
  }
  return plain;
}

function textLeaves(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => textLeaves(x, out));
  else if (v !== null && typeof v === 'object') Object.values(v).forEach((x) => textLeaves(x, out));
  return out;
}
