// onion_keys, on the controller: an onion service's key is its address, so it is never
// regenerated. `state: restored` (before tor is told about the services) writes the key of
// every service that has none on the host back from the controller's encrypted backup;
// `state: saved` (after tor made or loaded the keys) backs up every key the controller does
// not hold yet and publishes the addresses. The secret key crosses the connection only for a
// backup or a restore, inside the script's stdin, and is handed to the redactor at once.
//
// Shaped as an action (run(params, ports)): it uses only the ports below, never the engine.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Vars } from '../model/inventory.js';
import type { ExecResult } from '../model/transport.js';
import { q } from '../modules/lib/sh.js';
import type { OnionKeysParams } from '../modules/onion_keys.js';
import { openKeyVault, type KeyVault } from './onion-key-vault.js';

export interface OnionKeysPorts {
  /** Inventory name of the host. */
  host: string;
  check: boolean;
  /** Check mode: an earlier task of this host would change (its name). */
  pendingAfter?: string;
  /** The inventory file that declares the host: backups live next to it by default. */
  inventoryFile: string;
  /** The name the task registers its result under (outputs are labelled with it). */
  register?: string;
  /** Run a POSIX sh script on this host as root, over the run's connection. */
  runOnHost(script: string): Promise<ExecResult>;
  /** Never print this value anywhere (events, diffs, errors). */
  redact(secret: string): void;
  env?: NodeJS.ProcessEnv;
}

export interface OnionKeysResult {
  status: 'ok' | 'changed' | 'failed';
  msg?: string;
  after?: string;
  failure?: { msg: string; cmd?: string; rc?: number; stderr?: string };
  registered?: Vars;
  outputs?: Record<string, string>;
}

const SECRET_FILE = 'hs_ed25519_secret_key';
const PUBLIC_FILE = 'hs_ed25519_public_key';
const SECRET_HEADER = Buffer.concat([Buffer.from('== ed25519v1-secret: type0 =='), Buffer.alloc(3)]);
const PUBLIC_HEADER = Buffer.concat([Buffer.from('== ed25519v1-public: type0 =='), Buffer.alloc(3)]);
const BACKUP_FORMAT = 'fleet-onion-key/1';

/** What the key-listing query saw for one service directory. */
type HostKey = { kind: 'key'; publicFile: Buffer } | { kind: 'none' } | { kind: 'secret-only' };

interface Backup {
  format: string;
  host: string;
  service: string;
  address: string;
  secret_key: string;
  public_key: string;
}

/** The v3 onion address of a public key file (rend-spec-v3: base32(pubkey | checksum | 03)). */
export function onionAddress(publicFile: Buffer): string {
  const pub = publicKeyOf(publicFile);
  const version = Buffer.from([3]);
  const checksum = createHash('sha3-256').update(Buffer.concat([Buffer.from('.onion checksum'), pub, version])).digest().subarray(0, 2);
  return `${base32(Buffer.concat([pub, checksum, version]))}.onion`;
}

function publicKeyOf(file: Buffer): Buffer {
  if (file.length !== 64 || !file.subarray(0, 32).equals(PUBLIC_HEADER)) throw new Error('not a tor v3 public key file');
  return file.subarray(32);
}

function base32(data: Buffer): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** The role's key-listing query prints, per service directory: "NAME PUBLIC-B64", "NAME -"
 * (no secret key) or "NAME ?" (a secret key but no public key yet). It never prints a secret. */
export function parseKeyList(text: string): Map<string, HostKey> {
  const out = new Map<string, HostKey>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_-]+) (\S+)$/.exec(line.trim());
    if (!m) continue;
    if (m[2] === '-') out.set(m[1], { kind: 'none' });
    else if (m[2] === '?') out.set(m[1], { kind: 'secret-only' });
    else out.set(m[1], { kind: 'key', publicFile: Buffer.from(m[2], 'base64') });
  }
  return out;
}

/** Configured service names, in order: the declared services, then SSH's. */
export function serviceNames(p: OnionKeysParams): string[] {
  const names = p.services.map((s) => (typeof s === 'string' ? s : s.name));
  if (p.ssh && !names.includes('ssh')) names.push('ssh');
  return names;
}

function backupDir(p: OnionKeysParams, ports: OnionKeysPorts): string {
  const base = dirname(ports.inventoryFile);
  if (!p.backup_dir) return join(base, 'onion-keys');
  return isAbsolute(p.backup_dir) ? p.backup_dir : resolve(base, p.backup_dir);
}

function backupFile(p: OnionKeysParams, ports: OnionKeysPorts, name: string): string {
  return join(backupDir(p, ports), ports.host, `${name}.age`);
}

async function readBackup(vault: KeyVault, file: string, ports: OnionKeysPorts): Promise<Backup> {
  const plain = Buffer.from(await vault.decrypt(readFileSync(file, 'utf8'))).toString('utf8');
  ports.redact(plain);
  const b = JSON.parse(plain) as Backup;
  if (b.format !== BACKUP_FORMAT || typeof b.secret_key !== 'string' || typeof b.public_key !== 'string') {
    throw new Error(`${file}: not an onion key backup of this format (${BACKUP_FORMAT})`);
  }
  ports.redact(b.secret_key);
  return b;
}

function failed(msg: string, extra: Partial<OnionKeysResult['failure']> = {}): OnionKeysResult {
  return { status: 'failed', msg, failure: { msg, ...extra } };
}

function conflictMsg(host: string, name: string, dir: string, onHost: string, saved: string, file: string): string {
  return (
    `onion service ${name} on ${host}: the key on the host (${onHost}) is not the one the controller backed up (${saved}, ${file}). ` +
    `Refusing to guess which address is right. To keep the host's, move the backup away; to bring the backed-up one back, ` +
    `remove ${dir}/${name}/${SECRET_FILE} on the host; then apply again.`
  );
}

export async function runOnionKeys(p: OnionKeysParams, ports: OnionKeysPorts): Promise<OnionKeysResult> {
  try {
    return p.state === 'restored' ? await restore(p, ports) : await save(p, ports);
  } catch (err) {
    return failed(`onion keys: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function vaultFor(p: OnionKeysParams, ports: OnionKeysPorts): Promise<KeyVault> {
  return openKeyVault(dirname(ports.inventoryFile), ports.env);
}

function identityNote(vault: KeyVault): string {
  return vault.createdIdentity ? ` (created the controller's age identity ${vault.createdIdentity}: back it up, the backups need it)` : '';
}

async function restore(p: OnionKeysParams, ports: OnionKeysPorts): Promise<OnionKeysResult> {
  if (!p.backup) return { status: 'ok', msg: 'key backups are off', registered: { changed: false } };
  const onHost = parseKeyList(p.keys);
  const wanted = serviceNames(p).filter((n) => existsSync(backupFile(p, ports, n)));
  if (wanted.length === 0) return { status: 'ok', registered: { changed: false } };
  const vault = await vaultFor(p, ports);
  const toRestore: { name: string; backup: Backup }[] = [];
  for (const name of wanted) {
    const file = backupFile(p, ports, name);
    const backup = await readBackup(vault, file, ports);
    const h = onHost.get(name) ?? { kind: 'none' };
    if (h.kind === 'none') toRestore.push({ name, backup });
    else if (h.kind === 'key') {
      const address = onionAddress(h.publicFile);
      if (address !== backup.address) return failed(conflictMsg(ports.host, name, p.dir, address, backup.address, file));
    }
    // secret-only: tor derives the public key on its next start; `saved` compares then.
  }
  if (toRestore.length === 0) return { status: 'ok', registered: { changed: false } };
  const what = toRestore.map((r) => `${r.name} (${r.backup.address})`).join(', ');
  if (ports.check) return { status: 'changed', msg: `would restore the keys of ${what} from the controller's backup`, registered: { changed: true } };
  const r = await ports.runOnHost(restoreScript(p, toRestore));
  if (r.rc !== 0) return failed(`restoring the keys of ${what} failed`, { cmd: 'write the backed-up keys into the services\' directories', rc: r.rc, stderr: r.stderr });
  return { status: 'changed', msg: `restored the keys of ${what} from the controller's backup${identityNote(vault)}`, registered: { changed: true } };
}

function restoreScript(p: OnionKeysParams, items: { name: string; backup: Backup }[]): string {
  const owner = q(p.owner);
  const lines = ['set -e', 'umask 077'];
  for (const { name, backup } of items) {
    const d = q(`${p.dir}/${name}`);
    lines.push(`install -d -o ${owner} -g ${owner} -m 2700 ${d}`);
    for (const [file, b64] of [[SECRET_FILE, backup.secret_key], [PUBLIC_FILE, backup.public_key]] as const) {
      lines.push(`t=$(mktemp ${d}/.fleet-key.XXXXXX)`, `base64 -d > "$t" <<'FLEET_KEY_EOF'`, ...(b64.match(/.{1,76}/g) ?? []), 'FLEET_KEY_EOF');
      lines.push(`chown ${owner}:${owner} "$t"`, 'chmod 0600 "$t"', `mv -f "$t" ${d}/${file}`);
    }
    // tor writes the hostname again from the key.
    lines.push(`rm -f ${d}/hostname`);
  }
  return lines.join('\n') + '\n';
}

async function save(p: OnionKeysParams, ports: OnionKeysPorts): Promise<OnionKeysResult> {
  const onHost = parseKeyList(p.keys);
  const names = serviceNames(p);
  const addresses: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of names) {
    const h = onHost.get(name);
    if (h?.kind === 'key') addresses[name] = onionAddress(h.publicFile);
    else missing.push(name);
  }
  const published = (): Pick<OnionKeysResult, 'registered' | 'outputs'> => {
    const reg = ports.register ?? 'onion';
    return {
      registered: { addresses, address: names.map((n) => addresses[n]).find(Boolean) ?? '', ssh_address: addresses.ssh ?? '' },
      outputs: Object.fromEntries(Object.entries(addresses).map(([n, a]) => [`${reg}.addresses.${n}`, a])),
    };
  };
  if (missing.length > 0) {
    const msg = `tor has not made the key of ${missing.join(', ')} in ${p.dir}`;
    if (ports.check) {
      const after = ports.pendingAfter;
      return { status: 'changed', after, msg: after ? `will change (after: ${after}): ${msg} yet` : `${msg} yet`, ...withChanged(published(), true) };
    }
    return failed(`${msg} (see journalctl -u tor@default on ${ports.host})`);
  }
  if (!p.backup) return { status: 'ok', msg: describe(addresses), ...withChanged(published(), false) };

  const vault = await vaultFor(p, ports);
  const toSave: string[] = [];
  for (const name of names) {
    const file = backupFile(p, ports, name);
    if (!existsSync(file)) {
      toSave.push(name);
      continue;
    }
    const backup = await readBackup(vault, file, ports);
    if (backup.address !== addresses[name]) return failed(conflictMsg(ports.host, name, p.dir, addresses[name], backup.address, file));
  }
  if (toSave.length === 0) return { status: 'ok', msg: describe(addresses), ...withChanged(published(), false) };
  const where = join(backupDir(p, ports), ports.host);
  const what = toSave.map((n) => `${n} (${addresses[n]})`).join(', ');
  if (ports.check) return { status: 'changed', msg: `would back up the keys of ${what} to ${where}`, ...withChanged(published(), true) };

  const r = await ports.runOnHost(readSecretsScript(p, toSave));
  if (r.rc !== 0) return failed(`reading the keys of ${what} to back them up failed`, { cmd: `read ${SECRET_FILE} of ${toSave.join(', ')}`, rc: r.rc, stderr: r.stderr });
  const secrets = new Map<string, Buffer>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([A-Za-z0-9_-]+) ([A-Za-z0-9+/=]+)$/.exec(line.trim());
    if (!m) continue;
    ports.redact(m[2]);
    secrets.set(m[1], Buffer.from(m[2], 'base64'));
  }
  for (const name of toSave) {
    const secret = secrets.get(name);
    if (!secret || secret.length !== 96 || !secret.subarray(0, 32).equals(SECRET_HEADER)) {
      return failed(`${p.dir}/${name}/${SECRET_FILE} on ${ports.host} is not a tor v3 secret key file`);
    }
    const publicFile = (onHost.get(name) as Extract<HostKey, { kind: 'key' }>).publicFile;
    const backup: Backup = {
      format: BACKUP_FORMAT,
      host: ports.host,
      service: name,
      address: addresses[name],
      secret_key: secret.toString('base64'),
      public_key: publicFile.toString('base64'),
    };
    writeAtomically(backupFile(p, ports, name), await vault.encrypt(Buffer.from(JSON.stringify(backup))));
  }
  return { status: 'changed', msg: `backed up the keys of ${what} to ${where}${identityNote(vault)}`, ...withChanged(published(), true) };
}

function readSecretsScript(p: OnionKeysParams, names: string[]): string {
  return names.map((n) => `printf '%s ' ${q(n)}; base64 -w0 ${q(`${p.dir}/${n}/${SECRET_FILE}`)}; echo`).join('\n') + '\n';
}

function withChanged(x: Pick<OnionKeysResult, 'registered' | 'outputs'>, changed: boolean): Pick<OnionKeysResult, 'registered' | 'outputs'> {
  return { ...x, registered: { changed, failed: false, ...x.registered } };
}

function describe(addresses: Record<string, string>): string {
  return Object.entries(addresses)
    .map(([n, a]) => `${n}: ${a}`)
    .join(', ');
}

function writeAtomically(file: string, body: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, body, { mode: 0o600 });
  renameSync(tmp, file);
}
