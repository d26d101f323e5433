// Modules that run on the controller: `reconnect` proves a fresh SSH connection (a new port,
// a firewall that must not cut us off) and `inventory_var` writes a value back into the
// inventory file, keeping its comments.
import { isDeepStrictEqual } from 'node:util';
import type { Outcome } from './outcome.js';
import type { PreparedTask } from './prepare-task.js';
import type { RunShared } from './run-shared.js';
import type { HostRunner } from './host-runner.js';
import { inventoryFileOf } from './inventory-file.js';
import type { Connection } from '../model/inventory.js';
import { UnreachableError } from '../model/transport.js';
import { actionPorts } from './action-ports.js';
import { runDockerImage } from '../modules/docker_image.js';
import { runSwarmMember } from '../modules/swarm_member.js';
import { runSwarmNode } from '../modules/swarm_node.js';
import type { ActionRun } from '../modules/lib/controller.js';

export interface ControllerContext {
  runner: HostRunner;
  shared: RunShared;
  check: boolean;
  pendingAfter?: string;
  /** become for scripts on the task's own host. */
  become: boolean;
  /** Hosts of the play being run. */
  playHosts: string[];
}

// Actions written against ports (the controller module type to come): the engine only hands
// them what they may use.
const ACTIONS: Record<string, ActionRun<any>> = {
  docker_image: runDockerImage,
  swarm_member: runSwarmMember,
  swarm_node: runSwarmNode,
};

export async function runControllerTask(prepared: PreparedTask, c: ControllerContext): Promise<Outcome> {
  if (prepared.module.name === 'reconnect') return reconnect(prepared.params, c);
  if (prepared.module.name === 'inventory_var') return inventoryVar(prepared.params, c);
  const action = ACTIONS[prepared.module.name];
  if (action) {
    try {
      return await action(prepared.params, actionPorts(c));
    } catch (err) {
      // This host's own connection dropped: the host is unreachable. Anything else (another
      // host the action needed could not be reached) is this task's failure, not this host's.
      if (err instanceof UnreachableError && err.host === c.runner.host.name) throw err;
      const msg = `${prepared.module.name}: ${err instanceof Error ? err.message : String(err)}`;
      return { status: 'failed', msg, failure: { msg } };
    }
  }
  return { status: 'failed', msg: `unknown controller module ${prepared.module.name}`, failure: { msg: `unknown controller module ${prepared.module.name}` } };
}

async function reconnect(params: Record<string, unknown>, c: ControllerContext): Promise<Outcome> {
  const host = c.runner.host;
  const port = typeof params.port === 'number' ? params.port : host.connection.port;
  const user = typeof params.user === 'string' ? params.user : undefined;
  const what = `a fresh connection to ${host.connection.address}:${port}${user ? ` as ${user}` : ''}`;
  if (c.check) {
    // Proving a connection changes nothing, but in check mode the state it should prove
    // (a new port, new rules) does not exist yet.
    if (c.pendingAfter) return { status: 'changed', after: c.pendingAfter, msg: `will prove ${what} (after: ${c.pendingAfter})` };
    return { status: 'skipped', msg: `check mode: would prove ${what}` };
  }
  const timeoutMs = (typeof params.timeout === 'number' ? params.timeout : 15) * 1000;
  const h = { ...host, connection: { ...host.connection, port, user: user ?? host.connection.user, connectTimeoutMs: timeoutMs } };
  let session;
  try {
    session = await c.shared.handshakes.run(() => c.shared.deps.connect(h, {
      knownHostsFile: c.shared.inventory.knownHostsFile,
      acceptNewHostKeys: false,
      portOverride: port,
      signal: c.shared.opts.signal,
    }));
  } catch (err) {
    const msg = `could not open ${what}: ${err instanceof Error ? err.message : String(err)}`;
    return { status: 'failed', msg, failure: { msg } };
  }
  try {
    const cmd = typeof params.command === 'string' ? params.command : 'true';
    const r = await session.run(`${cmd}\n`, { become: user ? true : h.connection.become || h.connection.user !== 'root' });
    if (r.rc !== 0) {
      const msg = `${what} works, but its command failed`;
      return { status: 'failed', msg, failure: { msg, cmd, rc: r.rc, stderr: r.stderr } };
    }
    return { status: 'ok', msg: `proved ${what}`, registered: { changed: false, failed: false, stdout: r.stdout, rc: r.rc } };
  } finally {
    session.close();
  }
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
}
