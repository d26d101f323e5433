// wait_for (Ansible's): its one try and its wait run in a real shell against real files and a
// real TCP port; the action decides from its probe without a round trip when the condition
// already holds, waits (in check mode too, as Ansible does) otherwise, and fails with Ansible's
// timeout message.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWait, waitFor, waitForProbe, waitForProblem, waitForScript, type WaitForParams } from '../../../src/actions/wait-for.js';
import type { ActionContext } from '../../../src/model/action.js';
import { runSh } from '../engine/local-session.js';
import { stubPorts } from './stub-ports.js';

const ajv = new Ajv({ useDefaults: true, strict: false, allErrors: true });
const validate = ajv.compile(waitFor.schema);
function params(raw: Record<string, unknown>): WaitForParams {
  const p = structuredClone(raw);
  if (!validate(p)) throw new Error(ajv.errorsText(validate.errors));
  return p as WaitForParams;
}
const sh = runSh;
const ctx = (over: Partial<ActionContext> = {}): ActionContext => ({ host: 'h1', connection: {} as ActionContext['connection'], vars: {}, check: false, ...over });
/** Ports whose runOn runs the script here, counting round trips. */
function localPorts() {
  const ports = stubPorts();
  const calls: string[] = [];
  ports.runOn = (_h, script) => {
    calls.push(script);
    return sh(script);
  };
  return { ports, calls };
}
const probeHere = (p: WaitForParams) => sh(waitForProbe(p));

let dir: string;
let server: net.Server;
let port: number;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-wait-'));
  server = net.createServer((s) => {
    // A probe that only tests the port closes at once: the reset is expected, not an error.
    s.on('error', () => undefined);
    s.end('SSH-2.0-OpenSSH_9.2p1 Debian\r\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('wait_for', () => {
  it('a file that is there, a regex in it (match_groups as Python gives them): ok from the probe alone, no round trip', async () => {
    const f = join(dir, 'app.log');
    writeFileSync(f, 'starting\nlistening on port 8443 (tls)\n');
    const p = params({ path: f, search_regex: 'port (?P<port>\\d+) \\((\\w+)\\)' });
    const { ports, calls } = localPorts();
    const res = await waitFor.run(p, ctx({ probed: await probeHere(p) }), ports);
    expect(res).toMatchObject({ status: 'ok', registered: { elapsed: 0, path: f, match_groups: ['8443', 'tls'], match_groupdict: { port: '8443' } } });
    expect(calls).toEqual([]);
  });

  it('a file that is not there yet: the wait runs on the host (one round trip) and sees it appear', async () => {
    const f = join(dir, 'late');
    const p = params({ path: f, timeout: 10 });
    const probed = await probeHere(p);
    expect(parseWait(probed.stdout)?.ready).toBe(false);
    const { ports, calls } = localPorts();
    setTimeout(() => writeFileSync(f, 'x'), 300);
    const res = await waitFor.run(p, ctx({ probed }), ports);
    expect(res.status).toBe('ok');
    expect(calls).toHaveLength(1);
  });

  it('times out with Ansible message (or msg), registered elapsed; absent/stopped wait for the opposite', async () => {
    const { ports } = localPorts();
    const gone = join(dir, 'never');
    const p = params({ path: gone, timeout: 1 });
    const res = await waitFor.run(p, ctx({ probed: await probeHere(p) }), ports);
    expect(res).toMatchObject({ status: 'failed', msg: `Timeout when waiting for file ${gone}`, registered: { elapsed: expect.any(Number) } });
    expect((res.registered as { elapsed: number }).elapsed).toBeGreaterThanOrEqual(1);
    const custom = await waitFor.run(params({ path: gone, timeout: 0, msg: 'no app' }), ctx(), ports);
    expect(custom.msg).toBe('no app');
    const absent = params({ path: gone, state: 'absent' });
    expect(await waitFor.run(absent, ctx({ probed: await probeHere(absent) }), stubPorts())).toMatchObject({ status: 'ok' });
    const regexMissing = await waitFor.run(params({ path: join(dir, 'app.log'), search_regex: 'ready', timeout: 0 }), ctx(), ports);
    expect(regexMissing.msg).toBe(`Timeout when waiting for search string ready in ${join(dir, 'app.log')}`);
  });

  it('a port: started when it accepts (search_regex on what it sends), stopped when nothing listens', async () => {
    const started = params({ port, search_regex: 'OpenSSH_(\\S+)' });
    const ok = await waitFor.run(started, ctx({ probed: await probeHere(started) }), stubPorts());
    expect(ok).toMatchObject({ status: 'ok', registered: { port, match_groups: ['9.2p1'] } });
    const free = net.createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const freePort = (free.address() as net.AddressInfo).port;
    free.close();
    const stopped = params({ port: freePort, state: 'stopped' });
    expect(await waitFor.run(stopped, ctx({ probed: await probeHere(stopped) }), stubPorts())).toMatchObject({ status: 'ok' });
    const { ports } = localPorts();
    const never = await waitFor.run(params({ port: freePort, timeout: 1 }), ctx(), ports);
    expect(never.msg).toBe(`Timeout when waiting for 127.0.0.1:${freePort}`);
    const notStopping = await waitFor.run(params({ port, state: 'stopped', timeout: 0 }), ctx(), ports);
    expect(notStopping.msg).toBe(`Timeout when waiting for 127.0.0.1:${port} to stop.`);
  });

  it('drained: /proc/net/tcp read for the port, excluded hosts left out', async () => {
    const p = params({ port: 1, state: 'drained', exclude_hosts: ['10.0.0.5'] });
    expect(waitForProbe(p)).toContain('/proc/net/tcp');
    expect(waitForProbe(p)).toContain('0500000A');
    expect(parseWait((await sh(waitForProbe(p))).stdout)?.ready).toBe(true);
  });

  it('check mode: waits like Ansible; after a pending change that is not made, says will change (after: X) instead of timing out', async () => {
    const f = join(dir, 'pending');
    const p = params({ path: f, timeout: 300 });
    const res = await waitFor.run(p, ctx({ check: true, pendingAfter: 'install app', probed: await probeHere(p) }), stubPorts());
    expect(res).toMatchObject({ status: 'changed', after: 'install app' });
    writeFileSync(f, '');
    expect(await waitFor.run(p, ctx({ check: true, probed: await probeHere(p) }), stubPorts())).toMatchObject({ status: 'ok' });
  });

  it('no port and no path: sleeps delay + timeout on the host; delay always waits', async () => {
    const s = waitForScript(params({ timeout: 2, delay: 1 }));
    expect(s).toContain('sleep 1\n');
    expect(s).toContain('sleep 2\n');
    const f = join(dir, 'app.log');
    const { ports, calls } = localPorts();
    const p = params({ path: f, delay: 1 });
    const res = await waitFor.run(p, ctx({ probed: await probeHere(p) }), ports);
    expect(res.status).toBe('ok');
    expect(calls).toHaveLength(1);
  });

  it("Ansible's refusals, and bad values refused by the schema", () => {
    expect(waitForProblem(params({ port: 80, path: '/x' }))).toBe('port and path parameter can not both be passed to wait_for');
    expect(waitForProblem(params({ path: '/x', state: 'stopped' }))).toContain('state=stopped should only be used for checking a port');
    expect(waitForProblem(params({ path: '/x', state: 'drained' }))).toContain('state=drained should only be used');
    expect(waitForProblem(params({ port: 80, exclude_hosts: ['10.0.0.1'] }))).toBe('exclude_hosts should only be with state=drained');
    expect(() => params({ port: 70000 })).toThrow();
    expect(() => params({ host: 'a;b', port: 1 })).toThrow();
    expect(() => params({ path: 'relative' })).toThrow();
    expect(() => params({ state: 'up' })).toThrow();
  });
});
