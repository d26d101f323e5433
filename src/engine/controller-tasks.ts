// Modules that run on the controller: `reconnect` proves a fresh SSH connection (a new port,
// a firewall that must not cut us off, the path through an onion service), `inventory_var`
// writes a value back into the inventory file, keeping its comments, and `onion_keys` backs
// up and restores onion service keys.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { appendKnownHost, formatKnownHostsLine, pinnedFor, readKnownHosts, UnreachableError } from '../transport/index.js';
import type { OnionKeysParams } from '../modules/onion_keys.js';
import { runOnionKeys } from './onion-keys-action.js';
import type { Outcome } from './outcome.js';
import type { PreparedTask } from './prepare-task.js';
import type { RunShared } from './run-shared.js';
import type { HostRunner } from './host-runner.js';
import { inventoryFileOf } from './inventory-file.js';
import type { Connection } from '../model/inventory.js';

interface ControllerContext {
  runner: HostRunner;
  shared: RunShared;
  check: boolean;
  pendingAfter?: string;
  /** The task's `register` name. */
  register?: string;
}

export async function runControllerTask(prepared: PreparedTask, c: ControllerContext): Promise<Outcome> {
  if (prepared.module.name === 'reconnect') return reconnect(prepared.params, c);
  if (prepared.module.name === 'inventory_var') return inventoryVar(prepared.params, c);
  if (prepared.module.name === 'onion_keys') return onionKeys(prepared.params as unknown as OnionKeysParams, c);
  return { status: 'failed', msg: `unknown controller module ${prepared.module.name}`, failure: { msg: `unknown controller module ${prepared.module.name}` } };
}

async function reconnect(params: Record<string, unknown>, c: ControllerContext): Promise<Outcome> {
  const host = c.runner.host;
  const port = typeof params.port === 'number' ? params.port : host.connection.port;
  const user = typeof params.user === 'string' ? params.user : undefined;
  const address = typeof params.address === 'string' ? params.address : host.connection.address;
  const socks = typeof params.socks_proxy === 'string' ? params.socks_proxy : undefined;
  const what = `a fresh connection to ${address}:${port}${user ? ` as ${user}` : ''}${socks ? ` through SOCKS5 proxy ${socks}` : ''}`;
  if (c.check) {
    // Proving a connection changes nothing, but in check mode the state it should prove
    // (a new port, new rules) does not exist yet.
    if (c.pendingAfter) return { status: 'changed', after: c.pendingAfter, msg: `will prove ${what} (after: ${c.pendingAfter})` };
    return { status: 'skipped', msg: `check mode: would prove ${what}` };
  }
  const timeoutMs = (typeof params.timeout === 'number' ? params.timeout : 15) * 1000;
  const conn = { ...host.connection, address, port, user: user ?? host.connection.user, connectTimeoutMs: timeoutMs };
  if (socks) {
    conn.socksProxy = socks.replace(/^socks5h?:\/\//, '');
    delete conn.proxyJump;
  }
  const h = { ...host, connection: conn };
  // Another name for the same sshd (its onion address): the server must show a key pinned for
  // the host already, and once proven that key is pinned under the new name too.
  let pins: Buffer[] = [];
  let knownHostsFile = c.shared.inventory.knownHostsFile;
  let tmp: string | undefined;
  if (address !== host.connection.address) {
    const { entries } = await readKnownHosts(knownHostsFile);
    const old = host.connection.address;
    pins = [...new Set([host.connection.port, c.runner.rt.sshPort, 22])].flatMap((p) => pinnedFor(entries, old, p)).map((e) => e.key);
    if (pins.length === 0) {
      const msg = `no host key is pinned for ${old} in ${knownHostsFile} to check ${address} against`;
      return { status: 'failed', msg, failure: { msg } };
    }
    tmp = mkdtempSync(join(tmpdir(), 'fleet-pins-'));
    knownHostsFile = join(tmp, 'known_hosts');
    writeFileSync(knownHostsFile, pins.map((k) => formatKnownHostsLine(address, port, k)).join('\n') + '\n');
  }
  // A new onion service needs a while before it can be reached: keep trying until `wait`.
  const deadline = Date.now() + (typeof params.wait === 'number' ? params.wait : 0) * 1000;
  let session;
  try {
    for (;;) {
      try {
        session = await c.shared.handshakes.run(() => c.shared.deps.connect(h, {
          knownHostsFile,
          acceptNewHostKeys: false,
          portOverride: port,
          signal: c.shared.opts.signal,
        }));
        break;
      } catch (err) {
        if (!(err instanceof UnreachableError) || Date.now() >= deadline || c.shared.aborted()) {
          const msg = `could not open ${what}: ${err instanceof Error ? err.message : String(err)}`;
          return { status: 'failed', msg, failure: { msg } };
        }
        await new Promise((r) => setTimeout(r, 3000));
      }
    }
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
  try {
    const cmd = typeof params.command === 'string' ? params.command : 'true';
    const r = await session.run(`${cmd}\n`, { become: user ? true : h.connection.become || h.connection.user !== 'root' });
    if (r.rc !== 0) {
      const msg = `${what} works, but its command failed`;
      return { status: 'failed', msg, failure: { msg, cmd, rc: r.rc, stderr: r.stderr } };
    }
    for (const k of pins) await appendKnownHost(c.shared.inventory.knownHostsFile, address, port, k);
    return { status: 'ok', msg: `proved ${what}`, registered: { changed: false, failed: false, stdout: r.stdout, rc: r.rc } };
  } finally {
    session.close();
  }
}

async function onionKeys(params: OnionKeysParams, c: ControllerContext): Promise<Outcome> {
  const host = c.runner.host;
  let inventoryFile: string;
  try {
    inventoryFile = inventoryFileOf(c.shared.inventory, host.name);
  } catch (err) {
    const msg = (err as Error).message;
    return { status: 'failed', msg, failure: { msg } };
  }
  return runOnionKeys(params, {
    host: host.name,
    check: c.check,
    pendingAfter: c.pendingAfter,
    inventoryFile,
    register: c.register,
    runOnHost: (script) => {
      if (!c.runner.session) throw new UnreachableError(host.name, 'not connected');
      return c.runner.session.run(script, { become: host.connection.become || host.connection.user !== 'root' });
    },
    redact: (secret) => c.shared.opts.redactor.add(secret),
  });
}

function inventoryVar(params: Record<string, unknown>, c: ControllerContext): Outcome {
  const host = c.runner.host;
  const key = String(params.key);
  const value = params.value;
  const current = host.vars[key];
  if (isDeepStrictEqual(current, value) || (current !== undefined && String(current) === String(value) && typeof value !== 'object')) {
    return { status: 'ok', registered: { changed: false } };
  }
  const file = inventoryFileOf(c.shared.inventory, host.name);
  const diff = `--- ${file}\n+++ ${file}\n@@ ${host.name} @@\n${current === undefined ? '' : `-${key}: ${JSON.stringify(current)}\n`}+${key}: ${JSON.stringify(value)}\n`;
  const msg = `set ${key} = ${JSON.stringify(value)} for ${host.name} in ${file}`;
  if (c.check) return { status: 'changed', msg, diff, registered: { changed: true } };
  try {
    c.shared.deps.setHostVar(file, host.name, key, value);
  } catch (err) {
    const m = `could not write ${file}: ${err instanceof Error ? err.message : String(err)}`;
    return { status: 'failed', msg: m, failure: { msg: m } };
  }
  host.vars[key] = value;
  c.shared.changedValues();
  // Later fresh connections of this run (reconnect) go where the inventory now says.
  applyConnectionVar(host.connection, key, value);
  return { status: 'changed', msg, diff, registered: { changed: true } };
}

function applyConnectionVar(conn: Connection, key: string, value: unknown): void {
  if ((key === 'ansible_port' || key === 'port') && Number.isInteger(Number(value))) conn.port = Number(value);
  else if ((key === 'ansible_user' || key === 'user') && typeof value === 'string') conn.user = value;
  else if (key === 'ansible_become' || key === 'become') conn.become = value === true || value === 'true' || value === 'yes';
  else if ((key === 'ansible_host' || key === 'address') && typeof value === 'string' && value !== '') conn.address = value;
  else if (key === 'socks_proxy' && typeof value === 'string') conn.socksProxy = value.replace(/^socks5h?:\/\//, '') || undefined;
}
