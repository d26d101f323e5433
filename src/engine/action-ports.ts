// The ports an action may use (model/action.ts), built by the engine for one host: fresh
// connections, the run's connections to other hosts, file transfer, the inventory, secrets.
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UploadError, type ActionPorts, type ActionSession, type ConnectionOverrides, type ScriptOptions, type TransferOptions } from '../model/action.js';
import { connectionSetting } from '../model/connection-vars.js';
import type { Connection, Host } from '../model/inventory.js';
import { UPLOAD_FAILED, type ExecOptions, type ExecResult, type HostSession } from '../model/transport.js';
import { b64Heredoc, q } from '../modules/lib/sh.js';
import { appendKnownHost, fetchUrl, formatKnownHostsLine, pinnedFor, readKnownHosts } from '../transport/index.js';
import { inventoryFileOf } from './inventory-file.js';
import { Limiter } from './limiter.js';
import { connectHost } from './connect-host.js';
import type { RunShared } from './run-shared.js';
import { decryptWithIdentity, encryptForRecipients } from '../secrets/index.js';

/** Upload chunk: bounded memory on the controller, one round trip per chunk. */
export const UPLOAD_CHUNK_BYTES = 8 * 1024 * 1024;

/** Where the task runs: its play's hosts and its batch. */
export interface ActionPlace {
  playHosts: string[];
  /** Resolves once the host is past this task in the batch (or not in it). */
  waitForHost(host: string): Promise<void>;
  /** The task, for -v: a round trip an action makes is named like the engine's own. */
  task?: string;
  /** Sends the action's last script on its own host with the re-probes of what follows
   * (host-runner.ts); none in check mode. */
  carry?: ActionCarry;
}

/** An action's last script on its own host (ScriptOptions.last), sent as the apply of a round
 * trip that re-probes the tasks after it: their answers, read after the script, fill the
 * probe cache in place of the ones the action's change voided. */
export interface ActionCarry {
  /** `exec`: how the script goes (after an upload's data on the same channel); `conclusive`:
   * ScriptOptions.conclusive (the notified handlers may ride after it). */
  run(script: string, become: boolean, why: string, exec?: (script: string, opts: ExecOptions) => Promise<ExecResult>, conclusive?: boolean): Promise<ExecResult>;
  /** The action reached its host again after that script: what it carried may be stale. */
  stale(): void;
}

// sshd allows 10 channels per connection (MaxSessions): when many hosts' actions run scripts
// on one manager's connection at once (workers joining), they take turns beyond a few.
const MAX_BORROWED_CHANNELS = 4;
const channels = new WeakMap<HostSession, Limiter>();
const warned = new WeakMap<RunShared, Set<string>>();
const memos = new WeakMap<RunShared, Map<string, Promise<unknown>>>();

function borrowed<T>(session: HostSession, fn: () => Promise<T>): Promise<T> {
  let l = channels.get(session);
  if (!l) channels.set(session, (l = new Limiter(MAX_BORROWED_CHANNELS)));
  return l.run(fn);
}

const connectFresh = (shared: RunShared, h: Host, portOverride?: number, knownHostsFile = shared.inventory.knownHostsFile): Promise<HostSession> =>
  // A fresh connection proves a known host: a key never seen is not accepted here.
  connectHost(shared, h, { fresh: true, port: portOverride, knownHostsFile }).then((c) => c.session);

/** The run's connection to `name` (a few channels at a time when it is another host's than
 * `from`), or a fresh one for this call when it has none or it closed under us (that host's
 * run ended). Actions' runOn and delegate_to use it. */
export async function withHostSession<T>(shared: RunShared, from: string, name: string, fn: (s: HostSession) => Promise<T>): Promise<T> {
  const live = shared.sessionOf(name);
  if (live) {
    if (name === from) return fn(live);
    try {
      return await borrowed(live, () => fn(live));
    } catch (err) {
      if (shared.sessionOf(name) === live) throw err;
    }
  }
  const h = shared.inventory.hosts.get(name);
  if (!h) throw new Error(`host '${name}' is not in the inventory`);
  const s = await connectFresh(shared, h);
  try {
    return await fn(s);
  } finally {
    s.close();
  }
}

export function actionPorts(host: Host, shared: RunShared, place: ActionPlace): ActionPorts {
  const connectTo = (h: Host, portOverride?: number, knownHostsFile = shared.inventory.knownHostsFile): Promise<HostSession> =>
    connectFresh(shared, h, portOverride, knownHostsFile);
  const verbose = (shared.opts.verbosity ?? 0) > 0;
  // -v: each script an action sends is a round trip of the session it uses, named after the task.
  const withSession = <T>(name: string, fn: (s: HostSession) => Promise<T>, what = 'script'): Promise<T> =>
    withHostSession(shared, host.name, name, (s) => {
      if (verbose) {
        const whose = name === host.name ? '' : ` for ${host.name}`;
        const where = shared.sessionOf(name) === s ? `round trip ${s.roundTrips + 1}` : 'a connection of its own';
        shared.emit({ type: 'trace', host: name, msg: `${where}: ${what} of the action '${place.task ?? '?'}'${whose}` });
      }
      return fn(s);
    });

  const runChecked = async (s: HostSession, script: string, become: boolean | undefined, what: string): Promise<ExecResult> => {
    const r = await s.run(script, become === undefined ? undefined : { become });
    if (r.rc !== 0) throw new Error(`${what}: ${(r.stderr || r.stdout).trim() || `exit ${r.rc}`}`);
    return r;
  };

  const own = (name: string) => name === host.name;
  // The script that carries the re-probes: the last one on this host, when the action says so.
  const carrying = (name: string, opts?: ScriptOptions) => (opts?.last && own(name) ? place.carry : undefined);
  const why = (what: string) => `${what} of the action '${place.task ?? '?'}', and the re-probes after it`;
  const runOn = (name: string, script: string, opts?: ScriptOptions): Promise<ExecResult> => {
    const carry = carrying(name, opts);
    if (carry) return carry.run(script, opts?.become ?? host.connection.become, why('script'), undefined, opts?.conclusive);
    if (own(name)) place.carry?.stale();
    return withSession(name, (s) => s.run(script, opts && { become: opts.become }));
  };
  const upload = (localFile: string, dest: string, opts: TransferOptions & { mode?: string } = {}): Promise<void> => {
    if (own(opts.host ?? host.name)) place.carry?.stale();
    return withSession(opts.host ?? host.name, async (s) => {
      if (!s.upload) return uploadFile(localFile, dest, opts.mode, (script, what) => runChecked(s, script, opts.become, what));
      // Streamed on one channel: one round trip, bounded memory.
      const { size } = await stat(localFile);
      const r = await s.upload(createReadStream(localFile), dest, { become: opts.become, mode: opts.mode, size });
      if (r.rc !== 0) throw new Error(`uploading ${localFile} to ${dest}: ${(r.stderr || r.stdout).trim() || `exit ${r.rc}`}`);
    }, 'upload');
  };

  return {
    async connect(o: ConnectionOverrides): Promise<ActionSession> {
      place.carry?.stale();
      const conn: Connection = { ...host.connection, ...definedOnly(o) };
      if (o.socksProxy) delete conn.proxyJump;
      if (o.address === undefined || o.address === host.connection.address) return connectTo({ ...host, connection: conn }, o.port);
      return connectAsSameHost({ ...host, connection: conn }, host.connection, (h, file) => connectTo(h, o.port, file), shared.inventory.knownHostsFile);
    },
    runOn,
    upload,
    async uploadAndRun(localFile, dest, script, opts = {}) {
      const name = opts.host ?? host.name;
      const carry = carrying(name, opts);
      const live = shared.sessionOf(name);
      if (carry && live?.uploadThenRun) {
        // One channel: the file, then the engine's script (the action's, then the re-probes).
        const { size } = await stat(localFile);
        let rc: number | undefined;
        const exec = async (text: string, o: ExecOptions) => {
          const r = await live.uploadThenRun!(createReadStream(localFile), dest, { become: opts.become, mode: opts.mode, size }, text, o);
          rc = r.rc;
          return r;
        };
        const r = await carry.run(script, opts.become ?? host.connection.become, why('upload and script'), exec, opts.conclusive);
        // The engine's script never exits UPLOAD_FAILED: the file did not arrive, nothing ran.
        if (rc === UPLOAD_FAILED) throw new UploadError(`uploading ${localFile} to ${dest}: ${r.stderr.trim() || `exit ${rc}`}`);
        return r;
      }
      try {
        await upload(localFile, dest, opts);
      } catch (err) {
        throw new UploadError(err instanceof Error ? err.message : String(err));
      }
      return runOn(name, script, opts);
    },
    download: (path, opts: TransferOptions = {}) =>
      withSession(opts.host ?? host.name, async (s) => {
        const r = await runChecked(s, `base64 -w0 < ${q(path)}\n`, opts.become, `reading ${path}`);
        // Only part of a large file came back (the transport keeps a bounded part of any output).
        if (r.dropped?.stdout) throw new Error(`reading ${path}: the file is too large to read back over a script (${r.dropped.stdout} bytes of its base64 were dropped)`);
        return Buffer.from(r.stdout.trim(), 'base64');
      }, 'download'),
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
    groupHosts: (group) => [...shared.inventory.hosts.values()].filter((h) => h.groups.includes(group)).map((h) => h.name),
    hostVars: (name) => shared.inventory.hosts.get(name)?.vars,
    address: (name) => shared.inventory.hosts.get(name)?.connection.address ?? name,
    playHosts: () => place.playHosts,
    waitForHost: (name) => place.waitForHost(name),
    fetchUrl: (req) => fetchUrl(req),
    warn(msg) {
      let seen = warned.get(shared);
      if (!seen) warned.set(shared, (seen = new Set()));
      if (seen.has(msg)) return;
      seen.add(msg);
      shared.emit({ type: 'warning', msg });
    },
    memo<T>(key: string, read: () => Promise<T>): Promise<T> {
      let m = memos.get(shared);
      if (!m) memos.set(shared, (m = new Map()));
      const known = m.get(key) as Promise<T> | undefined;
      if (known) return known;
      const p = read();
      m.set(key, p);
      // A failed read is not remembered.
      p.catch(() => m.delete(key));
      return p;
    },
    forget: (key) => void memos.get(shared)?.delete(key),
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
