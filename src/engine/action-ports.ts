// The ports an action may use (model/action.ts), built by the engine for one host: fresh
// connections, the run's connections to other hosts, file transfer, the inventory, secrets.
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionPorts, ActionSession, ConnectionOverrides, TransferOptions } from '../model/action.js';
import { connectionSetting } from '../model/connection-vars.js';
import type { Connection, Host } from '../model/inventory.js';
import type { ExecResult, HostSession } from '../model/transport.js';
import { b64Heredoc, q } from '../modules/lib/sh.js';
import { appendKnownHost, formatKnownHostsLine, pinnedFor, readKnownHosts } from '../transport/index.js';
import { inventoryFileOf } from './inventory-file.js';
import type { RunShared } from './run-shared.js';
import { decryptWithIdentity, encryptForRecipients } from '../secrets/index.js';

/** Upload chunk: bounded memory on the controller, one round trip per chunk. */
export const UPLOAD_CHUNK_BYTES = 8 * 1024 * 1024;

export function actionPorts(host: Host, shared: RunShared): ActionPorts {
  const connectTo = (h: Host, portOverride?: number, knownHostsFile = shared.inventory.knownHostsFile): Promise<HostSession> =>
    shared.handshakes.run(() =>
      shared.deps.connect(h, {
        knownHostsFile,
        // A fresh connection proves a known host: a key never seen is not accepted here.
        acceptNewHostKeys: false,
        portOverride,
        signal: shared.opts.signal,
      }),
    );

  /** The run's connection to `name`, or a fresh one for this call when it has none. */
  async function withSession<T>(name: string, fn: (s: HostSession) => Promise<T>): Promise<T> {
    const live = shared.sessionOf(name);
    if (live) return fn(live);
    const h = shared.inventory.hosts.get(name);
    if (!h) throw new Error(`host '${name}' is not in the inventory`);
    const s = await connectTo(h);
    try {
      return await fn(s);
    } finally {
      s.close();
    }
  }

  const runChecked = async (s: HostSession, script: string, become: boolean | undefined, what: string): Promise<ExecResult> => {
    const r = await s.run(script, become === undefined ? undefined : { become });
    if (r.rc !== 0) throw new Error(`${what}: ${(r.stderr || r.stdout).trim() || `exit ${r.rc}`}`);
    return r;
  };

  return {
    async connect(o: ConnectionOverrides): Promise<ActionSession> {
      const conn: Connection = { ...host.connection, ...definedOnly(o) };
      if (o.socksProxy) delete conn.proxyJump;
      if (o.address === undefined || o.address === host.connection.address) return connectTo({ ...host, connection: conn }, o.port);
      return connectAsSameHost({ ...host, connection: conn }, host.connection, (h, file) => connectTo(h, o.port, file), shared.inventory.knownHostsFile);
    },
    runOn: (name, script, opts) => withSession(name, (s) => s.run(script, opts)),
    upload: (localFile, dest, opts: TransferOptions & { mode?: string } = {}) =>
      withSession(opts.host ?? host.name, (s) => uploadFile(localFile, dest, opts.mode, (script, what) => runChecked(s, script, opts.become, what))),
    download: (path, opts: TransferOptions = {}) =>
      withSession(opts.host ?? host.name, async (s) => {
        const r = await runChecked(s, `base64 -w0 < ${q(path)}\n`, opts.become, `reading ${path}`);
        return Buffer.from(r.stdout.trim(), 'base64');
      }),
    inventoryFile: () => inventoryFileOf(shared.inventory, host.name),
    setInventoryValue(key, value) {
      shared.deps.setHostVar(inventoryFileOf(shared.inventory, host.name), host.name, key, value);
      host.vars[key] = value;
      shared.changedValues();
      // Later fresh connections of this run (reconnect) go where the inventory now says.
      applyConnectionVar(host.connection, key, value);
    },
    secret: (value) => shared.opts.redactor.add(value),
    encryptForRecipients: (data) => encryptForRecipients(data, shared.inventory.sources),
    decryptWithIdentity: (armored, origin) => decryptWithIdentity(armored, shared.inventory.sources, origin),
    async pinnedHostKeys(name) {
      const h = shared.inventory.hosts.get(name);
      if (!h) throw new Error(`host '${name}' is not in the inventory`);
      const { entries } = await readKnownHosts(shared.inventory.knownHostsFile);
      const { address, port } = h.connection;
      const a = address.toLowerCase();
      const onAnyPort = (hosts: string) => hosts.split(',').some((x) => x.toLowerCase() === a || x.toLowerCase().startsWith(`[${a}]:`));
      let pinned = pinnedFor(entries, address, port);
      // Pinned under the port it had before a proven move (harden-ssh): the same server keys.
      if (!pinned.length) pinned = entries.filter((e) => e.marker === undefined && !e.hosts.startsWith('|') && onAnyPort(e.hosts));
      return [...new Set(pinned.map((e) => `${e.keyType} ${e.key.toString('base64')}`))];
    },
  };
}

/**
 * A fresh connection to another address of the same sshd (its onion address): checked
 * against the keys pinned for the host's current address, then pinned for the new one, so
 * later connections there are checked like any other.
 */
async function connectAsSameHost(
  h: Host,
  current: Connection,
  connectWith: (h: Host, knownHostsFile: string) => Promise<HostSession>,
  knownHostsFile: string,
): Promise<HostSession> {
  const { entries } = await readKnownHosts(knownHostsFile);
  const pins = [...new Set([current.port, 22])].flatMap((p) => pinnedFor(entries, current.address, p)).map((e) => e.key);
  if (pins.length === 0) throw new Error(`no host key is pinned for ${current.address} in ${knownHostsFile} to check ${h.connection.address} against`);
  const dir = await mkdtemp(join(tmpdir(), 'fleet-pins-'));
  let session: HostSession;
  try {
    const file = join(dir, 'known_hosts');
    await writeFile(file, pins.map((k) => formatKnownHostsLine(h.connection.address, h.connection.port, k)).join('\n') + '\n');
    session = await connectWith(h, file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // The first pinned key that fits is enough: known_hosts keeps one key per name.
  for (const k of pins) await appendKnownHost(knownHostsFile, h.connection.address, h.connection.port, k);
  return session;
}

function definedOnly(o: ConnectionOverrides): Partial<Connection> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Chunks appended to a temporary file next to `dest`, renamed over it once complete: a
 * transfer cut short never leaves a half file under the real name. */
export async function uploadFile(
  localFile: string,
  dest: string,
  mode: string | undefined,
  run: (script: string, what: string) => Promise<ExecResult>,
  chunkBytes = UPLOAD_CHUNK_BYTES,
): Promise<void> {
  const tmp = `${dest}.fleet-${randomBytes(4).toString('hex')}`;
  const fh = await open(localFile, 'r');
  try {
    await run(`umask 077; : > ${q(tmp)}\n`, `creating ${tmp}`);
    const buf = Buffer.alloc(chunkBytes);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      await run(b64Heredoc(`base64 -d >> ${q(tmp)}`, buf.subarray(0, bytesRead)), `writing ${tmp}`);
    }
    await run(`${mode ? `chmod ${q(mode)} ${q(tmp)} && ` : ''}mv -f -- ${q(tmp)} ${q(dest)}\n`, `moving ${tmp} to ${dest}`);
  } catch (err) {
    await run(`rm -f -- ${q(tmp)}\n`, `removing ${tmp}`).catch(() => {
      // The transfer already failed; that error is the one worth reporting.
    });
    throw err;
  } finally {
    await fh.close();
  }
}

function applyConnectionVar(conn: Connection, key: string, value: unknown): void {
  const setting = connectionSetting(key);
  if (setting === 'port' && Number.isInteger(Number(value))) conn.port = Number(value);
  else if (setting === 'user' && typeof value === 'string') conn.user = value;
  else if (setting === 'become') conn.become = value === true || value === 'true' || value === 'yes';
  else if (setting === 'address' && typeof value === 'string' && value !== '') conn.address = value;
  else if (setting === 'socks_proxy' && typeof value === 'string') conn.socksProxy = value.replace(/^socks5h?:\/\//, '') || undefined;
}
