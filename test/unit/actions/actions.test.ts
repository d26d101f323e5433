// Actions run on the controller with the ports the engine passes in: here with recording
// ports, and the engine's own ports over a local shell.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { actions, getAction } from '../../../src/actions/index.js';
import { inventoryVar, keysToWrite } from '../../../src/actions/inventory-var.js';
import { reconnect } from '../../../src/actions/reconnect.js';
import { actionPorts, uploadFile } from '../../../src/engine/action-ports.js';
import type { RunShared } from '../../../src/engine/run-shared.js';
import { stubPorts } from './stub-ports.js';
import type { ActionContext, ActionPorts, ActionSession, ConnectionOverrides } from '../../../src/model/action.js';
import { Redactor } from '../../../src/report/index.js';
import { host, inventory } from '../engine/fixtures.js';
import { LocalSession } from '../engine/local-session.js';

const PLACE = { playHosts: ['h1', 'h2'], waitForHost: async () => undefined };
const ajv = new Ajv({ useDefaults: true, strict: false });
function params<T>(a: { schema: object }, raw: Record<string, unknown>): T {
  const copy = structuredClone(raw);
  if (!ajv.compile(a.schema)(copy)) throw new Error('invalid params');
  return copy as T;
}

function ctxOf(vars: Record<string, unknown>, extra: Partial<ActionContext> = {}): ActionContext {
  const h = host('h1', vars);
  return { host: 'h1', connection: h.connection, vars, check: false, ...extra };
}

/** Ports that record what an action asked for. */
function recordingPorts(session?: ActionSession): ActionPorts & { written: [string, unknown][]; connects: ConnectionOverrides[] } {
  const written: [string, unknown][] = [];
  const connects: ConnectionOverrides[] = [];
  return {
    written,
    connects,
    ...stubPorts(),
    async connect(o) {
      connects.push(o);
      if (!session) throw new Error('connection refused');
      return session;
    },
    runOn: async () => ({ rc: 0, stdout: '', stderr: '' }),
    upload: async () => undefined,
    download: async () => Buffer.alloc(0),
    inventoryFile: () => '/inv/hosts.yml',
    setInventoryValue: (k, v) => void written.push([k, v]),
    secret: () => undefined,
    encryptForRecipients: () => '',
    decryptWithIdentity: () => new Uint8Array(),
    pinnedHostKeys: async () => [],
  };
}

describe('action registry', () => {
  it('holds every action, each with a strict schema', () => {
    expect(Object.keys(actions).sort()).toEqual(['assert', 'debug', 'docker_image', 'fail', 'flush_handlers', 'get_url', 'getent', 'include_vars', 'inventory_var', 'onion_keys', 'pinned_host_keys', 'reconnect', 'set_fact', 'stat', 'swarm_member', 'swarm_nodes', 'wait_for']);
    expect(getAction('toString')).toBeUndefined();
    const strict = new Ajv({ strict: true, allowUnionTypes: true });
    for (const a of Object.values(actions)) {
      expect(() => strict.compile(a.schema), a.name).not.toThrow();
      // set_fact's keys are the facts it sets: any variable name, and nothing else.
      if (a.name === 'set_fact') expect((a.schema as { propertyNames?: { pattern?: string } }).propertyNames?.pattern, a.name).toBe('^[A-Za-z_][A-Za-z0-9_]*$');
      else expect(a.schema.additionalProperties, a.name).toBe(false);
    }
    const ok = (a: { schema: object }, raw: object) => ajv.compile(a.schema)(structuredClone(raw));
    expect(ok(actions.set_fact, { motd_text: 'hi' })).toBe(true);
    expect(ok(actions.set_fact, { 'not a name': 'hi' })).toBe(false);
    expect(ok(actions.set_fact, {})).toBe(false);
    expect(ok(reconnect, { port: 2222, command: 'true' })).toBe(true);
    expect(ok(reconnect, { address: 'x.onion', socks_proxy: '127.0.0.1:9050', wait: 60 })).toBe(true);
    expect(ok(reconnect, { socks_proxy: '127.0.0.1' })).toBe(false);
    expect(ok(actions.onion_keys, { state: 'saved', dir: '/var/lib/tor/onion', keys: '', services: [{ name: 'web', ports: [] }, 'api'] })).toBe(true);
    expect(ok(actions.onion_keys, { state: 'saved', dir: '/var/lib/tor/onion', keys: '', services: [{ name: 'a b' }] })).toBe(false);
    expect(ok(actions.onion_keys, { state: 'saved', dir: '/var/lib/tor/o n', keys: '' })).toBe(false);
    expect(ok(actions.onion_keys, { state: 'kept', dir: '/var/lib/tor/onion', keys: '' })).toBe(false);
    expect(ok(reconnect, { port: 70000 })).toBe(false);
    expect(ok(inventoryVar, { key: 'onion', value: { a: 1 } })).toBe(true);
    expect(ok(inventoryVar, { key: 'onion' })).toBe(false);
  });
});

describe('inventory_var', () => {
  it('writes a connection setting under the spelling the inventory uses, else under Ansible\'s', () => {
    expect(keysToWrite('user', { ansible_user: 'root' })).toEqual(['ansible_user']);
    expect(keysToWrite('ansible_user', { user: 'root' })).toEqual(['user']);
    expect(keysToWrite('user', {})).toEqual(['ansible_user']);
    expect(keysToWrite('ansible_port', { port: 22, ansible_port: 22 })).toEqual(['port', 'ansible_port']);
    expect(keysToWrite('become', {})).toEqual(['ansible_become']);
    expect(keysToWrite('onion_address', { user: 'x' })).toEqual(['onion_address']);
  });

  it('apply writes and reports changed with a diff; an equal value is ok; check mode writes nothing', async () => {
    const ports = recordingPorts();
    const p = params<{ key: string; value: unknown }>(inventoryVar, { key: 'port', value: 2222 });
    const r = await inventoryVar.run(p, ctxOf({ ansible_port: 22 }), ports);
    expect(r).toMatchObject({ status: 'changed', msg: 'set ansible_port = 2222 for h1 in /inv/hosts.yml' });
    expect(r.diff).toContain('-ansible_port: 22\n+ansible_port: 2222\n');
    expect(ports.written).toEqual([['ansible_port', 2222]]);

    expect((await inventoryVar.run(p, ctxOf({ ansible_port: '2222' }), ports)).status).toBe('ok');
    const checked = recordingPorts();
    expect((await inventoryVar.run(p, ctxOf({ port: 22 }, { check: true }), checked)).status).toBe('changed');
    expect(checked.written).toEqual([]);
  });
});

describe('reconnect', () => {
  it('opens a fresh connection with the overrides and runs the command over it', async () => {
    const session = new LocalSession();
    const ports = recordingPorts(session);
    const r = await reconnect.run(params(reconnect, { port: 2222, user: 'admin', command: 'echo proved' }), ctxOf({}), ports);
    expect(r).toMatchObject({ status: 'ok', registered: { stdout: 'proved\n', rc: 0 } });
    expect(ports.connects).toEqual([{ port: 2222, user: 'admin', connectTimeoutMs: 15_000 }]);
  });

  it('fails naming the connection when it cannot connect or the command fails; check mode proves nothing', async () => {
    const down = await reconnect.run(params(reconnect, { port: 2222 }), ctxOf({}), recordingPorts());
    expect(down.status).toBe('failed');
    expect(down.msg).toMatch(/could not open a fresh connection to .*:2222: connection refused/);
    const bad = await reconnect.run(params(reconnect, { command: 'exit 3' }), ctxOf({}), recordingPorts(new LocalSession()));
    expect(bad).toMatchObject({ status: 'failed', failure: { rc: 3, cmd: 'exit 3' } });
    expect((await reconnect.run(params(reconnect, {}), ctxOf({}, { check: true }), recordingPorts())).status).toBe('skipped');
    const after = await reconnect.run(params(reconnect, {}), ctxOf({}, { check: true, pendingAfter: 'move port' }), recordingPorts());
    expect(after).toMatchObject({ status: 'changed', after: 'move port' });
  });
});

describe('the engine\'s ports', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fleet-ports-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function shared(sessions: Map<string, LocalSession>, written: unknown[][] = []): RunShared {
    const inv = inventory([host('h1', { ansible_port: 22 }), host('h2')]);
    inv.sources = [join(dir, 'hosts.yml')];
    writeFileSync(inv.sources[0], 'all: {}\n');
    return {
      inventory: inv,
      opts: { redactor: new Redactor() },
      deps: { setHostVar: (...a: unknown[]) => void written.push(a) },
      changedValues: () => undefined,
      sessionOf: (h: string) => sessions.get(h),
    } as unknown as RunShared;
  }

  it('upload streams a file in chunks into place; download reads it back; runOn uses the run\'s connection', async () => {
    const s = new LocalSession();
    const ports = actionPorts(shared(new Map([['h2', s]])).inventory.hosts.get('h1')!, shared(new Map([['h1', s], ['h2', s]])), PLACE);
    const src = join(dir, 'image.tar');
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
    writeFileSync(src, bytes);
    await ports.upload(src, join(dir, 'on-host.tar'), { mode: '0600' });
    expect(readFileSync(join(dir, 'on-host.tar')).equals(bytes)).toBe(true);
    expect(statSync(join(dir, 'on-host.tar')).mode & 0o777).toBe(0o600);
    expect((await ports.download(join(dir, 'on-host.tar'))).equals(bytes)).toBe(true);
    expect((await ports.runOn('h2', 'echo token-xyz')).stdout).toBe('token-xyz\n');

    // Small chunks: several round trips append in order, and the name appears only at the end.
    const before = s.roundTrips;
    await uploadFile(src, join(dir, 'chunked.tar'), undefined, async (script) => {
      const r = await s.run(script);
      if (r.rc !== 0) throw new Error(r.stderr);
      return r;
    }, 16_384);
    expect(readFileSync(join(dir, 'chunked.tar')).equals(bytes)).toBe(true);
    expect(s.roundTrips - before).toBe(1 + 5 + 1);
  });

  it("-v names each round trip an action makes, on the host whose connection it uses, after the task", async () => {
    const s = new LocalSession();
    const sh = shared(new Map([['h1', s], ['h2', s]]));
    const events: unknown[] = [];
    Object.assign(sh, { emit: (e: unknown) => void events.push(e) });
    const quiet = actionPorts(sh.inventory.hosts.get('h1')!, sh, { ...PLACE, task: 'join' });
    await quiet.runOn('h2', 'true');
    expect(events).toEqual([]);
    sh.opts.verbosity = 1;
    const ports = actionPorts(sh.inventory.hosts.get('h1')!, sh, { ...PLACE, task: 'join' });
    await ports.runOn('h1', 'true');
    await ports.runOn('h2', 'true');
    await ports.download(join(dir, 'hosts.yml'));
    expect(events).toEqual([
      { type: 'trace', host: 'h1', msg: "round trip 2: script of the action 'join'" },
      { type: 'trace', host: 'h2', msg: "round trip 3: script of the action 'join' for h1" },
      { type: 'trace', host: 'h1', msg: "round trip 4: download of the action 'join'" },
    ]);
  });

  it('a failed transfer leaves no file under the real name', async () => {
    const s = new LocalSession();
    const ports = actionPorts(shared(new Map()).inventory.hosts.get('h1')!, shared(new Map([['h1', s]])), PLACE);
    await expect(ports.upload(join(dir, 'missing'), join(dir, 'x'))).rejects.toThrow(/ENOENT/);
    await expect(ports.upload(join(dir, 'hosts.yml'), join(dir, 'no-such-dir', 'x'))).rejects.toThrow(/creating/);
    await expect(ports.download(join(dir, 'absent'))).rejects.toThrow(/reading/);
  });

  it('setInventoryValue writes through config/\'s writer and moves the live connection', () => {
    const written: unknown[][] = [];
    const sh = shared(new Map(), written);
    const h1 = sh.inventory.hosts.get('h1')!;
    const ports = actionPorts(h1, sh, PLACE);
    ports.setInventoryValue('ansible_port', 2222);
    ports.setInventoryValue('ansible_user', 'admin');
    expect(written).toEqual([[join(dir, 'hosts.yml'), 'h1', 'ansible_port', 2222], [join(dir, 'hosts.yml'), 'h1', 'ansible_user', 'admin']]);
    expect(h1.connection).toMatchObject({ port: 2222, user: 'admin' });
    expect(h1.vars.ansible_port).toBe(2222);
  });
});

describe('pinned_host_keys', () => {
  const run = (keys: string[] | Error) =>
    actions.pinned_host_keys.run({ host: 'repo' } as never, ctxOf({}), {
      ...({} as ActionPorts),
      pinnedHostKeys: async (h: string) => {
        expect(h).toBe('repo');
        if (keys instanceof Error) throw keys;
        return keys;
      },
    });

  it('registers the keys pinned for the host, in check mode too (it changes nothing)', async () => {
    const r = await run(['ssh-ed25519 AAAA1', 'ssh-rsa AAAA2']);
    expect(r).toMatchObject({ status: 'ok', registered: { keys: ['ssh-ed25519 AAAA1', 'ssh-rsa AAAA2'], stdout_lines: ['ssh-ed25519 AAAA1', 'ssh-rsa AAAA2'] } });
    // The shape the checks before contact give to later tasks that read it.
    expect(actions.pinned_host_keys.registers?.({ host: 'repo' } as never)).toEqual({ keys: [] });
  });

  it('fails, saying how to pin one, when nothing is pinned; and when the host is unknown', async () => {
    expect((await run([])).failure?.msg).toMatch(/no host key is pinned for repo .*fleet hostkeys accept repo/);
    expect((await run(new Error("host 'repo' is not in the inventory"))).failure?.msg).toBe("host 'repo' is not in the inventory");
  });
});
