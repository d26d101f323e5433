// onion_keys, on the controller: an onion service's key is its address, so it is never
// regenerated. `state: restored` (before tor is told about the services) writes the key of
// every service that has none on the host back from the controller's encrypted backup;
// `state: saved` (after tor made or loaded the keys) backs up every key the controller does
// not hold yet and publishes the addresses. The secret key crosses the connection only for a
// backup or a restore, inside the script's stdin, and is handed to the redactor at once.
//
// Names, directories and the owner reach the host's shell unquoted: the schema lets through
// only characters that need no quoting.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { Action, ActionContext, ActionPorts, ActionResult } from '../model/action.js';
import { paramsObject, withDefault, type Params } from '../model/params.js';
import { openKeyVault, type KeyVault } from './onion-key-vault.js';

const NAME = '^[A-Za-z0-9_-]+$';

const schema = paramsObject({
  state: Type.Union([Type.Literal('restored'), Type.Literal('saved')]),
  /** Parent of the services' HiddenServiceDirs on the host. */
  dir: Type.String({ pattern: '^/[A-Za-z0-9/_.-]*$' }),
  /** Output of the role's key-listing query (names and public keys, never secrets). */
  keys: Type.String(),
  /** The declared onion services (objects with a name) or their names. */
  services: withDefault(Type.Array(Type.Union([Type.String({ pattern: NAME }), Type.Object({ name: Type.String({ pattern: NAME }) })])), []),
  /** SSH's own onion service ("ssh") is configured too. */
  ssh: withDefault(Type.Boolean(), false),
  /** Keep an encrypted copy of every key on the controller. */
  backup: withDefault(Type.Boolean(), true),
  /** Where the copies go; empty: onion-keys/ next to the inventory file declaring the host. */
  backup_dir: withDefault(Type.String(), ''),
  /** The user tor runs as, owner of restored keys. */
  owner: withDefault(Type.String({ pattern: '^[a-z_][a-z0-9_-]*$' }), 'debian-tor'),
});

export type OnionKeysParams = Params<typeof schema>;

export const onionKeys: Action<typeof schema> = {
  name: 'onion_keys',
  schema,
  registers(p) {
    // state saved publishes { addresses: {NAME: ADDRESS}, address: the first one,
    // ssh_address: the SSH service's ('' without one) }.
    if (p.state !== 'saved') return {};
    const names = serviceNames(p);
    const placeholder = `${'a'.repeat(56)}.onion`;
    return { addresses: Object.fromEntries(names.map((n) => [n, placeholder])), address: names.length ? placeholder : '', ssh_address: placeholder };
  },
  run: (p, ctx, ports) => runOnionKeys(p, ctx, ports),
};

/** What this action needs from its ports and context, in one place. */
interface Io {
  host: string;
  check: boolean;
  pendingAfter?: string;
  inventoryFile: string;
  env: NodeJS.ProcessEnv;
  runOnHost(script: string): Promise<{ rc: number; stdout: string; stderr: string }>;
  redact(secret: string): void;
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
export function serviceNames(p: Pick<OnionKeysParams, 'services' | 'ssh'>): string[] {
  const names = p.services.map((s) => (typeof s === 'string' ? s : s.name));
  if (p.ssh && !names.includes('ssh')) names.push('ssh');
  return names;
}

function backupDir(p: OnionKeysParams, ports: Io): string {
  const base = dirname(ports.inventoryFile);
  if (!p.backup_dir) return join(base, 'onion-keys');
  return isAbsolute(p.backup_dir) ? p.backup_dir : resolve(base, p.backup_dir);
}

function backupFile(p: OnionKeysParams, ports: Io, name: string): string {
  return join(backupDir(p, ports), ports.host, `${name}.age`);
}

async function readBackup(vault: KeyVault, file: string, ports: Io): Promise<Backup> {
  const plain = Buffer.from(await vault.decrypt(readFileSync(file, 'utf8'))).toString('utf8');
  ports.redact(plain);
  const b = JSON.parse(plain) as Backup;
  if (b.format !== BACKUP_FORMAT || typeof b.secret_key !== 'string' || typeof b.public_key !== 'string') {
    throw new Error(`${file}: not an onion key backup of this format (${BACKUP_FORMAT})`);
  }
  ports.redact(b.secret_key);
  return b;
}

function failed(msg: string, extra: Partial<NonNullable<ActionResult['failure']>> = {}): ActionResult {
  return { status: 'failed', msg, failure: { msg, ...extra } };
}

function conflictMsg(host: string, name: string, dir: string, onHost: string, saved: string, file: string): string {
  return (
    `onion service ${name} on ${host}: the key on the host (${onHost}) is not the one the controller backed up (${saved}, ${file}). ` +
    `Refusing to guess which address is right. To keep the host's, move the backup away; to bring the backed-up one back, ` +
    `remove ${dir}/${name}/${SECRET_FILE} on the host; then apply again.`
  );
}

/** The environment the identity is read from (tests pass their own). */
export interface OnionKeysOptions {
  env?: NodeJS.ProcessEnv;
}

export async function runOnionKeys(p: OnionKeysParams, ctx: ActionContext, ports: ActionPorts, opts: OnionKeysOptions = {}): Promise<ActionResult> {
  const io: Io = {
    host: ctx.host,
    check: ctx.check,
    pendingAfter: ctx.pendingAfter,
    inventoryFile: ports.inventoryFile(),
    env: opts.env ?? process.env,
    runOnHost: (script) => ports.runOn(ctx.host, script, { become: ctx.connection.become || ctx.connection.user !== 'root' }),
    redact: (secret) => ports.secret(secret),
  };
  try {
    return p.state === 'restored' ? await restore(p, io) : await save(p, io);
  } catch (err) {
    return failed(`onion keys: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function vaultFor(io: Io): Promise<KeyVault> {
  return openKeyVault(dirname(io.inventoryFile), io.env);
}

function identityNote(vault: KeyVault): string {
  return vault.createdIdentity ? ` (created the controller's age identity ${vault.createdIdentity}: back it up, the backups need it)` : '';
}

async function restore(p: OnionKeysParams, ports: Io): Promise<ActionResult> {
  if (!p.backup) return { status: 'ok', msg: 'key backups are off' };
  const onHost = parseKeyList(p.keys);
  const wanted = serviceNames(p).filter((n) => existsSync(backupFile(p, ports, n)));
  if (wanted.length === 0) return { status: 'ok' };
  const vault = await vaultFor(ports);
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
  if (toRestore.length === 0) return { status: 'ok' };
  const what = toRestore.map((r) => `${r.name} (${r.backup.address})`).join(', ');
  if (ports.check) return { status: 'changed', msg: `would restore the keys of ${what} from the controller's backup` };
  const r = await ports.runOnHost(restoreScript(p, toRestore));
  if (r.rc !== 0) return failed(`restoring the keys of ${what} failed`, { cmd: 'write the backed-up keys into the services\' directories', rc: r.rc, stderr: r.stderr });
  return { status: 'changed', msg: `restored the keys of ${what} from the controller's backup${identityNote(vault)}` };
}

function restoreScript(p: OnionKeysParams, items: { name: string; backup: Backup }[]): string {
  const owner = p.owner;
  const lines = ['set -e', 'umask 077'];
  for (const { name, backup } of items) {
    const d = `${p.dir}/${name}`;
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

async function save(p: OnionKeysParams, ports: Io): Promise<ActionResult> {
  const onHost = parseKeyList(p.keys);
  const names = serviceNames(p);
  const addresses: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of names) {
    const h = onHost.get(name);
    if (h?.kind === 'key') addresses[name] = onionAddress(h.publicFile);
    else missing.push(name);
  }
  const published = (): Pick<ActionResult, 'registered' | 'outputs'> => ({
    registered: { addresses, address: names.map((n) => addresses[n]).find(Boolean) ?? '', ssh_address: addresses.ssh ?? '' },
    outputs: Object.fromEntries(Object.entries(addresses).map(([n, a]) => [`addresses.${n}`, a])),
  });
  if (missing.length > 0) {
    const msg = `tor has not made the key of ${missing.join(', ')} in ${p.dir}`;
    if (ports.check) {
      const after = ports.pendingAfter;
      return { status: 'changed', after, msg: after ? `will change (after: ${after}): ${msg} yet` : `${msg} yet`, ...published() };
    }
    return failed(`${msg} (see journalctl -u tor@default on ${ports.host})`);
  }
  if (!p.backup) return { status: 'ok', msg: describe(addresses), ...published() };

  const vault = await vaultFor(ports);
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
  if (toSave.length === 0) return { status: 'ok', msg: describe(addresses), ...published() };
  const where = join(backupDir(p, ports), ports.host);
  const what = toSave.map((n) => `${n} (${addresses[n]})`).join(', ');
  if (ports.check) return { status: 'changed', msg: `would back up the keys of ${what} to ${where}`, ...published() };

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
  return { status: 'changed', msg: `backed up the keys of ${what} to ${where}${identityNote(vault)}`, ...published() };
}

function readSecretsScript(p: OnionKeysParams, names: string[]): string {
  return names.map((n) => `printf '%s ' ${n}; base64 -w0 ${p.dir}/${n}/${SECRET_FILE}; echo`).join('\n') + '\n';
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
