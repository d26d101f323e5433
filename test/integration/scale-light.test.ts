// Light hosts (fleet lab up --light) under the faults a big fleet meets: some dead (their
// sshd killed: nothing listens), some slow (a proxy in front of their sshd holds the first
// connections silent, past the connect timeout, as a saturated host does before its banner),
// one that never sends a banner, the rest normal. The dead and the silent are unreachable
// with their reason; the slow converge after retries, and the recap says which needed them.
import { readFileSync, writeFileSync, mkdirSync, mkdtempSync, existsSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { lightDown, lightHost, lightHosts, lightLab, lightStop, lightUp, LIGHT_PORT, type LightHost } from '../../src/lab/light.js';
import type { ConnectEvent, FleetEvent, RecapEvent } from '../../src/model/events.js';
import { parseNdjson, runFleet } from './helpers/index.js';

const NAME = 'itlight';
const NET2 = 78;
const lab = lightLab(NAME, NET2);
const tmp = mkdtempSync(join(tmpdir(), 'fleet-scale-light-'));
const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();

/** A TCP proxy on `address` that holds the first `hold` connections silent (never forwards
 * them: the client sees no banner) and forwards the rest to the host's sshd. */
function slowProxy(address: string, h: LightHost, hold: number): Promise<{ count: () => number }> {
  let n = 0;
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (++n <= hold) return;
    const up = net.connect(LIGHT_PORT, h.address);
    sockets.add(up);
    up.on('close', () => sockets.delete(up));
    up.on('error', () => client.destroy());
    client.pipe(up).pipe(client);
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(LIGHT_PORT, address, () => resolve({ count: () => n })));
}

const hosts = {
  fine1: lightHost(lab, 1),
  fine2: lightHost(lab, 2),
  dead1: lightHost(lab, 3),
  dead2: lightHost(lab, 4),
  slow1: lightHost(lab, 5),
  slow2: lightHost(lab, 6),
  silent: lightHost(lab, 7),
};
const proxied = { slow1: `127.${NET2}.200.1`, slow2: `127.${NET2}.200.2`, silent: `127.${NET2}.200.3` } as const;
let proxies: Record<keyof typeof proxied, { count: () => number }>;

beforeAll(async () => {
  await lightUp(7, { name: NAME, net2: NET2 });
  lightStop(hosts.dead1);
  lightStop(hosts.dead2);
  proxies = {
    slow1: await slowProxy(proxied.slow1, hosts.slow1, 2),
    slow2: await slowProxy(proxied.slow2, hosts.slow2, 2),
    silent: await slowProxy(proxied.silent, hosts.silent, Infinity),
  };
  // The project: its inventory names each host by the address fleet must use (the proxy's
  // for the slow ones), and its known_hosts pins each host's own key at that address.
  mkdirSync(join(tmp, 'inventory'));
  mkdirSync(join(tmp, 'playbooks'));
  const lines = ['all:', '  vars:', `    ansible_port: ${LIGHT_PORT}`, `    private_key_file: ${lab.keyFile}`, '    connect_timeout: 2', '  hosts:'];
  const known: string[] = [];
  for (const [name, h] of Object.entries(hosts)) {
    const address = proxied[name as keyof typeof proxied] ?? h.address;
    lines.push(`    ${name}: { ansible_host: ${address}, light_root: ${h.root} }`);
    known.push(`[${address}]:${LIGHT_PORT} ${readFileSync(`${h.hostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}`);
  }
  writeFileSync(join(tmp, 'inventory', 'hosts.yml'), lines.join('\n') + '\n');
  writeFileSync(join(tmp, 'inventory', 'known_hosts'), known.join('\n') + '\n');
  writeFileSync(
    join(tmp, 'playbooks', 'site.yml'),
    ['- name: light', '  hosts: all', '  tasks:', '    - name: mark', '      copy: { dest: "{{ light_root }}/marker", content: "converged\\n", mode: "0644" }', ''].join('\n'),
  );
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  rmSync(tmp, { recursive: true, force: true });
  // Throws naming anything left (a process, the state dir).
  await lightDown({ name: NAME, net2: NET2 });
  expect(lightHosts(lab)).toEqual([]);
}, 60_000);

it('dead hosts are unreachable with the reason, slow ones converge after retries, the recap names them', async () => {
  const log = join(tmp, 'events.log');
  const run = await runFleet(['apply', 'playbooks/site.yml', '--log-file', log], { cwd: tmp, json: false, timeoutMs: 120_000 });
  const events = parseNdjson(readFileSync(log, 'utf8')) as (FleetEvent & { type: string })[];
  const recap = events.find((e): e is RecapEvent => e.type === 'recap');
  expect(recap, run.stderr).toBeDefined();
  expect(run.code).toBe(1);

  for (const h of ['fine1', 'fine2', 'slow1', 'slow2']) {
    expect(recap!.hosts[h], h).toMatchObject({ changed: 1, unreachable: 0, failed: 0 });
    expect(readFileSync(join(hosts[h as keyof typeof hosts].root, 'marker'), 'utf8')).toBe('converged\n');
  }
  for (const h of ['dead1', 'dead2', 'silent']) {
    expect(recap!.hosts[h], h).toMatchObject({ changed: 0, unreachable: 1 });
    expect(existsSync(join(hosts[h as keyof typeof hosts].root, 'marker'))).toBe(false);
  }
  const why = (h: string) => recap!.failures.find((f) => f.host === h)?.msg;
  // Nothing listens: an answer, said once, not retried.
  expect(why('dead1')).toBe(`dead1: cannot connect to ${hosts.dead1.address}:${LIGHT_PORT}: connection refused`);
  // Accepted, never a banner, in every try.
  expect(why('silent')).toBe(`silent: cannot connect to ${proxied.silent}:${LIGHT_PORT}: connected, but no SSH banner within 2 s (4 tries)`);
  expect(proxies.silent.count()).toBe(4);

  // The slow ones: two silent tries each, then in.
  const connects = events.filter((e): e is ConnectEvent => e.type === 'connect');
  for (const h of ['slow1', 'slow2'] as const) {
    expect(connects.find((e) => e.host === h)?.retries).toEqual(['connected, but no SSH banner within 2 s', 'connected, but no SSH banner within 2 s']);
    expect(proxies[h].count()).toBe(3);
  }
  expect(connects.find((e) => e.host === 'fine1')).not.toHaveProperty('retries');
  expect(run.stdout).toContain('slow1 | connected after 2 retries (connected, but no SSH banner within 2 s)');
  expect(run.stdout).toMatch(/CONNECTED AFTER RETRIES \(2\)\nslow1: connected after 2 retries \(connected, but no SSH banner within 2 s\)\nslow2: connected after 2 retries/);
  expect(run.stdout).toContain('3 hosts unreachable');
});
