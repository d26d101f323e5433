// roles docker and swarm, and the node lifecycle, over real SSH on four lab hosts: check mode
// on fresh hosts shows the whole chain and touches nothing; an apply makes a swarm (1
// manager, 2 workers, labels from the inventory) that a second apply leaves alone; an image
// carried from the controller runs as a service on every node behind the firewall's rules;
// drift of labels and daemon.json is a diff; `fleet node add` joins a fourth node with only
// firewall changes elsewhere; `fleet node remove` drains it and takes it out everywhere; and
// the join token is in no output, event, diff or cache file. The steps share the hosts and
// run in order (the lab has no IPVS: services publish in host mode with endpoint_mode dnsrr).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FleetEvent } from '../../src/model/events.js';
import { describeLab, labHosts, makeSwarmProject, resetHost, runFleet, sshRun, taskEvents, TEST_IMAGE, type FleetRun, type Project, type SwarmProject } from './helpers/index.js';

// A fresh apply took 190 s to 400 s on the shared 2-core machine: steps get 20 minutes.
const STEP_TIMEOUT_MS = 1_200_000;
const explain = (run: FleetRun) => `exit ${run.code}\n${run.stderr.slice(-3000)}\n${JSON.stringify(run.recap?.failures ?? [], null, 1)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `test` holds; generous: the machine is shared and slow. */
async function until(what: string, test: () => Promise<boolean>, seconds = 180): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out after ${seconds} s waiting until ${what}`);
    await sleep(1000);
  }
}

describeLab('roles docker and swarm, fleet node add and remove', () => {
  let swarm: SwarmProject;
  let project: Project;
  let hosts: ReturnType<typeof labHosts>;
  let mgr: string;
  let cacheDir: string;
  const outputs: string[] = [];
  const timings: Record<string, number> = {};
  const t0 = Date.now();

  const fleet = async (args: string[], label: string): Promise<FleetRun> => {
    const started = Date.now();
    const run = await swarm.fleet(args);
    timings[label] = Math.round((Date.now() - started) / 1000);
    outputs.push(run.stdout, run.stderr);
    return run;
  };
  const onMgr = async (cmd: string) => {
    const r = await sshRun(mgr, cmd);
    expect(r.code, `${cmd}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const changedTasks = (run: FleetRun, host: string) => taskEvents(run, host).filter((e) => e.status === 'changed');
  const roundTrips = (run: FleetRun) => Object.fromEntries(run.events.flatMap((e) => (e.type === 'host' ? [[e.host, e.roundTrips]] : [])));
  const nodeLabels = async (): Promise<Record<string, Record<string, string>>> => {
    const out = await onMgr("docker node ls -q | xargs docker node inspect --format '{{.Description.Hostname}} {{.Status.State}} {{json .Spec.Labels}}'");
    return Object.fromEntries(out.trim().split('\n').map((l) => {
      const [name, state, json] = l.split(' ');
      return [name, { state, ...(JSON.parse(json) as Record<string, string>) }];
    }));
  };

  beforeAll(async () => {
    hosts = labHosts();
    expect(hosts.length, 'the harness brings up 4 hosts (FLEET_LAB_HOSTS)').toBeGreaterThanOrEqual(4);
    const started = Date.now();
    await Promise.all(hosts.slice(0, 4).map((h) => resetHost(h.name)));
    timings['reset 4 hosts'] = Math.round((Date.now() - started) / 1000);
    swarm = makeSwarmProject();
    project = swarm.project;
    mgr = swarm.manager;
    cacheDir = swarm.cacheDir;
    // A comment node remove must keep.
    fs.writeFileSync(project.inventoryFile, `# swarm test inventory: keep this comment\n${fs.readFileSync(project.inventoryFile, 'utf8')}`);
  }, STEP_TIMEOUT_MS);

  afterAll(async () => {
    process.stderr.write(`[swarm test] seconds per step: ${JSON.stringify(timings)}; whole file ${Math.round((Date.now() - t0) / 1000)} s\n`);
    swarm?.cleanup();
    // The first three hosts stay a converged swarm: later files build on it with ensureSwarm()
    // (a no-change apply) instead of converging fresh hosts again. The fourth goes back fresh.
    if (hosts?.[3]) await resetHost(hosts[3].name);
  }, STEP_TIMEOUT_MS);

  it('check mode on fresh hosts shows the whole chain (docker, swarm init and join) as will change, and touches nothing', async () => {
    const three = hosts.slice(0, 3).map((h) => h.name);
    const before = await Promise.all(three.map((h) => sshRun(h, 'command -v docker dockerd; ls /etc/docker 2>&1; ls /var/lib/fleet 2>&1; echo end')));
    // Both checks at once (neither touches a host); the second with a cache of its own.
    const started = Date.now();
    const [run, repo] = await Promise.all([
      fleet(['check', 'playbooks/site.yml', '--diff'], 'check on fresh hosts'),
      runFleet(['check', 'playbooks/site.yml', '--diff', '-l', mgr, '-e', 'docker_source=docker', '-i', project.inventoryDir], {
        cwd: project.dir,
        env: { XDG_CACHE_HOME: path.join(cacheDir, 'repo-check') },
        timeoutMs: 900_000,
      }),
    ]);
    timings['both checks on fresh hosts'] = Math.round((Date.now() - started) / 1000);
    outputs.push(repo.stdout, repo.stderr);
    expect(run.code, explain(run)).toBe(2);
    for (const h of three) {
      const ev = taskEvents(run, h);
      const st = (task: string) => ev.find((e) => e.task === task)?.status;
      expect(st("install docker from the distribution's packages")).toBe('changed');
      expect(st('write /etc/docker/daemon.json')).toBe('changed');
      expect(st('swarm membership')).toBe('changed');
      // Labels are reconciled on the manager, for every node.
      expect(st('node labels and availability')).toBe(h === mgr ? 'changed' : 'skipped');
      expect(ev.filter((e) => e.status === 'failed')).toEqual([]);
    }
    const membership = (h: string) => taskEvents(run, h).find((e) => e.task === 'swarm membership')!;
    expect(membership(mgr).msg).toMatch(/will initialise the swarm/);
    expect(membership(three[1]).msg).toMatch(/will join the swarm as worker/);
    expect(membership(three[1]).after).toBeTruthy();
    // Docker's own repository, when asked: the source file and key it would write.
    expect(repo.code, explain(repo)).toBe(2);
    const ev = (task: string) => taskEvents(repo, mgr).find((e) => e.task === task);
    expect(ev("install Docker's repository signing key")?.status).toBe('changed');
    expect(ev("add Docker's package repository")?.diff).toContain('+URIs: https://download.docker.com/linux/debian');
    expect(ev("add Docker's package repository")?.diff).toContain('+Suites: bookworm');
    expect(ev("install docker from Docker's repository")?.status).toBe('changed');
    expect(ev("install docker from the distribution's packages")?.status).toBe('skipped');
    const after = await Promise.all(three.map((h) => sshRun(h, 'command -v docker dockerd; ls /etc/docker 2>&1; ls /var/lib/fleet 2>&1; echo end')));
    expect(after.map((r) => r.stdout)).toEqual(before.map((r) => r.stdout));
    expect(after[0].stdout).not.toMatch(/dockerd/);
  }, STEP_TIMEOUT_MS);

  it('apply on 3 fresh hosts makes a swarm: all three Ready with the inventory labels; a second apply changes nothing', async () => {
    // -vv: each round trip's output on stderr, the manager's init script's (which reads the
    // join tokens) among them; the last test searches it for the tokens.
    const run = await fleet(['apply', 'playbooks/site.yml', '--diff', '-vv'], 'first apply');
    expect(run.code, explain(run)).toBe(0);
    // Issue 15's figure (bench/README.md): round trips of a first apply, manager then workers.
    const trips = hosts.slice(0, 3).map((h) => run.events.find((e) => e.type === 'host' && e.host === h.name));
    console.log(`[swarm test] first apply round trips: ${JSON.stringify(trips.map((e) => (e?.type === 'host' ? e.roundTrips : undefined)))}`);
    // daemon.json was in place before the package started docker: no restart needed.
    for (const h of hosts.slice(0, 3)) expect(taskEvents(run, h.name).find((e) => e.task === 'restart docker')?.status).toBe('ok');
    const nodes = await nodeLabels();
    expect(nodes).toEqual({
      [hosts[0].name]: { state: 'ready', zone: 'a' },
      [hosts[1].name]: { state: 'ready', zone: 'b' },
      [hosts[2].name]: { state: 'ready', zone: 'b', tier: 'edge' },
    });
    const roles = await onMgr("docker node ls --format '{{.Hostname}} {{.ManagerStatus}}'");
    expect(roles).toContain(`${mgr} Leader`);
    // The swarm advertises the addresses fleet reaches the hosts on.
    expect((await onMgr("docker node inspect self --format '{{.ManagerStatus.Addr}}'")).trim()).toBe(`${hosts[0].address}:2377`);
    // daemon.json as rendered, live-restore off (swarm members), docker running it.
    const dj = JSON.parse(await onMgr('cat /etc/docker/daemon.json')) as Record<string, unknown>;
    expect(dj).toMatchObject({ 'log-driver': 'local', 'userland-proxy': false });
    expect(dj['live-restore']).toBeUndefined();
    expect((await onMgr("docker info --format '{{.LoggingDriver}}'")).trim()).toBe('local');
    // The overlay network exists, attachable, not encrypted (the lab kernel has no ESP: see
    // helpers/swarm.ts); the image is on every node.
    const net = JSON.parse(await onMgr("docker network inspect fleet-test --format '{{json .}}'")) as { Driver: string; Attachable: boolean; Options: Record<string, string> };
    expect({ driver: net.Driver, attachable: net.Attachable, encrypted: 'encrypted' in net.Options }).toEqual({ driver: 'overlay', attachable: true, encrypted: false });
    for (const h of hosts.slice(0, 3)) {
      expect((await sshRun(h.name, `docker image inspect --format '{{.Id}}' ${TEST_IMAGE}`)).code).toBe(0);
    }

    const again = await fleet(['apply', 'playbooks/site.yml'], 'second apply');
    expect(again.code, explain(again)).toBe(0);
    for (const h of hosts.slice(0, 3)) expect(again.recap!.hosts[h.name], JSON.stringify(changedTasks(again, h.name))).toMatchObject({ changed: 0, failed: 0 });
    // A converged swarm costs one round trip per host, the manager included, in apply and check.
    const three = Object.fromEntries(hosts.slice(0, 3).map((h) => [h.name, 1]));
    expect(roundTrips(again)).toEqual(three);
    const check = await fleet(['check', 'playbooks/site.yml'], 'check with nothing to change');
    expect(check.code, explain(check)).toBe(0);
    expect(roundTrips(check)).toEqual(three);
    // A host that has the image skips the transfer.
    expect(taskEvents(again, hosts[1].name).find((e) => e.task === 'load images carried from the controller')?.status).toBe('ok');
  }, STEP_TIMEOUT_MS);

  it('a service from the carried image runs on every node; the firewall filters its published port (allowed and disallowed sources)', async () => {
    await onMgr(
      `docker service create -d --name web --mode global --endpoint-mode dnsrr --publish mode=host,published=8080,target=8080 ${TEST_IMAGE} ` +
        `sh -c 'echo hello-$(hostname) > /www/index.html && exec httpd -f -p 8080 -h /www'`,
    );
    await until('the web service runs on all three nodes', async () => {
      const out = await onMgr("docker service ps web --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'");
      return hosts.slice(0, 3).every((h) => new RegExp(`^${h.name} Running`, 'm').test(out));
    });
    // Allowed: the second host. Disallowed: the third host, and this controller.
    const target = hosts[0].address;
    await until('the allowed source gets the page', async () => (await sshRun(hosts[1].name, `curl -s --max-time 5 http://${target}:8080/`)).stdout.startsWith('hello-'), 60);
    const denied = await sshRun(hosts[2].name, `curl -s --max-time 5 http://${target}:8080/; echo rc=$?`);
    expect(denied.stdout).toMatch(/rc=28/);
    const fromController = await fetch(`http://${target}:8080/`, { signal: AbortSignal.timeout(5000) }).then(() => 'answered', (e: Error) => e.name);
    expect(fromController).toBe('TimeoutError');
    // docker's own chains are intact beside fleet's.
    const chains = await onMgr('iptables-save -t filter');
    for (const c of [':DOCKER ', ':DOCKER-USER ', '-A DOCKER-USER -j FLEET-DOCKER', '-A FORWARD -j DOCKER-USER']) expect(chains).toContain(c);
    const nat = await onMgr('iptables-save -t nat');
    expect(nat).toMatch(/--dport 8080 -j DNAT/);
  }, STEP_TIMEOUT_MS);

  it('drift (a label changed by hand, daemon.json edited) is a diff in fleet check, and the hosts are left untouched', async () => {
    const worker = hosts[1].name;
    const other = hosts[2].name;
    await onMgr(`docker node update --label-add zone=z ${worker} >/dev/null`);
    await sshRun(other, `sed -i 's/"log-driver": "local"/"log-driver": "json-file"/' /etc/docker/daemon.json`);
    const sum = () => sshRun(other, 'sha256sum /etc/docker/daemon.json').then((r) => r.stdout);
    const before = await sum();
    const run = await fleet(['check', 'playbooks/site.yml', '--diff'], 'check with drift');
    expect(run.code, explain(run)).toBe(2);
    const label = taskEvents(run, mgr).find((e) => e.task === 'node labels and availability')!;
    expect(label.status).toBe('changed');
    expect(label.diff).toContain(`--- swarm node ${worker} (live)`);
    expect(label.diff).toContain('-label zone=z');
    expect(label.diff).toContain('+label zone=b');
    const dj = taskEvents(run, other).find((e) => e.task === 'write /etc/docker/daemon.json')!;
    expect(dj.status).toBe('changed');
    expect(dj.diff).toContain('-  "log-driver": "json-file",');
    expect(dj.diff).toContain('+  "log-driver": "local",');
    expect(taskEvents(run, other).find((e) => e.task === 'restart docker')?.status).toBe('changed');
    expect(changedTasks(run, mgr).map((e) => e.task)).toEqual(['node labels and availability']);
    expect((await nodeLabels())[worker].zone).toBe('z');
    expect(await sum()).toBe(before);
    // apply repairs both (docker on the third host restarts with the fleet file); the labels are
    // the manager's task, the worker has nothing to do
    const fix = await fleet(['apply', 'playbooks/site.yml', '-l', `${mgr}:${other}`], 'apply repairing drift');
    expect(fix.code, explain(fix)).toBe(0);
    expect((await nodeLabels())[worker].zone).toBe('b');
    expect((await sshRun(other, "docker info --format '{{.LoggingDriver}}'")).stdout.trim()).toBe('local');
  }, STEP_TIMEOUT_MS);

  it('a daemon.json docker refuses to start with is rolled back: the task fails saying so, docker runs the previous file', async () => {
    const h = hosts[2].name;
    const hv = path.join(project.inventoryDir, 'host_vars', `${h}.yml`);
    const saved = fs.readFileSync(hv, 'utf8');
    const good = (await sshRun(h, 'cat /etc/docker/daemon.json')).stdout;
    fs.writeFileSync(hv, `${saved}docker_daemon_options: {fleet-test-no-such-option: true}\n`);
    try {
      const run = await fleet(['apply', 'playbooks/site.yml', '-l', h], 'apply with a refused daemon.json');
      expect(run.code).toBe(1);
      const failure = run.recap!.failures.find((f) => f.host === h)!;
      expect(failure.task).toBe('restart docker');
      expect(failure.stderr).toMatch(/did not start with the new daemon.json .*the previous one is back/);
      expect(failure.stderr).toContain('fleet-test-no-such-option');
      expect((await sshRun(h, 'cat /etc/docker/daemon.json')).stdout).toBe(good);
      expect((await sshRun(h, 'systemctl is-active docker')).stdout.trim()).toBe('active');
      await until(`${h} is Ready in the swarm again`, async () => (await nodeLabels())[h]?.state === 'ready', 120);
    } finally {
      fs.writeFileSync(hv, saved);
    }
  }, STEP_TIMEOUT_MS);

  it('fleet node add + apply: the node joins with its labels, the others change only their firewall, and the service runs on it', async () => {
    const extra = hosts[3];
    const add = await runFleet(['node', 'add', extra.name, '--address', extra.address, '--group', 'workers', '--file', project.inventoryFile, '-i', project.inventoryDir], { cwd: project.dir, json: false });
    expect(add.code, add.stderr).toBe(0);
    // Check mode first: the whole chain on the new host, joining via the live manager.
    const check = await fleet(['check', 'playbooks/site.yml', '-l', extra.name], 'check new node');
    expect(check.code, explain(check)).toBe(2);
    expect(taskEvents(check, extra.name).find((e) => e.task === 'swarm membership')?.msg).toMatch(new RegExp(`will join the swarm as worker`));
    expect((await sshRun(extra.name, 'command -v docker; echo end')).stdout).toBe('end\n');

    const run = await fleet(['apply', 'playbooks/site.yml', '--diff'], 'apply with the new node');
    expect(run.code, explain(run)).toBe(0);
    expect(run.recap!.hosts[extra.name].changed).toBeGreaterThan(10);
    expect(taskEvents(run, extra.name).find((e) => e.task === 'swarm membership')?.msg).toMatch(new RegExp(`join the swarm as worker via ${mgr}`));
    for (const h of hosts.slice(0, 3)) {
      const changed = changedTasks(run, h.name);
      expect(changed.length, `${h.name} changed nothing at all`).toBeGreaterThan(0);
      for (const e of changed) expect(`${e.role}: ${e.task}`).toMatch(/^firewall: /);
      // ... and the change is exactly: admit the new member.
      const render = changed.find((e) => e.task === 'render the ruleset')!;
      const added = (render.diff ?? '').split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
      const removed = (render.diff ?? '').split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---'));
      expect(removed).toEqual([]);
      expect(added.length).toBeGreaterThan(0);
      for (const l of added) expect(l).toContain(`-s ${extra.address}`);
    }
    expect((await nodeLabels())[extra.name]).toEqual({ state: 'ready', zone: 'c' });
    await until('the web service runs on the new node', async () => /Running/.test(await onMgr(`docker service ps web --filter node=${extra.name} --filter desired-state=running --format '{{.CurrentState}}'`)));
    const rules = await onMgr('iptables-save -t filter');
    expect(rules).toContain(`-A FLEET-INPUT -s ${extra.address}/32 -p udp -m udp --dport 7946`);
  }, STEP_TIMEOUT_MS);

  it('fleet node remove: its tasks move, it leaves, it is gone from docker node ls and the inventory, and the others no longer admit it', async () => {
    const extra = hosts[3];
    // A replicated service spread over the four nodes: one task sits on the node to remove.
    await onMgr(`docker service create -d --name mover --replicas 4 --replicas-max-per-node 2 --endpoint-mode dnsrr ${TEST_IMAGE} sleep 100000`);
    await until('a mover task runs on the node to remove', async () => /Running/.test(await onMgr(`docker service ps mover --filter node=${extra.name} --filter desired-state=running --format '{{.CurrentState}}'`)));
    const started = Date.now();
    const run = await runFleet(['node', 'remove', extra.name, '-i', project.inventoryDir, '--json'], { cwd: project.dir, env: { XDG_CACHE_HOME: cacheDir }, timeoutMs: 900_000 });
    timings['node remove'] = Math.round((Date.now() - started) / 1000);
    outputs.push(run.stdout, run.stderr);
    expect(run.code, explain(run)).toBe(0);
    expect(run.stderr).toMatch(/drained/);
    const ls = await onMgr("docker node ls --format '{{.Hostname}}'");
    expect(ls.split('\n').filter(Boolean).sort()).toEqual(hosts.slice(0, 3).map((h) => h.name).sort());
    const mover = await onMgr("docker service ps mover --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'");
    const running = mover.split('\n').filter((l) => /Running/.test(l));
    expect(running.length).toBe(4);
    expect(mover).not.toContain(extra.name);
    expect((await sshRun(extra.name, "docker info --format '{{.Swarm.LocalNodeState}}'")).stdout.trim()).toBe('inactive');
    const inv = fs.readFileSync(project.inventoryFile, 'utf8');
    expect(inv).not.toContain(extra.name);
    expect(inv).toContain('# swarm test inventory: keep this comment');
    for (const h of hosts.slice(0, 3)) expect(run.recap!.hosts[h.name]?.failed ?? 0).toBe(0);
    for (const h of hosts.slice(0, 3)) {
      const rules = (await sshRun(h.name, 'iptables-save -t filter')).stdout;
      expect(rules).not.toContain(extra.address);
    }
  }, STEP_TIMEOUT_MS);

  it('refuses to remove the last manager, with an explanation, and changes nothing', async () => {
    const before = fs.readFileSync(project.inventoryFile, 'utf8');
    const run = await runFleet(['node', 'remove', mgr, '-i', project.inventoryDir], { cwd: project.dir, json: false });
    outputs.push(run.stdout, run.stderr);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/last (live )?manager/);
    expect(fs.readFileSync(project.inventoryFile, 'utf8')).toBe(before);
    expect(await onMgr("docker node ls --format '{{.Hostname}} {{.Availability}}'")).toContain(`${mgr} Active`);
  }, STEP_TIMEOUT_MS);

  it('the join tokens appear in no output, event, diff or cache file, and on no host outside docker', async () => {
    const tokens = [(await onMgr('docker swarm join-token -q worker')).trim(), (await onMgr('docker swarm join-token -q manager')).trim()];
    for (const t of tokens) expect(t).toMatch(/^SWMTKN-/);
    const haystack = outputs.join('\n');
    expect(haystack.length).toBeGreaterThan(10_000);
    const events = outputs.flatMap((o) => o.split('\n')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as FleetEvent);
    expect(events.some((e) => e.type === 'task' && e.task === 'swarm membership' && /join the swarm/.test(e.msg ?? ''))).toBe(true);
    const cached: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else cached.push(fs.readFileSync(p, 'utf8'));
      }
    };
    walk(cacheDir);
    expect(cached.length).toBeGreaterThan(0);
    // The first apply's -vv traces show the init script's token line, its value left out.
    expect(haystack).toMatch(/token_worker_b64=<\d+ base64 characters left out>/);
    for (const t of tokens) {
      // The secret part of the token (after the cluster's CA digest) must be nowhere, nor the
      // token in base64 (as the init script reads it).
      const secret = t.split('-').pop()!;
      expect(haystack.includes(secret)).toBe(false);
      expect(haystack.includes(Buffer.from(t).toString('base64').slice(0, 60))).toBe(false);
      expect(cached.some((c) => c.includes(secret))).toBe(false);
      for (const h of hosts.slice(0, 3)) {
        const r = await sshRun(h.name, `grep -rl -F ${secret} /etc /root /tmp /var/tmp /var/lib/fleet /home 2>/dev/null; echo end`);
        expect(r.stdout).toBe('end\n');
      }
    }
  }, STEP_TIMEOUT_MS);
});
