// The tor role over real SSH on lab hosts, inside a private Tor network (helpers/tor-network.ts):
// onion services are created, validated and published (recap, later tasks, another host);
// a second apply changes nothing; drift is a diff; the keys survive a purge of tor and a
// wiped host through the controller's encrypted backup; the services answer through Tor;
// fleet manages a host through its SSH onion service, in one round trip, and the onion-only
// switch closes the public SSH port only once that way in is proven. No private key ever
// shows up in what fleet prints, emits or caches.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect } from '../../src/transport/index.js';
import type { HostSession } from '../../src/model/transport.js';
import type { Host } from '../../src/model/inventory.js';
import { describeLab, labHosts, labInfo, makeProject, REPO_ROOT, resetHost, resetHosts, runFleet, sshRun, taskEvents, type FleetRun, type Project } from './helpers/index.js';
import { startTorNetwork, type TorNetwork } from './helpers/tor-network.js';

const execFileP = promisify(execFile);
const ONION = /^[a-z2-7]{56}\.onion$/;
const DEFAULTS = '--defaults-torrc /usr/share/tor/tor-service-defaults-torrc';
const changed = (run: FleetRun, host: string) => run.recap?.hosts[host]?.changed ?? -1;
const explain = (run: FleetRun) => `exit ${run.code}\n${run.stderr.slice(-3000)}\n${JSON.stringify(run.recap?.failures ?? [], null, 1)}`;
const task = (run: FleetRun, host: string, name: string) => taskEvents(run, host).find((e) => e.task === name);
const roundTrips = (run: FleetRun, host: string) => (run.events.find((e) => e.type === 'host' && e.host === host) as { roundTrips?: number } | undefined)?.roundTrips;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** RFC 4648 base32 without padding, as tor writes x25519 keys for client authorization. */
function base32(data: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of data) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return bits > 0 ? out + alphabet[(value << (5 - bits)) & 31] : out;
}

describeLab('role tor', () => {
  let net: TorNetwork;
  let project: Project;
  let reader: ReturnType<typeof labHosts>[number];
  let a: ReturnType<typeof labHosts>[number];
  let b: ReturnType<typeof labHosts>[number];
  let home: string;
  let env: NodeJS.ProcessEnv;
  const runs: FleetRun[] = [];
  const addresses: Record<string, Record<string, string>> = {};
  const client = generateKeyPairSync('x25519');
  const clientPublic = base32(client.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32));
  const clientPrivate = base32(client.privateKey.export({ type: 'pkcs8', format: 'der' }).subarray(-32));

  const fleet = async (cmd: 'apply' | 'check', playbook: string, extra: string[] = [], json = true): Promise<FleetRun> => {
    const run = await runFleet([cmd, path.join(project.dir, 'playbooks', playbook), '-i', project.inventoryDir, ...extra], { cwd: project.dir, env, json, timeoutMs: 290_000 });
    runs.push(run);
    return run;
  };
  const hostVars = (name: string, vars: Record<string, unknown>) => fs.writeFileSync(path.join(project.inventoryDir, 'host_vars', `${name}.yml`), YAML.stringify(vars));
  const inventoryEntry = (name: string): Record<string, unknown> => {
    const inv = YAML.parse(fs.readFileSync(project.inventoryFile, 'utf8'));
    const h = labHosts().find((x) => x.name === name)!;
    return inv.all.children.lab.children[h.group].hosts[name];
  };
  /** A command on a host that only Tor reaches: fleet's own transport through the test client. */
  const onionSession = async (name: string): Promise<HostSession> => {
    const entry = inventoryEntry(name);
    const host: Host = {
      name,
      groups: ['all'],
      vars: {},
      varSources: {},
      connection: {
        address: String(entry.ansible_host),
        port: 22,
        user: 'root',
        become: false,
        privateKeyFile: labInfo().keyFile,
        socksProxy: net.socksProxy,
        connectTimeoutMs: 90_000,
        keepaliveIntervalMs: 15_000,
      },
    };
    // A private Tor network on a loaded machine sometimes answers a first connection with a
    // general SOCKS failure (a descriptor or circuit not ready yet, e.g. after another host was
    // wiped); Tor itself retries, so the test does too, as curlUntil does for HTTP.
    const deadline = Date.now() + 240_000;
    for (;;) {
      try {
        return await connect(host, { knownHostsFile: project.knownHostsFile, acceptNewHostKeys: false });
      } catch (err) {
        if (Date.now() > deadline || !/SOCKS5 proxy said/.test(String((err as Error).message))) throw err;
        await new Promise((r) => setTimeout(r, 5000));
      }
    }
  };
  const curl = async (url: string, timeoutS = 30): Promise<{ code: number; out: string }> => {
    try {
      const { stdout } = await execFileP('curl', ['-s', '-m', String(timeoutS), '--socks5-hostname', net.socksProxy, url]);
      return { code: 0, out: stdout };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  };
  /** Onion services take a while to publish: retry until the deadline. */
  const curlUntil = async (url: string, want: string, seconds: number): Promise<number> => {
    const t0 = Date.now();
    let last = { code: 0, out: '' };
    while (Date.now() - t0 < seconds * 1000) {
      last = await curl(url);
      if (last.code === 0 && last.out.includes(want)) return (Date.now() - t0) / 1000;
      await sleep(2000);
    }
    throw new Error(`${url} did not answer "${want}" through Tor within ${seconds} s (last: curl ${last.code} ${last.out.slice(0, 200)})`);
  };
  const webServer = (name: string, text: string) =>
    sshRun(name, `mkdir -p /srv/web && echo ${text} > /srv/web/index.html && (systemctl is-active --quiet fleet-test-web || systemd-run --quiet --unit=fleet-test-web python3 -m http.server 8080 --bind 127.0.0.1 --directory /srv/web)`);

  beforeAll(async () => {
    const hosts = labHosts();
    [reader, a, b] = [hosts[0], hosts[1], hosts[2]];
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-tor-home-'));
    const age = await import('age-encryption');
    const identityFile = path.join(home, 'age-identity.txt');
    fs.writeFileSync(identityFile, `${await age.generateX25519Identity()}\n`, { mode: 0o600 });
    env = { FLEET_AGE_IDENTITY_FILE: identityFile, XDG_CACHE_HOME: path.join(home, 'cache') };
    [net] = await Promise.all([
      startTorNetwork({ address: labInfo().controllerAddress, log: (m) => process.stderr.write(`[tor] ${m}\n`) }),
      resetHosts([a.name, b.name]),
    ]);
    project = makeProject({ hosts: [reader.name, a.name, b.name] });
    fs.symlinkSync(path.join(REPO_ROOT, 'roles'), path.join(project.dir, 'roles'));
    fs.mkdirSync(path.join(project.inventoryDir, 'group_vars'), { recursive: true });
    fs.mkdirSync(path.join(project.inventoryDir, 'host_vars'), { recursive: true });
    // The role's own variables carry the private network: nothing test-only is built in.
    fs.writeFileSync(
      path.join(project.inventoryDir, 'group_vars', 'all.yml'),
      YAML.stringify({ tor_dir_authorities: net.dirAuthorities, tor_extra_config: net.torrcLines, tor_controller_socks_proxy: net.socksProxy, tor_onion_wait: 240 }),
    );
    hostVars(a.name, {
      tor_ssh_onion: true,
      tor_onion_services: [
        { name: 'web', ports: [{ port: 80, target: '127.0.0.1:8080' }], pow: true },
        { name: 'private', ports: [{ port: 80, target: '8080' }], client_auth: [{ name: 'tester', key: clientPublic }] },
      ],
    });
    hostVars(b.name, { tor_onion_services: [{ name: 'api', ports: [{ port: 80, target: '127.0.0.1:8080' }] }] });
    const tpl = path.join(project.dir, 'templates', 'onion-of.hbs');
    fs.mkdirSync(path.dirname(tpl), { recursive: true });
    fs.writeFileSync(tpl, `# written by fleet from ${a.name}'s published address\n{{hostvars.${a.name}.tor_onion.addresses.web}}\n`);
    const write = (file: string, plays: object) => fs.writeFileSync(path.join(project.dir, 'playbooks', file), YAML.stringify(plays));
    fs.mkdirSync(path.join(project.dir, 'playbooks'), { recursive: true });
    write('site.yml', [
      { name: 'onion services', hosts: `${a.name},${b.name}`, roles: ['tor'] },
      { name: 'another host reads the address', hosts: reader.name, tasks: [{ name: 'write the web onion address', template: { src: tpl, dest: '/root/onion-of-a' } }] },
    ]);
    write('onion-only.yml', [{ name: 'onion-only management', hosts: `${a.name},${b.name}`, roles: ['tor', 'firewall'] }]);
    write('firewall.yml', [{ name: 'firewall alone', hosts: `${a.name},${b.name}`, roles: ['firewall'] }]);
  }, 600_000);

  afterAll(async () => {
    await net?.stop();
    project?.cleanup();
    if (home) fs.rmSync(home, { recursive: true, force: true });
    // The onion-only host has no public SSH port any more: give it back to the other tests.
    if (a) await resetHosts([a.name, b.name]);
  }, 300_000);

  it('first apply creates validated onion services, publishes their addresses, and another host reads one', async () => {
    const run = await fleet('apply', 'site.yml');
    expect(run.code, explain(run)).toBe(0);
    for (const h of [a.name, b.name]) expect(changed(run, h)).toBeGreaterThan(0);
    const outputs = run.recap?.outputs ?? {};
    for (const [h, names] of [[a.name, ['web', 'private', 'ssh']], [b.name, ['api']]] as const) {
      addresses[h] = {};
      for (const n of names) {
        const addr = outputs[h]?.[`tor_onion.addresses.${n}`];
        expect(addr, `${h} ${n} in ${JSON.stringify(outputs)}`).toMatch(ONION);
        addresses[h][n] = addr;
      }
    }
    const st = await sshRun(
      a.name,
      `tor --verify-config ${DEFAULTS} -f /etc/tor/torrc | tail -1; for s in web private ssh; do cat /var/lib/tor/onion/$s/hostname; stat -c '%U %a' /var/lib/tor/onion/$s; done; cat /var/lib/tor/onion/private/authorized_clients/tester.auth; grep -c '^HiddenServicePoWDefensesEnabled 1$' /etc/tor/onion-services.conf`,
    );
    expect(st.code, st.stderr).toBe(0);
    expect(st.stdout).toBe(
      ['Configuration was valid', ...['web', 'private', 'ssh'].flatMap((s) => [addresses[a.name][s], 'debian-tor 2700']), `descriptor:x25519:${clientPublic}`, '1', ''].join('\n'),
    );
    const reading = await sshRun(reader.name, 'tail -1 /root/onion-of-a');
    expect(reading.stdout.trim()).toBe(addresses[a.name].web);
    for (const [h, names] of Object.entries(addresses)) for (const n of Object.keys(names)) expect(fs.existsSync(path.join(project.inventoryDir, 'onion-keys', h, `${n}.age`))).toBe(true);
  });

  it('a second apply changes nothing and prints the addresses in its recap', async () => {
    const run = await fleet('apply', 'site.yml', ['--diff'], false);
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    expect(run.stdout).toContain('nothing changed');
    const recap = run.stdout.slice(run.stdout.lastIndexOf('RECAP'));
    expect(recap).toMatch(new RegExp(`^${a.name} +tor_onion\\.addresses\\.web = ${addresses[a.name].web}$`, 'm'));
    expect(recap).toContain(`tor_onion.addresses.ssh = ${addresses[a.name].ssh}`);
    expect(recap).toMatch(new RegExp(`^${b.name} +tor_onion\\.addresses\\.api = ${addresses[b.name].api}$`, 'm'));
  });

  it('a torrc edited by hand is drift: check shows it as a diff and changes nothing', async () => {
    const edit = await sshRun(a.name, "echo 'SocksPort 9999' >> /etc/tor/torrc; sha256sum /etc/tor/torrc; systemctl show -p MainPID --value tor@default");
    const run = await fleet('check', 'site.yml', ['-l', a.name, '--diff']);
    expect(run.code, explain(run)).toBe(2);
    const torrc = task(run, a.name, 'write torrc');
    expect(torrc?.status).toBe('changed');
    expect(torrc?.diff).toMatch(/^-SocksPort 9999$/m);
    const after = await sshRun(a.name, 'sha256sum /etc/tor/torrc; systemctl show -p MainPID --value tor@default');
    expect(after.stdout).toBe(edit.stdout);
    const fix = await fleet('apply', 'site.yml', ['-l', a.name]);
    expect(fix.code, explain(fix)).toBe(0);
    expect(task(fix, a.name, 'restart tor (its own settings changed, or keys were restored)')?.status).toBe('changed');
    expect((await sshRun(a.name, 'grep -c 9999 /etc/tor/torrc')).stdout.trim()).toBe('0');
  });

  it('in the private Tor network, the services answer through their onion addresses; client authorization lets only the key holder in', async () => {
    const boot = await net.waitBootstrapped();
    process.stderr.write(`[tor] test network client bootstrapped ${boot.toFixed(0)} s after start\n`);
    await webServer(a.name, 'hello-through-tor');
    const took = await curlUntil(`http://${addresses[a.name].web}/`, 'hello-through-tor', 240);
    process.stderr.write(`[tor] ${a.name}'s web service answered through Tor after ${took.toFixed(0)} s\n`);
    // Same tor, same server: without the client's key the descriptor cannot be read.
    const denied = await curl(`http://${addresses[a.name].private}/`, 20);
    expect(denied.out).not.toContain('hello-through-tor');
    fs.writeFileSync(path.join(net.clientAuthDir, 'tester.auth_private'), `${addresses[a.name].private.replace(/\.onion$/, '')}:descriptor:x25519:${clientPrivate}\n`, { mode: 0o600 });
    net.reloadClient();
    await curlUntil(`http://${addresses[a.name].private}/`, 'hello-through-tor', 120);
  });

  it('the onion-only switch is refused while the way in through Tor is not proven: the public SSH port stays open', async () => {
    const before = fs.readFileSync(project.inventoryFile, 'utf8');
    hostVars(b.name, {
      tor_onion_services: [{ name: 'api', ports: [{ port: 80, target: '127.0.0.1:8080' }] }],
      tor_ssh_onion: true,
      ssh_onion_only: true,
      tor_controller_socks_proxy: '127.0.0.1:9', // nothing listens there: no path through Tor
      tor_onion_wait: 0,
    });
    const run = await fleet('apply', 'onion-only.yml', ['-l', b.name]);
    expect(run.code).toBe(1);
    const proof = task(run, b.name, 'prove fleet reaches the host through its SSH onion service');
    expect(proof?.status).toBe('failed');
    expect(proof?.msg).toMatch(/could not open a fresh connection to [a-z2-7]{56}\.onion:22 through SOCKS5 proxy 127\.0\.0\.1:9/);
    expect(taskEvents(run, b.name).filter((e) => e.role === 'firewall')).toEqual([]);
    expect(fs.readFileSync(project.inventoryFile, 'utf8')).toBe(before);
    expect((await sshRun(b.name, 'true')).code).toBe(0);

    // The firewall alone refuses too: fleet does not reach the host through Tor.
    const fw = await fleet('apply', 'firewall.yml', ['-l', b.name]);
    expect(fw.code).toBe(1);
    const refusal = fw.recap?.failures.find((f) => f.task === 'refuse to close the public SSH port before fleet reaches the host through Tor');
    expect(refusal?.stderr).toContain(`fleet reaches ${b.name} directly, not through Tor`);
    expect((await sshRun(b.name, 'iptables-save | grep -c FLEET-INPUT || true')).stdout.trim()).toBe('0');
    hostVars(b.name, { tor_onion_services: [{ name: 'api', ports: [{ port: 80, target: '127.0.0.1:8080' }] }] });
  });

  it('the onion-only switch proves the way in through Tor, then closes the public SSH port; fleet manages the host through Tor in one round trip', async () => {
    hostVars(a.name, { ...YAML.parse(fs.readFileSync(path.join(project.inventoryDir, 'host_vars', `${a.name}.yml`), 'utf8')), ssh_onion_only: true });
    const run = await fleet('apply', 'onion-only.yml', ['-l', a.name]);
    expect(run.code, explain(run)).toBe(0);
    expect(task(run, a.name, 'prove fleet reaches the host through its SSH onion service')?.msg).toContain(`proved a fresh connection to ${addresses[a.name].ssh}:22 through SOCKS5 proxy ${net.socksProxy}`);
    const confirm = task(run, a.name, 'confirm the ruleset over a fresh connection');
    expect(confirm?.status).toBe('ok');
    expect(confirm?.msg).toContain(addresses[a.name].ssh);
    expect(inventoryEntry(a.name)).toMatchObject({ ansible_host: addresses[a.name].ssh, socks_proxy: net.socksProxy });
    expect(fs.readFileSync(project.knownHostsFile, 'utf8')).toContain(`${addresses[a.name].ssh} ssh-`);

    // The public port is closed: a direct connection gets nowhere.
    const direct = await sshRun(a.name, 'true', { timeoutMs: 20_000 });
    expect(direct.code).not.toBe(0);
    // fleet still manages it, through Tor: nothing to change, one round trip once the
    // query results of a run through this address are known.
    for (let i = 0; i < 2; i++) {
      const check = await fleet('check', 'onion-only.yml', ['-l', a.name]);
      expect(check.code, explain(check)).toBe(0);
      if (i === 1) expect(roundTrips(check, a.name)).toBe(1);
    }
    const again = await fleet('apply', 'onion-only.yml', ['-l', a.name]);
    expect(again.code, explain(again)).toBe(0);
    expect(changed(again, a.name)).toBe(0);
  });

  it('a new onion service reloads tor (not a restart): fleet’s own session through Tor and an open one survive', async () => {
    const held = await onionSession(a.name);
    try {
      const pid = (await held.run('systemctl show -p MainPID --value tor@default\n')).stdout.trim();
      const vars = YAML.parse(fs.readFileSync(path.join(project.inventoryDir, 'host_vars', `${a.name}.yml`), 'utf8'));
      vars.tor_onion_services.push({ name: 'extra', ports: [{ port: 8443, target: '127.0.0.1:8080' }] });
      hostVars(a.name, vars);
      const run = await fleet('apply', 'onion-only.yml', ['-l', a.name]);
      expect(run.code, explain(run)).toBe(0);
      expect(task(run, a.name, 'reload tor (only onion services changed)')?.status).toBe('changed');
      expect(task(run, a.name, 'restart tor (its own settings changed, or keys were restored)')?.status).toBe('skipped');
      expect(run.events.filter((e) => e.type === 'connect' && e.host === a.name)).toHaveLength(1);
      expect(run.recap?.outputs?.[a.name]?.['tor_onion.addresses.extra']).toMatch(ONION);
      const after = await held.run('systemctl show -p MainPID --value tor@default; cat /var/lib/tor/onion/extra/hostname\n');
      expect(after.rc).toBe(0);
      expect(after.stdout).toBe(`${pid}\n${run.recap?.outputs?.[a.name]?.['tor_onion.addresses.extra']}\n`);
      await curlUntil(`http://${run.recap?.outputs?.[a.name]?.['tor_onion.addresses.extra']}:8443/`, 'hello-through-tor', 240);
    } finally {
      held.close();
    }
  });

  it('purging tor and applying again keeps the addresses; recorded in the inventory, fleet vars shows them', async () => {
    const purge = await sshRun(b.name, 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q tor >/dev/null 2>&1; test -e /var/lib/tor && echo kept || echo gone');
    expect(purge.stdout.trim()).toBe('gone');
    hostVars(b.name, { tor_onion_services: [{ name: 'api', ports: [{ port: 80, target: '127.0.0.1:8080' }] }], tor_record_address: true });
    const run = await fleet('apply', 'site.yml', ['-l', b.name]);
    expect(run.code, explain(run)).toBe(0);
    expect(task(run, b.name, 'restore missing keys from the controller\'s backup')?.status).toBe('changed');
    expect(run.recap?.outputs?.[b.name]).toEqual({ 'tor_onion.addresses.api': addresses[b.name].api });
    expect((await sshRun(b.name, 'cat /var/lib/tor/onion/api/hostname')).stdout.trim()).toBe(addresses[b.name].api);
    expect(inventoryEntry(b.name)).toMatchObject({ onion_address: addresses[b.name].api, onion_addresses: { api: addresses[b.name].api } });
    const vars = await runFleet(['vars', b.name, 'onion_address', '-i', project.inventoryDir], { cwd: project.dir, json: false });
    expect(vars.code, vars.stderr).toBe(0);
    expect(vars.stdout).toContain(addresses[b.name].api);
  });

  it('a wiped host gets its old addresses back from the controller’s backup, and serves on them', async () => {
    await resetHost(b.name);
    expect((await sshRun(b.name, 'test -e /var/lib/tor && echo kept || echo gone')).stdout.trim()).toBe('gone');
    const run = await fleet('apply', 'site.yml', ['-l', b.name]);
    expect(run.code, explain(run)).toBe(0);
    expect(task(run, b.name, 'restore missing keys from the controller\'s backup')?.msg).toContain(`api (${addresses[b.name].api})`);
    expect(run.recap?.outputs?.[b.name]).toEqual({ 'tor_onion.addresses.api': addresses[b.name].api });
    await webServer(b.name, 'hello-from-the-rebuilt-host');
    await curlUntil(`http://${addresses[b.name].api}/`, 'hello-from-the-rebuilt-host', 240);
    const again = await fleet('apply', 'site.yml', ['-l', b.name]);
    expect(changed(again, b.name)).toBe(0);
  });

  it('no onion private key shows up in fleet’s output, events, diffs or cache', async () => {
    const held = await onionSession(a.name);
    const secrets: Buffer[] = [];
    try {
      for (const s of ['web', 'private', 'ssh', 'extra']) {
        const r = await held.run(`base64 -w0 /var/lib/tor/onion/${s}/hs_ed25519_secret_key\n`);
        secrets.push(Buffer.from(r.stdout, 'base64'));
      }
    } finally {
      held.close();
    }
    secrets.push(Buffer.from((await sshRun(b.name, 'base64 -w0 /var/lib/tor/onion/api/hs_ed25519_secret_key')).stdout, 'base64'));
    const forms = (file: Buffer): string[] => {
      const key = file.subarray(32);
      expect(key).toHaveLength(64);
      const out = [file.toString('base64'), key.toString('base64'), key.toString('hex'), key.toString('latin1'), createHash('sha256').update(key).digest('hex')];
      // The key's bytes wherever they sit in a larger base64 text: the three alignments.
      for (let shift = 0; shift < 3; shift++) out.push(Buffer.concat([Buffer.alloc(shift), key]).toString('base64').slice(Math.ceil((shift * 4) / 3) + 1, -4));
      return out;
    };
    const texts: [string, string][] = runs.map((r, i) => [`run ${i + 1}`, `${r.stdout}\n${r.stderr}`]);
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile() && !p.endsWith('.age')) texts.push([p, fs.readFileSync(p, 'latin1')]);
      }
    };
    walk(path.join(home, 'cache'));
    walk(project.inventoryDir);
    expect(texts.some(([where]) => where.includes(path.join(home, 'cache')))).toBe(true);
    expect(runs.length).toBeGreaterThan(8);
    for (const s of secrets) {
      for (const form of forms(s)) {
        for (const [where, text] of texts) expect(text.includes(form), `a form of a secret key is in ${where}`).toBe(false);
      }
    }
  });
});
