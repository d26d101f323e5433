// Encryption of onion key backups on the controller: age (age-encryption), with the same
// identity and recipients as fleet's secrets store, behind two calls (encrypt for the
// recipients, decrypt with the identity) so the secrets store's own API can replace this file.
//
// Identity: env FLEET_AGE_IDENTITY (AGE-SECRET-KEY-1...), else the file named by env
// FLEET_AGE_IDENTITY_FILE, else ~/.config/fleet/age-identity.txt (XDG_CONFIG_HOME), which is
// created on first use when neither variable is set. Recipients: the identity's own public key
// plus the `recipients:` list of secrets.yml next to the inventory, when there is one.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import YAML from 'yaml';

export interface KeyVault {
  /** Armored age file for every recipient. */
  encrypt(data: Uint8Array): Promise<string>;
  /** Plaintext of an armored age file, with the controller's identity. */
  decrypt(armored: string): Promise<Uint8Array>;
  /** Set when this call created the identity file (the operator must back it up). */
  createdIdentity?: string;
}

export class VaultError extends Error {}

type Age = typeof import('age-encryption');
let agePromise: Promise<Age> | undefined;
const age = (): Promise<Age> => (agePromise ??= import('age-encryption'));

export function defaultIdentityFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'fleet', 'age-identity.txt');
}

const IDENTITY = /^AGE-SECRET-KEY-1[0-9A-Z]+$/;
const RECIPIENT = /^age1[0-9a-z]+$/;

function parseIdentities(text: string, origin: string): string[] {
  const ids = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const id of ids) if (!IDENTITY.test(id)) throw new VaultError(`${origin}: expected age identities (AGE-SECRET-KEY-1..., as age-keygen writes)`);
  if (ids.length === 0) throw new VaultError(`${origin}: no age identity in it`);
  return ids;
}

async function loadIdentities(env: NodeJS.ProcessEnv): Promise<{ ids: string[]; created?: string }> {
  if (env.FLEET_AGE_IDENTITY?.trim()) return { ids: parseIdentities(env.FLEET_AGE_IDENTITY, 'env FLEET_AGE_IDENTITY') };
  const named = env.FLEET_AGE_IDENTITY_FILE;
  const file = named ? resolve(named) : defaultIdentityFile(env);
  if (existsSync(file)) return { ids: parseIdentities(readFileSync(file, 'utf8'), file) };
  if (named) throw new VaultError(`FLEET_AGE_IDENTITY_FILE names ${file}, which does not exist`);
  // Onion keys must be backed up from the first apply on: make the controller's identity now,
  // where the secrets store looks for it, readable by this user only.
  const id = await (await age()).generateX25519Identity();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `# fleet's age identity: decrypts secrets and onion key backups. Back it up; never commit it.\n${id}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { ids: [id], created: file };
}

function storeRecipients(inventoryDir: string): string[] {
  const file = join(inventoryDir, 'secrets.yml');
  if (!existsSync(file)) return [];
  let data: unknown;
  try {
    data = YAML.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new VaultError(`${file}: ${(err as Error).message}`);
  }
  const list = (data as { recipients?: unknown } | null)?.recipients;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list) || list.some((r) => typeof r !== 'string' || !RECIPIENT.test(r.trim()))) {
    throw new VaultError(`${file}: recipients: expected a list of age public keys (age1...)`);
  }
  return list.map((r: string) => r.trim());
}

const vaults = new Map<string, Promise<KeyVault>>();

/** The vault for the inventory in `inventoryDir`. The identity is read (or created) once per
 * process, so hosts working in parallel share it. */
export function openKeyVault(inventoryDir: string, env: NodeJS.ProcessEnv = process.env): Promise<KeyVault> {
  const key = [inventoryDir, env.FLEET_AGE_IDENTITY ?? '', env.FLEET_AGE_IDENTITY_FILE ?? '', env.XDG_CONFIG_HOME ?? ''].join('\0');
  let v = vaults.get(key);
  if (!v) {
    v = makeVault(inventoryDir, env);
    vaults.set(key, v);
    v.catch(() => vaults.delete(key));
  }
  return v;
}

async function makeVault(inventoryDir: string, env: NodeJS.ProcessEnv): Promise<KeyVault> {
  const a = await age();
  const { ids, created } = await loadIdentities(env);
  const own = await Promise.all(ids.map((id) => a.identityToRecipient(id)));
  const recipients = [...new Set([...own, ...storeRecipients(inventoryDir)])];
  return {
    createdIdentity: created,
    async encrypt(data) {
      const e = new a.Encrypter();
      for (const r of recipients) e.addRecipient(r);
      return a.armor.encode(await e.encrypt(data));
    },
    async decrypt(armored) {
      const d = new a.Decrypter();
      for (const id of ids) d.addIdentity(id);
      try {
        return await d.decrypt(a.armor.decode(armored), 'uint8array');
      } catch (err) {
        throw new VaultError(`cannot decrypt with the controller's age identity: ${(err as Error).message}`);
      }
    },
  };
}
