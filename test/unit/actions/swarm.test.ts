// The docker and swarm actions' decisions, with fake ports: a converged member or manager
// decides from its own probe alone (no round trip of its own); which host initialises, who
// joins through whom, what is refused, what a drift diff looks like, and that the join token
// only ever travels inside the join script and is registered as a secret first.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it, vi } from 'vitest';
import { BATCH_WAIT_MS, batchScript, parseBatch } from '../../../src/actions/lib/swarm-spec-batch.js';
import { UploadError, type ActionContext, type ActionPorts } from '../../../src/model/action.js';
import type { Vars } from '../../../src/model/inventory.js';
import { parseNodeList, parseNodeSpecs, parseSwarmState, SWARM_STATE_SCRIPT, NODE_SPECS_SCRIPT } from '../../../src/actions/lib/swarm.js';
import { readDockerArchive } from '../../../src/actions/lib/docker-archive.js';
import { swarmMember } from '../../../src/actions/swarm-member.js';
import { swarmNodes } from '../../../src/actions/swarm-nodes.js';
import { dockerImage, normaliseRef } from '../../../src/actions/docker-image.js';
import { dockerNetworks } from '../../../src/modules/docker_networks.js';
import { params as moduleParams } from '../modules/helpers.js';
import { host } from '../engine/fixtures.js';
import { stubPorts } from './stub-ports.js';

const TOKEN = 'SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx';
const MANAGER_TOKEN = `${TOKEN}m`;
const ajv = new Ajv({ useDefaults: true, strict: false });
function params<T>(a: { schema: object }, raw: Record<string, unknown>): T {
  const copy = structuredClone(raw);
  if (!ajv.compile(a.schema)(copy)) throw new Error(`invalid params: ${ajv.errorsText()}`);
  return copy as T;
}

interface FakeHost {
  state: string; // inactive, active, nodocker
  manager?: boolean;
  nodeId?: string;
  unreachable?: boolean;
  labels?: Record<string, string>;
  availability?: string;
  imageId?: string;
  vars?: Vars;
}

function stateOut(host: string, h: FakeHost): string {
  if (h.state === 'nodocker') return 'state=nodocker\n';
  const active = h.state === 'active';
  return `state=${h.state}\nnode=${h.nodeId ?? ''}\nmanager=${!!h.manager}\ncluster=${active ? 'c1' : ''}\naddr=${active ? `${host}-addr` : ''}\nmanagers=1\nerror=\n`;
}

function specsOut(hosts: Record<string, FakeHost>): string {
  return Object.entries(hosts)
    .filter(([, x]) => x.state === 'active')
    .map(([name, x]) =>
      [x.nodeId ?? `n-${name}`, name, { Labels: x.labels ?? {}, Availability: x.availability ?? 'active', Role: x.manager ? 'manager' : 'worker' }, { State: 'ready', Addr: `${name}-addr` }, x.manager ? { Addr: `${name}-addr:2377` } : null]
        .map((v) => JSON.stringify(v))
        .join('\t'),
    )
    .join('\n');
}

function fake(self: string, hosts: Record<string, FakeHost>, opts: { check?: boolean; pendingAfter?: string; groups?: Record<string, string[]> } = {}) {
  const scripts: { host: string; script: string; last?: boolean }[] = [];
  const secrets: string[] = [];
  const warnings: string[] = [];
  const uploads: string[] = [];
  const groups = opts.groups ?? { managers: ['m1'], workers: ['w1', 'w2'] };
  const exec = async (name: string, script: string, last?: boolean) => {
    scripts.push({ host: name, script, ...(last ? { last } : {}) });
    const h = hosts[name];
    if (!h || h.unreachable) throw new Error(`${name}: cannot connect`);
    if (script === SWARM_STATE_SCRIPT) return { rc: 0, stdout: stateOut(name, h), stderr: '' };
    if (script === NODE_SPECS_SCRIPT) return { rc: 0, stdout: specsOut(hosts), stderr: '' };
    if (script.startsWith('docker swarm join-token')) return { rc: 0, stdout: `${script.includes('manager') ? MANAGER_TOKEN : TOKEN}\n`, stderr: '' };
    if (script.includes('docker swarm init') || script.includes('docker swarm join')) {
      const change = script.endsWith(SWARM_STATE_SCRIPT) ? script.slice(0, -SWARM_STATE_SCRIPT.length) : script;
      h.state = 'active';
      h.manager = change.includes('init') || change.includes(MANAGER_TOKEN);
      h.nodeId ??= `n-${name}`;
      // The change's own script reads the state after it (and an init's sets its own labels).
      if (script.includes('docker node update')) h.labels = { ...h.labels, zone: 'set-by-init' };
      const state = script.includes(SWARM_STATE_SCRIPT) ? stateOut(name, h) : '';
      // An init's script reads the join tokens last (tokensAfterState), base64 on their own lines.
      const tokens = (['manager', 'worker'] as const)
        .filter((r) => script.includes(`join-token -q ${r}`))
        .map((r) => `token_${r}_b64=${Buffer.from(r === 'manager' ? MANAGER_TOKEN : TOKEN).toString('base64')}\n`);
      return { rc: 0, stdout: state + (script.includes('docker node update') ? 'spec=0\n' : '') + tokens.join(''), stderr: '' };
    }
    if (script.includes('@@fleet-node-specs')) {
      // A joiners' labels batch (swarm-spec-batch.ts): each update, then the node list.
      const out = script.split('\n').flatMap((line) => {
        const m = /^e=\$\(docker node update (.*) '([^']*)' 2>&1 >\/dev\/null\); printf '@@fleet-spec (\d+)/.exec(line);
        if (!m) return [];
        const target = Object.values(hosts).find((x) => x.nodeId === m[2]);
        if (!target || m[1].includes('fail=')) return [`@@fleet-spec ${m[3]} 1`, `@@fleet-spec-err ${m[3]} Error: node ${m[2]} refused`];
        for (const [, k, v] of m[1].matchAll(/--label-add ([^= ]+)=(\S+)/g)) target.labels = { ...target.labels, [k]: v };
        return [`@@fleet-spec ${m[3]} 0`];
      });
      return { rc: 0, stdout: [...out, '@@fleet-node-specs', specsOut(hosts), ''].join('\n'), stderr: '' };
    }
    if (script.includes('docker node ls -q | xargs')) return { rc: 0, stdout: '"m1"\t"m1"\t"manager"\t"active"\t"ready"\t"reachable"L\t"10.0.0.1"\n', stderr: '' };
    if (script.includes('docker load')) return { rc: 0, stdout: `${h.imageId}\n`, stderr: '' };
    return { rc: 0, stdout: '', stderr: '' };
  };
  const ports: ActionPorts = {
    ...stubPorts(),
    runOn: (h, s, o) => exec(h, s, o?.last),
    upload: async (file, dest) => void uploads.push(`${file} -> ${dest}`),
    uploadAndRun: async (file, dest, s, o) => {
      uploads.push(`${file} -> ${dest}`);
      return exec(o?.host ?? self, s, o?.last);
    },
    groupHosts: (g) => groups[g] ?? [],
    hostVars: (h) => hosts[h]?.vars ?? {},
    address: (h) => `${h}-addr`,
    playHosts: () => Object.keys(hosts),
    warn: (m) => void warnings.push(m),
    secret: (v) => void secrets.push(v),
  };
  const ctx = (probe: string): ActionContext => ({
    host: self,
    connection: host(self).connection,
    vars: {},
    check: opts.check ?? false,
    pendingAfter: opts.pendingAfter,
    probed: { rc: 0, stdout: probe, stderr: '' },
  });
  return { ports, scripts, secrets, warnings, uploads, hosts, self, ctx };
}

type Fake = ReturnType<typeof fake>;
const member = (extra: Record<string, unknown> = {}) => params<never>(swarmMember, { manager_group: 'managers', worker_group: 'workers', ...extra });
const runMember = (f: Fake, extra: Record<string, unknown> = {}) => swarmMember.run(member(extra), f.ctx(stateOut(f.self, f.hosts[f.self])), f.ports);
const nodesParams = (extra: Record<string, unknown> = {}) => params<never>(swarmNodes, { manager_group: 'managers', worker_group: 'workers', ...extra });
const runNodes = (f: Fake, extra: Record<string, unknown> = {}) => swarmNodes.run(nodesParams(extra), f.ctx(specsOut(f.hosts)), f.ports);

describe('swarm_member', () => {
  it('reads its state with the host\'s probes; a member in the right role is ok without a round trip', async () => {
    expect(swarmMember.probe!(member())).toBe(SWARM_STATE_SCRIPT);
    for (const self of ['m1', 'w1']) {
      const f = fake(self, { m1: { state: 'active', manager: true }, w1: { state: 'active' } });
      expect(await runMember(f)).toMatchObject({ status: 'ok', msg: `${self === 'm1' ? 'manager' : 'worker'} of swarm c1` });
      expect(f.scripts, `${self} made a round trip`).toEqual([]);
    }
  });

  it('the first manager initialises the swarm when no other manager runs one, advertising its address, with its labels', async () => {
    const f = fake('m1', { m1: { state: 'inactive' } });
    const r = await runMember(f, { labels: { zone: 'a' } });
    expect(r).toMatchObject({ status: 'changed', msg: 'initialise the swarm, advertising m1-addr:2377' });
    expect(f.scripts.find((s) => s.script.includes('swarm init'))!.script).toContain('docker swarm init --advertise-addr m1-addr --listen-addr m1-addr:2377');
    // Its own labels in the same script, once it reads itself an active manager.
    expect(f.scripts).toHaveLength(1);
    expect(f.scripts[0]).toMatchObject({ host: 'm1', last: true, script: expect.stringContaining('docker node update --label-add zone=a "$n" >/dev/null; echo "spec=$?"') });
  });

  it('the first manager\'s init script, run by a shell with a stand-in docker: its labels only once it reads itself an active manager, and their failure told apart', async () => {
    const d = mkdtempSync(join(tmpdir(), 'fleet-swarm-sh-'));
    const bin = join(d, 'bin');
    mkdirSync(bin);
    // docker info prints what $INFO holds; node update logs its arguments and exits $UPDATE_RC.
    writeFileSync(
      join(bin, 'docker'),
      `#!/bin/sh\ncase "$1 $2" in\n"swarm init") exit 0 ;;\n"info --format") printf '%b' "$INFO" ;;\n"node update") echo "$*" >> ${d}/log; [ "$UPDATE_RC" = 0 ] || echo "no such node" >&2; exit $UPDATE_RC ;;\nesac\n`,
      { mode: 0o755 },
    );
    const f = fake('m1', { m1: { state: 'inactive' } });
    let script = '';
    f.ports.runOn = async (_h, s) => {
      script = s;
      return { rc: 0, stdout: '', stderr: '' };
    };
    await runMember(f, { labels: { zone: 'a', tier: 'edge' } });
    const run = (info: string, rc = 0) => {
      rmSync(join(d, 'log'), { force: true });
      const r = spawnSync('sh', ['-c', script], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, INFO: info, UPDATE_RC: String(rc) } });
      return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), log: existsSync(join(d, 'log')) ? readFileSync(join(d, 'log'), 'utf8') : '' };
    };
    const active = 'state=active\\nnode=abc123xyz\\nmanager=true\\ncluster=c\\naddr=10.0.0.1\\nmanagers=1\\nerror=';
    expect(run(active)).toMatchObject({ log: 'node update --label-add zone=a --label-add tier=edge abc123xyz\n', stdout: expect.stringMatching(/\nspec=0\n$/) });
    expect(run(active, 1)).toMatchObject({ stdout: expect.stringMatching(/\nspec=1\n$/), stderr: 'no such node\n' });
    for (const info of [active.replace('manager=true', 'manager=false'), active.replace('state=active', 'state=pending'), active.replace('node=abc123xyz', 'node=')]) {
      expect(run(info)).toMatchObject({ log: '', stdout: expect.not.stringContaining('spec=') });
    }
    // What the controller makes of it: the labels' failure is the task's, with docker's message.
    const failing = fake('m1', { m1: { state: 'inactive' } });
    failing.ports.runOn = async () => ({ rc: 0, stdout: `${run(active, 1).stdout}`, stderr: 'no such node\n' });
    expect(await runMember(failing, { labels: { zone: 'a' } })).toMatchObject({ status: 'failed', msg: 'initialise the swarm, advertising m1-addr:2377: setting its labels on m1 failed', failure: { rc: 1, stderr: 'no such node\n' } });
  });

  it('a worker joins through the live manager with a token read at that moment: registered as a secret, only in the join script', async () => {
    const f = fake('w1', { m1: { state: 'active', manager: true }, w1: { state: 'inactive' } });
    const r = await runMember(f, { labels: { zone: 'b' } });
    expect(r.status).toBe('changed');
    expect(r.msg).toBe('join the swarm as worker via m1 (m1-addr:2377), advertising w1-addr');
    expect(f.secrets).toEqual([TOKEN]);
    const read = f.scripts.findIndex((s) => s.script.includes('join-token -q worker') && s.host === 'm1');
    const joined = f.scripts.findIndex((s) => s.script.includes('docker swarm join --token'));
    expect(read).toBeGreaterThanOrEqual(0);
    expect(joined).toBeGreaterThan(read);
    expect(f.scripts[joined].host).toBe('w1');
    expect(f.scripts.filter((s) => s.script.includes(TOKEN)).map((s) => s.host)).toEqual(['w1']);
    expect(JSON.stringify(r)).not.toContain(TOKEN);
    // Its labels are set on the manager it joined through.
    expect(f.scripts.find((s) => s.script.includes('docker node update'))).toMatchObject({ host: 'm1', script: expect.stringContaining("docker node update --label-add zone=b 'n-w1' 2>&1 >/dev/null") });
    expect(f.hosts.w1.labels).toEqual({ zone: 'b' });
  });

  it('workers joining a fresh swarm together: the manager state after its init and the join token are read once, for all of them', async () => {
    const hosts: Record<string, FakeHost> = { m1: { state: 'inactive' }, w1: { state: 'inactive' }, w2: { state: 'inactive' } };
    const [m, a, b] = ['m1', 'w1', 'w2'].map((h) => fake(h, hosts));
    // One run: one memo; a worker's wait on m1 ends when m1's swarm task did.
    let release!: () => void;
    const m1Done = new Promise<void>((r) => (release = r));
    for (const f of [a, b]) {
      f.ports.memo = m.ports.memo;
      f.ports.forget = m.ports.forget;
      f.ports.waitForHost = (h) => (h === 'm1' ? m1Done : Promise.resolve());
    }
    const results = await Promise.all([runMember(m).finally(release), runMember(a), runMember(b)]);
    expect(results.map((r) => r.msg)).toEqual([
      'initialise the swarm, advertising m1-addr:2377',
      'join the swarm as worker via m1 (m1-addr:2377), advertising w1-addr',
      'join the swarm as worker via m1 (m1-addr:2377), advertising w2-addr',
    ]);
    const onM1 = [m, a, b].flatMap((f) => f.scripts).filter((s) => s.host === 'm1');
    // m1's own init script read its state after it (what the workers read) and the workers'
    // token (one read for both, registered as a secret there): nothing else is sent to m1.
    expect(onM1).toEqual([{ host: 'm1', last: true, script: expect.stringContaining('docker swarm init') }]);
    expect(onM1[0].script).toContain('join-token -q worker');
    expect(onM1[0].script).not.toContain('join-token -q manager');
    expect(m.secrets).toEqual([Buffer.from(TOKEN).toString('base64'), TOKEN]);
    for (const f of [a, b]) {
      expect(f.secrets).toEqual([TOKEN]);
      expect(f.scripts.filter((s) => s.script.includes(TOKEN)).map((s) => s.host)).toEqual([f.self]);
    }
  });

  it('workers joining together get their labels in one script on the manager, each its own result; swarm_nodes then takes the list read after them', async () => {
    const hosts: Record<string, FakeHost> = { m1: { state: 'active', manager: true, nodeId: 'n-m1' }, w1: { state: 'inactive' }, w2: { state: 'inactive' }, w3: { state: 'inactive' } };
    const groups = { managers: ['m1'], workers: ['w1', 'w2', 'w3'] };
    const [m, a, b, c] = ['m1', 'w1', 'w2', 'w3'].map((h) => fake(h, hosts, { groups }));
    for (const f of [a, b, c]) {
      f.ports.memo = m.ports.memo;
      f.ports.forget = m.ports.forget;
    }
    // w2's labels are refused; w3 has none: it leaves the batch without holding it.
    const [ra, rb, rc] = await Promise.all([runMember(a, { labels: { zone: 'b' } }), runMember(b, { labels: { fail: 'x' } }), runMember(c)]);
    expect(ra).toMatchObject({ status: 'changed' });
    expect(rb).toMatchObject({ status: 'failed', msg: expect.stringMatching(/: setting its labels on m1 failed$/), failure: { rc: 1, stderr: 'Error: node n-w2 refused\n' } });
    expect(rc).toMatchObject({ status: 'changed' });
    const updates = [a, b, c].flatMap((f) => f.scripts).filter((s) => s.script.includes('docker node update'));
    expect(updates).toHaveLength(1);
    expect(updates[0].host).toBe('m1');
    expect(hosts.w1.labels).toEqual({ zone: 'b' });
    // swarm_nodes on m1, which saw w1..w3 missing at its probe: no read of its own after they joined.
    const before = m.scripts.length;
    const nodesRun = swarmNodes.run(nodesParams(), m.ctx(specsOut({ m1: hosts.m1 })), m.ports);
    expect(await nodesRun).toMatchObject({ status: 'changed' });
    expect(m.scripts.slice(before).filter((s) => s.script === NODE_SPECS_SCRIPT)).toHaveLength(0);
    // Read once: a later swarm_nodes reads afresh.
    await swarmNodes.run(nodesParams(), m.ctx(specsOut({ m1: hosts.m1 })), m.ports);
    expect(m.scripts.filter((s) => s.script === NODE_SPECS_SCRIPT)).toHaveLength(1);
  });

  it('the batch script, run by a shell with a stand-in docker: each update\'s status and stderr, then the node list', () => {
    const d = mkdtempSync(join(tmpdir(), 'fleet-batch-sh-'));
    writeFileSync(
      join(d, 'docker'),
      `#!/bin/sh\ncase "$1 $2" in\n"node update") for a; do last=$a; done; [ "$last" = "it's" ] && { printf 'line one\\nline two\\n' >&2; exit 3; }; echo "$*" >> ${d}/log; printf 'ignored stdout\\n' ;;\n"node ls") echo id1 ;;\n"node inspect") printf '"id1"\\t"m1"\\t{}\\t{}\\tnull\\n' ;;\nesac\n`,
      { mode: 0o755 },
    );
    const script = batchScript([{ args: "--label-add 'zone=a'", node: 'n1' }, { args: '--availability drain', node: "it's" }]);
    const r = spawnSync('sh', ['-c', script], { env: { ...process.env, PATH: `${d}:${process.env.PATH}` } });
    expect(r.status).toBe(0);
    expect(readFileSync(join(d, 'log'), 'utf8')).toBe('node update --label-add zone=a n1\n');
    expect(parseBatch(r.stdout.toString(), 2)).toEqual({
      items: [{ rc: 0, stdout: '', stderr: '' }, { rc: 3, stdout: '', stderr: 'line one\nline two\n' }],
      specs: '"id1"\t"m1"\t{}\t{}\tnull\n',
    });
  });

  it('a joiner stuck in its join holds the others\' labels for BATCH_WAIT_MS at most', async () => {
    vi.useFakeTimers();
    try {
      const hosts: Record<string, FakeHost> = { m1: { state: 'active', manager: true }, w1: { state: 'inactive' }, w2: { state: 'inactive' } };
      const [a, b] = ['w1', 'w2'].map((h) => fake(h, hosts));
      b.ports.memo = a.ports.memo;
      b.ports.forget = a.ports.forget;
      const runOn = b.ports.runOn;
      let unstick!: () => void;
      b.ports.runOn = async (h, s, o) => (s.includes('swarm join --token') ? new Promise((r) => (unstick = () => r(runOn(h, s, o)))) : runOn(h, s, o));
      const stuck = runMember(b, { labels: { zone: 'c' } });
      let done = false;
      const first = runMember(a, { labels: { zone: 'b' } }).finally(() => (done = true));
      await vi.advanceTimersByTimeAsync(BATCH_WAIT_MS - 1000);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(2000);
      expect(await first).toMatchObject({ status: 'changed' });
      expect(hosts.w1.labels).toEqual({ zone: 'b' });
      // The late one goes alone.
      unstick();
      expect(await stuck).toMatchObject({ status: 'changed' });
      expect(hosts.w2.labels).toEqual({ zone: 'c' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('a token read that failed is read again by the next host, not remembered', async () => {
    const hosts: Record<string, FakeHost> = { m1: { state: 'active', manager: true }, w1: { state: 'inactive' }, w2: { state: 'inactive' } };
    const [a, b] = ['w1', 'w2'].map((h) => fake(h, hosts));
    b.ports.memo = a.ports.memo;
    b.ports.forget = a.ports.forget;
    const runOn = a.ports.runOn;
    a.ports.runOn = async (h, s) => (s.includes('join-token') ? { rc: 1, stdout: '', stderr: 'not now' } : runOn(h, s));
    expect(await runMember(a)).toMatchObject({ status: 'failed' });
    expect(await runMember(b)).toMatchObject({ status: 'changed' });
    expect(b.scripts.filter((s) => s.script.includes('join-token'))).toHaveLength(1);
  });

  it('the init or join and its check are one script; it carries the host\'s re-probes when nothing follows it there', async () => {
    const init = fake('m1', { m1: { state: 'inactive' } });
    expect(await runMember(init, { labels: { zone: 'a' } })).toMatchObject({ status: 'changed' });
    // Its labels are set in the same script: the last there.
    expect(init.scripts.map((s) => [s.host, !!s.last])).toEqual([['m1', true]]);
    const bare = fake('m1', { m1: { state: 'inactive' } });
    expect(await runMember(bare)).toMatchObject({ status: 'changed' });
    expect(bare.scripts.map((s) => [s.host, !!s.last])).toEqual([['m1', true]]);
    expect(bare.scripts[0].script).toMatch(/^docker swarm init .* >\/dev\/null \|\| exit \$\?\n/);
    // A worker's labels go on the manager, where a worker reads nothing: its join is its last script.
    const w = fake('w1', { m1: { state: 'active', manager: true }, w1: { state: 'inactive' } });
    expect(await runMember(w, { labels: { zone: 'b' } })).toMatchObject({ status: 'changed', registered: { node_id: 'n-w1' } });
    const join = w.scripts.find((s) => s.host === 'w1')!;
    expect(join.script.endsWith(SWARM_STATE_SCRIPT)).toBe(true);
    expect(join.last).toBe(true);
    expect(w.scripts.filter((s) => s.host === 'w1')).toHaveLength(1);
    // A manager joining with labels: they are set by the live manager, whose view this host shares.
    const m2 = fake('m2', { m1: { state: 'active', manager: true }, m2: { state: 'inactive' }, m3: { state: 'inactive' } }, { groups: { managers: ['m1', 'm2', 'm3'], workers: [] } });
    expect(await runMember(m2, { labels: { zone: 'c' } })).toMatchObject({ status: 'changed' });
    expect(m2.scripts.find((s) => s.host === 'm2')!.last).toBeUndefined();
    expect(m2.scripts.at(-1)).toMatchObject({ host: 'm1', script: expect.stringContaining('docker node update --label-add zone=c') });
    const m2bare = fake('m2', { m1: { state: 'active', manager: true }, m2: { state: 'inactive' }, m3: { state: 'inactive' } }, { groups: { managers: ['m1', 'm2', 'm3'], workers: [] } });
    expect(await runMember(m2bare)).toMatchObject({ status: 'changed' });
    expect(m2bare.scripts.find((s) => s.host === 'm2')!.last).toBe(true);
  });

  it('a join that fails: its exit status and message, and no state read after it counts as its check', async () => {
    const f = fake('w1', { m1: { state: 'active', manager: true }, w1: { state: 'inactive' } });
    const runOn = f.ports.runOn;
    f.ports.runOn = async (h, s, o) => (s.includes('swarm join --token') ? { rc: 1, stdout: '', stderr: 'Error response from daemon: timeout' } : runOn(h, s, o));
    const r = await runMember(f);
    expect(r).toMatchObject({ status: 'failed', msg: 'docker swarm join failed on w1', failure: { rc: 1, stderr: 'Error response from daemon: timeout' } });
  });

  it('after a join the host is not what it should be: refused, from the state its own script read', async () => {
    const f = fake('w1', { m1: { state: 'active', manager: true }, w1: { state: 'inactive' } });
    const runOn = f.ports.runOn;
    f.ports.runOn = async (h, s, o) => (s.includes('swarm join --token') ? { rc: 0, stdout: 'state=pending\nnode=\nmanager=false\n', stderr: '' } : runOn(h, s, o));
    expect(await runMember(f)).toMatchObject({ status: 'failed', msg: expect.stringMatching(/^after 'join the swarm as worker via m1 .*', w1 is pending$/) });
    expect(f.scripts.some((s) => s.script.includes('node update'))).toBe(false);
  });

  it('check mode says who it would join through, reads no token and changes nothing', async () => {
    const f = fake('w1', { m1: { state: 'active', manager: true }, w1: { state: 'inactive' } }, { check: true });
    const r = await runMember(f);
    expect(r).toMatchObject({ status: 'changed', msg: 'will join the swarm as worker via m1 (m1-addr:2377), advertising w1-addr' });
    expect(r.diff).toContain('-not in a swarm\n+worker via m1');
    expect(f.scripts.some((s) => /join-token|swarm join|swarm init|node update/.test(s.script))).toBe(false);
  });

  it('check mode on a host without docker yet: will change after the pending docker install', async () => {
    const f = fake('w1', { m1: { state: 'nodocker' }, w1: { state: 'nodocker' } }, { check: true, pendingAfter: 'install docker' });
    expect(await runMember(f)).toMatchObject({ status: 'changed', after: 'install docker' });
    expect(f.scripts).toEqual([]);
  });

  it('never initialises a second swarm: refused while another manager cannot be read', async () => {
    const f = fake('m1', { m1: { state: 'inactive' }, m2: { state: 'inactive', unreachable: true }, m3: { state: 'inactive' } }, { groups: { managers: ['m1', 'm2', 'm3'], workers: [] } });
    const r = await runMember(f);
    expect(r.status).toBe('failed');
    expect(r.msg).toMatch(/refusing to initialise a new swarm: cannot tell whether m2 unreachable/);
    expect(f.scripts.some((s) => s.script.includes('swarm init'))).toBe(false);
  });

  it('a worker with no live manager fails with what it saw', async () => {
    const f = fake('w1', { m1: { state: 'inactive' }, w1: { state: 'inactive' } });
    f.ports.playHosts = () => ['w1'];
    const r = await runMember(f);
    expect(r.status).toBe('failed');
    expect(r.msg).toMatch(/no live manager to join: none of m1 runs the swarm \(m1 is inactive\); apply to m1 first/);
  });

  it('warns about an even number of managers', async () => {
    const f = fake('m1', { m1: { state: 'active', manager: true }, m2: { state: 'active', manager: true } }, { groups: { managers: ['m1', 'm2'], workers: [] } });
    expect((await runMember(f)).status).toBe('ok');
    expect(f.warnings[0]).toMatch(/2 managers in group 'managers'.*use an odd number/);
  });

  it('refuses to demote the last manager', async () => {
    const f = fake('m1', { m1: { state: 'active', manager: true, nodeId: 'm1' } }, { groups: { managers: [], workers: ['m1'] } });
    const r = await runMember(f);
    expect(r.status).toBe('failed');
    expect(r.msg).toMatch(/refusing to demote m1: it is the swarm's last manager/);
  });

  it('promotes a worker moved to the managers group, on a live manager; check mode shows the role diff', async () => {
    const hosts = { m1: { state: 'active', manager: true }, w1: { state: 'active', manager: false, nodeId: 'n-w1' } };
    const groups = { managers: ['m1', 'w1'], workers: [] };
    const c = fake('w1', structuredClone(hosts), { check: true, groups });
    const rc = await runMember(c);
    expect(rc, JSON.stringify(rc)).toMatchObject({ status: 'changed', msg: 'will promote w1 to manager (on m1)' });
    expect(rc.diff).toContain('-worker\n+manager');
    const f = fake('w1', structuredClone(hosts), { groups });
    const runOn = f.ports.runOn;
    f.ports.runOn = async (h, s) => {
      const r = await runOn(h, s);
      if (s.includes('docker node promote')) f.hosts.w1.manager = true;
      return r;
    };
    expect(await runMember(f)).toMatchObject({ status: 'changed', msg: 'promote w1 to manager (on m1)' });
    expect(f.scripts.find((s) => s.script.includes('docker node promote'))).toMatchObject({ host: 'm1', script: 'docker node promote n-w1 >/dev/null\n' });
  });
});

describe('swarm_nodes', () => {
  const swarm = (): Record<string, FakeHost> => ({
    m1: { state: 'active', manager: true, labels: { zone: 'a' }, vars: { swarm_labels: { zone: 'a' } } },
    w1: { state: 'active', labels: { zone: 'z', old: '1' }, vars: { swarm_labels: { zone: 'b' } } },
    w2: { state: 'active', labels: { zone: 'b' }, vars: { swarm_labels: { zone: 'b' }, swarm_availability: 'drain' } },
  });

  it('every node as the inventory says: ok from the probe alone, no round trip', async () => {
    const hosts = swarm();
    hosts.w1.labels = { zone: 'b' };
    hosts.w2.availability = 'drain';
    const f = fake('m1', hosts);
    expect(await runNodes(f)).toMatchObject({ status: 'ok', msg: '3 nodes as the inventory says' });
    expect(f.scripts).toEqual([]);
  });

  it('drift is a diff per node; check mode changes nothing; apply updates each drifted node in one round trip', async () => {
    const c = fake('m1', swarm(), { check: true });
    const r = await runNodes(c);
    expect(r.status).toBe('changed');
    expect(r.msg).toBe('will set w1: label zone=b, remove label old; w2: availability drain');
    expect(r.diff).toBe(
      '--- swarm node w1 (live)\n+++ swarm node w1 (inventory)\n availability: active\n-label old=1\n-label zone=z\n+label zone=b\n' +
        '--- swarm node w2 (live)\n+++ swarm node w2 (inventory)\n-availability: active\n+availability: drain\n label zone=b\n',
    );
    expect(c.scripts).toEqual([]);
    const f = fake('m1', swarm());
    expect((await runNodes(f)).status).toBe('changed');
    expect(f.scripts).toEqual([
      { host: 'm1', script: 'docker node update --label-add zone=b --label-rm old n-w1 >/dev/null || exit 1\ndocker node update --availability drain n-w2 >/dev/null || exit 1\n' },
    ]);
  });

  it('labels_exclusive false keeps labels the inventory does not name', async () => {
    const hosts = swarm();
    hosts.w1.labels = { zone: 'b', old: '1' };
    hosts.w2.availability = 'drain';
    expect((await runNodes(fake('m1', hosts))).status).toBe('changed');
    expect((await runNodes(fake('m1', hosts), { labels_exclusive: false })).status).toBe('ok');
  });

  it('a member of the run not in the swarm yet: waits until it joined, then reads the list again', async () => {
    const hosts = swarm();
    hosts.w1.labels = { zone: 'b' };
    hosts.w2 = { state: 'inactive', vars: { swarm_labels: { zone: 'b' } } };
    const f = fake('m1', hosts);
    const waited: string[] = [];
    f.ports.waitForHost = async (h) => {
      waited.push(h);
      Object.assign(f.hosts.w2, { state: 'active', labels: { zone: 'b' } });
    };
    expect(await runNodes(f)).toMatchObject({ status: 'ok' });
    expect(waited).toEqual(['w2']);
    expect(f.scripts.map((s) => s.host)).toEqual(['m1']);
  });

  it('on a host that is not a manager yet: will change after the pending task in check mode, else fails', async () => {
    const c = fake('m1', swarm(), { check: true, pendingAfter: 'swarm membership' });
    expect(await swarmNodes.run(nodesParams(), c.ctx('@@fleet-not-a-manager\n'), c.ports)).toMatchObject({ status: 'changed', after: 'swarm membership' });
    const f = fake('m1', swarm());
    expect(await swarmNodes.run(nodesParams(), f.ctx('@@fleet-not-a-manager\n'), f.ports)).toMatchObject({ status: 'failed', msg: expect.stringMatching(/is not a swarm manager/) });
  });

  it('refuses labels it cannot use', async () => {
    const hosts = swarm();
    hosts.w1.vars = { swarm_labels: { zone: '{{ x }}' } };
    expect(await runNodes(fake('m1', hosts))).toMatchObject({ status: 'failed', msg: expect.stringMatching(/w1: swarm_labels.zone is a template/) });
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

  it('skips the transfer when its probe shows the same image id; uploads and loads otherwise', async () => {
    const { file, id } = dockerSave(['app:1']);
    const p = params<never>(dockerImage, { name: 'app:1', src: file });
    expect(dockerImage.probe!(p)).toContain("docker image inspect --format '{{.Id}}' app:1");
    const same = fake('w1', { w1: { state: 'active', imageId: id } });
    expect(await dockerImage.run(p, same.ctx(`id=${id}\n`), same.ports)).toMatchObject({ status: 'ok' });
    expect(same.uploads).toEqual([]);
    expect(same.scripts).toEqual([]);
    const other = fake('w1', { w1: { state: 'active', imageId: id } });
    const r = await dockerImage.run(p, other.ctx('id=sha256:0000\n'), other.ports);
    expect(r.status).toBe('changed');
    expect(other.uploads).toEqual([expect.stringMatching(new RegExp(`^${file} -> /var/tmp/fleet-image-${id.slice(7, 19)}\\.[0-9a-f]{16}\\.tar$`))]);
    // Not a name a local user of the host can make first (a directory there failed every load: review11).
    const again = fake('w1', { w1: { state: 'active', imageId: id } });
    await dockerImage.run(p, again.ctx('id=sha256:0000\n'), again.ports);
    expect(again.uploads[0]).not.toBe(other.uploads[0]);
  });

  it('uploads and loads in one call, its last script on the host; a file that did not arrive is an upload failure, a lost connection is not turned into one', async () => {
    const { file, id } = dockerSave(['app:1']);
    const p = params<never>(dockerImage, { name: 'app:1', src: file });
    const f = fake('w1', { w1: { state: 'active', imageId: id } });
    expect(await dockerImage.run(p, f.ctx('id=none\n'), f.ports)).toMatchObject({ status: 'changed', registered: { id } });
    expect(f.scripts).toEqual([{ host: 'w1', script: expect.stringMatching(/^docker load -i \/var\/tmp\/fleet-image-/), last: true }]);
    const cut = fake('w1', { w1: { state: 'active', imageId: id } });
    cut.ports.uploadAndRun = async () => {
      throw new UploadError('uploading x to y: upload: y: received 3 of 9 bytes');
    };
    expect(await dockerImage.run(p, cut.ctx('id=none\n'), cut.ports)).toMatchObject({ status: 'failed', msg: expect.stringMatching(/^uploading .* to w1:\/var\/tmp\/fleet-image-.*\.tar failed: uploading x to y: upload: y: received 3 of 9 bytes$/) });
    const lost = fake('w1', { w1: { state: 'active', imageId: id } });
    lost.ports.uploadAndRun = async () => {
      throw new Error('w1: connection lost');
    };
    await expect(dockerImage.run(p, lost.ctx('id=none\n'), lost.ports)).rejects.toThrow('connection lost');
    const bad = fake('w1', { w1: { state: 'active', imageId: 'sha256:other' } });
    expect(await dockerImage.run(p, bad.ctx('id=none\n'), bad.ports)).toMatchObject({ status: 'failed', msg: expect.stringMatching(/^after docker load, app:1 on w1 is sha256:other, not /) });
  });

  it('refuses an archive that does not hold the named image', async () => {
    const { file } = dockerSave(['other:2']);
    const f = fake('w1', { w1: { state: 'active' } });
    const r = await dockerImage.run(params<never>(dockerImage, { name: 'app:1', src: file }), f.ctx('id=none\n'), f.ports);
    expect(r).toMatchObject({ status: 'failed' });
    expect(r.msg).toMatch(/holds other:2, not app:1/);
  });
});

describe('docker_networks', () => {
  const p = moduleParams(dockerNetworks, { networks: [{ name: 'net', encrypted: true }] });
  it('plans a missing network, an identical one, and a drifted one', () => {
    expect(dockerNetworks.plan(p, '@@fleet-no-docker\n')).toEqual({ kind: 'blocked', reason: 'docker is not installed' });
    expect(dockerNetworks.plan(p, '@@fleet-network net\n@@fleet-network-absent\n')).toMatchObject({ kind: 'change', summary: 'create overlay network net (encrypted)' });
    const live = { Driver: 'overlay', Attachable: false, Internal: false, Options: { encrypted: '' }, Labels: {} };
    expect(dockerNetworks.plan(p, `@@fleet-network net\n${JSON.stringify(live)}\n`)).toEqual({ kind: 'ok', note: 'net' });
    const drift = dockerNetworks.plan(p, `@@fleet-network net\n${JSON.stringify({ ...live, Options: {} })}\n`);
    expect(drift).toMatchObject({ kind: 'change' });
    expect((drift as { diff: string }).diff).toContain('-encrypted: false\n');
    expect((drift as { diff: string }).diff).toContain('+encrypted: true\n');
  });
  it('refuses an encrypted overlay where the kernel cannot make the IPsec state docker uses, new or existing', () => {
    const plain = moduleParams(dockerNetworks, { networks: [{ name: 'net' }] });
    expect(dockerNetworks.probe(plain)).not.toContain('xfrm');
    expect(dockerNetworks.probe(p)).toContain("proto esp spi 0x100 reqid 1 mode transport aead 'rfc4106(gcm(aes))'");
    const no = '@@fleet-esp no: Error: Requested AEAD algorithm not found.\n';
    const live = { Driver: 'overlay', Attachable: false, Internal: false, Options: { encrypted: '' }, Labels: {} };
    for (const net of ['@@fleet-network-absent', JSON.stringify(live)]) {
      const plan = dockerNetworks.plan(p, `${no}@@fleet-network net\n${net}\n`);
      expect(plan).toMatchObject({ kind: 'blocked' });
      expect((plan as { reason: string }).reason).toMatch(/^encrypted overlay net: this host's kernel cannot make the IPsec \(ESP\) state docker uses \(Error: Requested AEAD algorithm not found\.\); docker would create the network and silently drop all traffic between nodes/);
    }
    // The kernel could not be asked: docker's own behaviour, as before.
    expect(dockerNetworks.plan(p, '@@fleet-esp unknown: no unshare or ip command\n@@fleet-network net\n@@fleet-network-absent\n')).toMatchObject({ kind: 'change' });
    expect(dockerNetworks.plan(p, `@@fleet-esp ok\n@@fleet-network net\n${JSON.stringify(live)}\n`)).toEqual({ kind: 'ok', note: 'net' });
  });
});

describe('swarm state parsing', () => {
  it('reads docker info, node list lines and node specs', () => {
    expect(parseSwarmState('state=active\nnode=abc\nmanager=true\ncluster=c\naddr=10.0.0.1\nmanagers=3\nerror=\n')).toEqual({ state: 'active', nodeId: 'abc', manager: true, cluster: 'c', addr: '10.0.0.1', managers: 3, error: '' });
    expect(parseNodeList('"id1"\t"m1"\t"manager"\t"active"\t"ready"\t"reachable"L\t"10.0.0.1"\n"id2"\t"w1"\t"worker"\t"drain"\t"down"\t""\t"10.0.0.2"\n')).toEqual([
      { id: 'id1', hostname: 'm1', role: 'manager', availability: 'active', status: 'ready', managerStatus: 'Leader', addr: '10.0.0.1' },
      { id: 'id2', hostname: 'w1', role: 'worker', availability: 'drain', status: 'down', managerStatus: '', addr: '10.0.0.2' },
    ]);
    const line = ['"n1"', '"m1"', '{"Labels":null,"Role":"manager","Availability":"active"}', '{"State":"ready","Addr":"0.0.0.0"}', '{"Addr":"[fd00::1]:2377"}'].join('\t');
    expect(parseNodeSpecs(line)).toEqual([{ id: 'n1', hostname: 'm1', labels: {}, availability: 'active', role: 'manager', state: 'ready', addrs: ['fd00::1'] }]);
  });
});
