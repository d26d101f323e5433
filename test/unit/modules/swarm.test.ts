// The docker and swarm modules' decisions, with fake ports: which host initialises, who
// joins through whom, what is refused, what a drift diff looks like, and that the join
// token only ever travels inside the join script and is registered as a secret first.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ActionPorts } from '../../../src/modules/lib/controller.js';
import { parseNodeList, parseSwarmState } from '../../../src/modules/lib/swarm.js';
import { readDockerArchive } from '../../../src/modules/lib/docker-archive.js';
import { runSwarmMember, swarmMember } from '../../../src/modules/swarm_member.js';
import { runSwarmNode, swarmNode } from '../../../src/modules/swarm_node.js';
import { dockerImage, normaliseRef, runDockerImage } from '../../../src/modules/docker_image.js';
import { dockerNetworks } from '../../../src/modules/docker_networks.js';
import { params } from './helpers.js';

const TOKEN = 'SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx';

interface FakeHost {
  state: string; // inactive, active, nodocker
  manager?: boolean;
  nodeId?: string;
  unreachable?: boolean;
  spec?: object;
  imageId?: string;
}

function fake(self: string, hosts: Record<string, FakeHost>, opts: { check?: boolean; pendingAfter?: string; groups?: Record<string, string[]> } = {}) {
  const scripts: { host: string; script: string }[] = [];
  const secrets: string[] = [];
  const warnings: string[] = [];
  const uploads: string[] = [];
  const memo = new Map<string, Promise<unknown>>();
  const groups = opts.groups ?? { managers: ['m1'], workers: ['w1', 'w2'] };
  const exec = async (host: string, script: string) => {
    scripts.push({ host, script });
    const h = hosts[host];
    if (!h || h.unreachable) throw new Error(`${host}: cannot connect`);
    if (script.includes('Swarm.LocalNodeState')) {
      if (h.state === 'nodocker') return { rc: 0, stdout: 'state=nodocker\n', stderr: '' };
      return { rc: 0, stdout: `state=${h.state}\nnode=${h.nodeId ?? ''}\nmanager=${!!h.manager}\ncluster=${h.state === 'active' ? 'c1' : ''}\naddr=${h.state === 'active' ? `${host}-addr` : ''}\nmanagers=1\nerror=\n`, stderr: '' };
    }
    if (script.includes('join-token')) return { rc: 0, stdout: `${TOKEN}\n`, stderr: '' };
    if (script.includes('docker swarm init') || script.includes('docker swarm join')) {
      h.state = 'active';
      h.manager = script.includes('init') || script.includes('manager');
      return { rc: 0, stdout: '', stderr: '' };
    }
    if (script.includes('{{.ID}} {{json .Spec}}')) {
      const lines = Object.values(hosts).filter((x) => x.nodeId).map((x) => `${x.nodeId} ${JSON.stringify(x.spec ?? {})}`);
      return { rc: 0, stdout: lines.join('\n') + '\n', stderr: '' };
    }
    if (script.includes('docker node inspect')) return { rc: 0, stdout: JSON.stringify(h.spec ?? {}), stderr: '' };
    if (script.includes('docker node update')) return { rc: 0, stdout: '', stderr: '' };
    if (script.includes('docker node ls')) return { rc: 0, stdout: '"m1"\t"m1"\t"manager"\t"active"\t"ready"\t"reachable"L\t"10.0.0.1"\n', stderr: '' };
    if (script.includes('docker image inspect') && !script.includes('docker load')) return { rc: 0, stdout: `id=${h.imageId ?? 'none'}\n`, stderr: '' };
    if (script.includes('docker load')) return { rc: 0, stdout: `${h.imageId}\n`, stderr: '' };
    return { rc: 0, stdout: '', stderr: '' };
  };
  const ports: ActionPorts = {
    host: self,
    check: opts.check ?? false,
    pendingAfter: opts.pendingAfter,
    run: (s) => exec(self, s),
    runOn: (h, s) => exec(h, s),
    upload: async (file, dest) => {
      uploads.push(`${file} -> ${dest}`);
      return { rc: 0, stdout: '', stderr: '' };
    },
    groupHosts: (g) => groups[g] ?? [],
    address: (h) => `${h}-addr`,
    runHosts: () => Object.keys(hosts),
    waitForHost: async () => undefined,
    warn: (m) => void warnings.push(m),
    secret: (v) => void secrets.push(v),
    memo: <T>(key: string, read: () => Promise<T>) => {
      if (!memo.has(key)) memo.set(key, read());
      return memo.get(key) as Promise<T>;
    },
    forget: (key) => void memo.delete(key),
  };
  return { ports, scripts, secrets, warnings, uploads };
}

const member = (extra: Record<string, unknown> = {}) => params(swarmMember, { manager_group: 'managers', worker_group: 'workers', ...extra });

describe('swarm_member', () => {
  it('the first manager initialises the swarm when no other manager runs one, advertising its address', async () => {
    const f = fake('m1', { m1: { state: 'inactive' } });
    const r = await runSwarmMember(member(), f.ports);
    expect(r).toMatchObject({ status: 'changed', msg: 'initialise the swarm, advertising m1-addr:2377' });
    expect(f.scripts.find((s) => s.script.includes('swarm init'))!.script).toContain('docker swarm init --advertise-addr m1-addr --listen-addr m1-addr:2377');
  });

  it('a worker joins through the live manager with a token read at that moment: registered as a secret, only in the join script', async () => {
    const f = fake('w1', { m1: { state: 'active', manager: true }, w1: { state: 'inactive' } });
    const r = await runSwarmMember(member(), f.ports);
    expect(r.status).toBe('changed');
    expect(r.msg).toBe('join the swarm as worker via m1 (m1-addr:2377), advertising w1-addr');
    expect(f.secrets).toEqual([TOKEN]);
    const read = f.scripts.findIndex((s) => s.script.includes('join-token -q worker') && s.host === 'm1');
    const join = f.scripts.findIndex((s) => s.script.includes('docker swarm join --token'));
    expect(read).toBeGreaterThanOrEqual(0);
    expect(join).toBeGreaterThan(read);
    expect(f.scripts[join].host).toBe('w1');
    expect(f.scripts.filter((s) => s.script.includes(TOKEN)).map((s) => s.host)).toEqual(['w1']);
    expect(JSON.stringify(r)).not.toContain(TOKEN);
  });

  it('check mode says who it would join through, reads no token and changes nothing', async () => {
    const f = fake('w1', { m1: { state: 'active', manager: true }, w1: { state: 'inactive' } }, { check: true });
    const r = await runSwarmMember(member(), f.ports);
    expect(r).toMatchObject({ status: 'changed', msg: 'will join the swarm as worker via m1 (m1-addr:2377), advertising w1-addr' });
    expect(r.diff).toContain('-not in a swarm\n+worker via m1');
    expect(f.scripts.some((s) => /join-token|swarm join|swarm init/.test(s.script))).toBe(false);
  });

  it('check mode on a host without docker yet: will change after the pending docker install', async () => {
    const f = fake('w1', { m1: { state: 'nodocker' }, w1: { state: 'nodocker' } }, { check: true, pendingAfter: 'install docker' });
    expect(await runSwarmMember(member(), f.ports)).toMatchObject({ status: 'changed', after: 'install docker' });
  });

  it('never initialises a second swarm: refused while another manager cannot be read', async () => {
    const f = fake('m1', { m1: { state: 'inactive' }, m2: { state: 'inactive', unreachable: true }, m3: { state: 'inactive' } }, { groups: { managers: ['m1', 'm2', 'm3'], workers: [] } });
    const r = await runSwarmMember(member(), f.ports);
    expect(r.status).toBe('failed');
    expect(r.msg).toMatch(/refusing to initialise a new swarm: cannot tell whether m2 unreachable/);
    expect(f.scripts.some((s) => s.script.includes('swarm init'))).toBe(false);
  });

  it('a worker with no live manager fails with what it saw', async () => {
    const f = fake('w1', { m1: { state: 'inactive' }, w1: { state: 'inactive' } });
    f.ports.runHosts = () => ['w1'];
    const r = await runSwarmMember(member(), f.ports);
    expect(r.status).toBe('failed');
    expect(r.msg).toMatch(/no live manager to join: none of m1 runs the swarm \(m1 is inactive\); apply to m1 first/);
  });

  it('warns once about an even number of managers; a member in the right role is ok', async () => {
    const f = fake('m1', { m1: { state: 'active', manager: true }, m2: { state: 'active', manager: true } }, { groups: { managers: ['m1', 'm2'], workers: [] } });
    expect((await runSwarmMember(member(), f.ports)).status).toBe('ok');
    expect(f.warnings[0]).toMatch(/2 managers in group 'managers'.*use an odd number/);
  });

  it('refuses to demote the last manager', async () => {
    const f = fake('m1', { m1: { state: 'active', manager: true, nodeId: 'm1' } }, { groups: { managers: [], workers: ['m1'] } });
    const r = await runSwarmMember(member(), f.ports);
    expect(r.status).toBe('failed');
    expect(r.msg).toMatch(/refusing to demote m1: it is the swarm's last manager/);
  });

  it('promotes a worker moved to the managers group, on a live manager; check mode shows the role diff', async () => {
    const hosts = { m1: { state: 'active', manager: true }, w1: { state: 'active', manager: false, nodeId: 'n-w1' } };
    const groups = { managers: ['m1', 'w1'], workers: [] };
    const c = fake('w1', structuredClone(hosts), { check: true, groups });
    const rc = await runSwarmMember(member(), c.ports);
    expect(rc, JSON.stringify(rc)).toMatchObject({ status: 'changed', msg: 'will promote w1 to manager (on m1)' });
    expect(rc.diff).toContain('-worker\n+manager');
    const f = fake('w1', structuredClone(hosts), { groups });
    // The node becomes a manager once a manager promoted it.
    const promoted = () => f.scripts.some((x) => x.script.includes('docker node promote'));
    f.ports.run = async (s) => ({ rc: 0, stdout: s.includes('LocalNodeState') ? `state=active\nnode=n-w1\nmanager=${promoted()}\n` : '', stderr: '' });
    expect(await runSwarmMember(member(), f.ports)).toMatchObject({ status: 'changed', msg: 'promote w1 to manager (on m1)' });
    expect(f.scripts.find((s) => s.script.includes('docker node promote'))).toMatchObject({ host: 'm1', script: 'docker node promote n-w1 >/dev/null\n' });
  });
});

describe('swarm_node', () => {
  const spec = { Labels: { zone: 'z', old: '1' }, Availability: 'active' };
  it('label drift is a diff of the node spec; check mode changes nothing', async () => {
    const f = fake('w1', { m1: { state: 'active', manager: true }, w1: { state: 'active', nodeId: 'n1', spec } }, { check: true });
    const r = await runSwarmNode(params(swarmNode, { manager_group: 'managers', labels: { zone: 'b' } }), f.ports);
    expect(r.status).toBe('changed');
    expect(r.msg).toBe('will set label zone=b, remove label old (on m1)');
    expect(r.diff).toBe('--- swarm node w1 (live)\n+++ swarm node w1 (inventory)\n availability: active\n-label old=1\n-label zone=z\n+label zone=b\n');
    // Read on the manager; every node's spec in one read.
    expect(f.scripts.filter((x) => x.script.includes('{{json .Spec}}')).map((x) => x.host)).toEqual(['m1']);
    expect(f.scripts.some((x) => x.host === 'm1' && /docker node update/.test(x.script))).toBe(false);
  });

  it('a second host of the same run reuses the managers\' state and the node specs (one read each per run)', async () => {
    const hosts = { m1: { state: 'active', manager: true, nodeId: 'n0' }, w1: { state: 'active', nodeId: 'n1', spec }, w2: { state: 'active', nodeId: 'n2', spec } };
    const f = fake('w1', hosts);
    await runSwarmNode(params(swarmNode, { manager_group: 'managers', labels: { zone: 'z', old: '1' } }), f.ports);
    const before = f.scripts.filter((x) => x.host === 'm1').length;
    f.ports.host = 'w2';
    f.ports.run = (s) => f.ports.runOn('w2', s);
    expect((await runSwarmNode(params(swarmNode, { manager_group: 'managers', labels: { zone: 'z', old: '1' } }), f.ports)).status).toBe('ok');
    expect(f.scripts.filter((x) => x.host === 'm1').length).toBe(before);
  });

  it('labels as in the inventory: ok; labels_exclusive false keeps foreign labels', async () => {
    const f = fake('m1', { m1: { state: 'active', manager: true, nodeId: 'n1', spec } });
    expect((await runSwarmNode(params(swarmNode, { manager_group: 'managers', labels: { zone: 'z', old: 1 } }), f.ports)).status).toBe('ok');
    expect((await runSwarmNode(params(swarmNode, { manager_group: 'managers', labels: { zone: 'z' }, labels_exclusive: false }), f.ports)).status).toBe('ok');
  });
});

function dockerSave(tags: string[]): { file: string; id: string } {
  const d = mkdtempSync(join(tmpdir(), 'fleet-save-'));
  const img = join(d, 'img');
  mkdirSync(join(img, 'abc'), { recursive: true });
  writeFileSync(join(img, 'abc', 'layer.tar'), 'x'.repeat(2000));
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } });
  writeFileSync(join(img, 'cfg.json'), config);
  writeFileSync(join(img, 'manifest.json'), JSON.stringify([{ Config: 'cfg.json', RepoTags: tags, Layers: ['abc/layer.tar'] }]));
  const file = join(d, 'img.tar');
  execFileSync('tar', ['-C', img, '-cf', file, '.']);
  return { file, id: `sha256:${createHash('sha256').update(config).digest('hex')}` };
}

describe('docker_image', () => {
  it('reads the image id and tags of a docker save tarball', () => {
    const { file, id } = dockerSave(['app:1']);
    expect(readDockerArchive(file)).toMatchObject({ id, tags: ['app:1'] });
    const bad = join(mkdtempSync(join(tmpdir(), 'fleet-save-')), 'x.tar');
    execFileSync('tar', ['-C', tmpdir(), '-cf', bad, '--files-from=/dev/null']);
    expect(() => readDockerArchive(bad)).toThrow(/no manifest.json in the archive/);
    expect(normaliseRef('app')).toBe('app:latest');
    expect(normaliseRef('reg:5000/app')).toBe('reg:5000/app:latest');
  });

  it('skips the transfer when the host has the same image id; uploads and loads otherwise', async () => {
    const { file, id } = dockerSave(['app:1']);
    const same = fake('w1', { w1: { state: 'active', imageId: id } });
    expect(await runDockerImage(params(dockerImage, { name: 'app:1', src: file }), same.ports)).toMatchObject({ status: 'ok' });
    expect(same.uploads).toEqual([]);
    const other = fake('w1', { w1: { state: 'active', imageId: id } });
    other.ports.run = async (s) => ({ rc: 0, stdout: s.includes('docker load') ? `${id}\n` : 'id=sha256:0000\n', stderr: '' });
    const r = await runDockerImage(params(dockerImage, { name: 'app:1', src: file }), other.ports);
    expect(r.status).toBe('changed');
    expect(other.uploads).toEqual([`${file} -> /var/tmp/fleet-image-${id.slice(7, 19)}.tar`]);
  });

  it('refuses an archive that does not hold the named image', async () => {
    const { file } = dockerSave(['other:2']);
    const r = await runDockerImage(params(dockerImage, { name: 'app:1', src: file }), fake('w1', { w1: { state: 'active' } }).ports);
    expect(r).toMatchObject({ status: 'failed' });
    expect(r.msg).toMatch(/holds other:2, not app:1/);
  });
});

describe('docker_networks', () => {
  const p = params(dockerNetworks, { networks: [{ name: 'net', encrypted: true }] });
  it('plans a missing network, an identical one, and a drifted one', () => {
    expect(dockerNetworks.plan(p, '@@fleet-no-docker\n')).toEqual({ kind: 'blocked', reason: 'docker is not installed' });
    expect(dockerNetworks.plan(p, "@@fleet-network net\n@@fleet-network-absent\n")).toMatchObject({ kind: 'change', summary: 'create overlay network net (encrypted)' });
    const live = { Driver: 'overlay', Attachable: false, Internal: false, Options: { encrypted: '' }, Labels: {} };
    expect(dockerNetworks.plan(p, `@@fleet-network net\n${JSON.stringify(live)}\n`)).toEqual({ kind: 'ok', note: 'net' });
    const drift = dockerNetworks.plan(p, `@@fleet-network net\n${JSON.stringify({ ...live, Options: {} })}\n`);
    expect(drift).toMatchObject({ kind: 'change' });
    expect((drift as { diff: string }).diff).toContain('-encrypted: false\n');
    expect((drift as { diff: string }).diff).toContain('+encrypted: true\n');
  });
});

describe('swarm state parsing', () => {
  it('reads docker info and docker node inspect lines', () => {
    expect(parseSwarmState('state=active\nnode=abc\nmanager=true\ncluster=c\naddr=10.0.0.1\nmanagers=3\nerror=\n')).toEqual({ state: 'active', nodeId: 'abc', manager: true, cluster: 'c', addr: '10.0.0.1', managers: 3, error: '' });
    expect(parseNodeList('"id1"\t"m1"\t"manager"\t"active"\t"ready"\t"reachable"L\t"10.0.0.1"\n"id2"\t"w1"\t"worker"\t"drain"\t"down"\t""\t"10.0.0.2"\n')).toEqual([
      { id: 'id1', hostname: 'm1', role: 'manager', availability: 'active', status: 'ready', managerStatus: 'Leader', addr: '10.0.0.1' },
      { id: 'id2', hostname: 'w1', role: 'worker', availability: 'drain', status: 'down', managerStatus: '', addr: '10.0.0.2' },
    ]);
  });
});
