// firewall over real SSH on a lab host: the ruleset is live in iptables and
// ip6tables, idempotent, drift is a diff, it survives a reboot, a ruleset that cuts the
// controller off is rolled back by the dead-man switch, and docker's chains are kept.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLab, labHosts, labInfo, makeSiteProject, resetHost, runFleet, sshRun, taskEvents, type FleetRun, type Project } from './helpers/index.js';

const changed = (run: FleetRun, host: string) => run.recap?.hosts[host]?.changed ?? -1;
const explain = (run: FleetRun) => `exit ${run.code}\n${run.stderr}\n${JSON.stringify(run.recap?.failures ?? [], null, 1)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** fleet's part of the live filter table, counters dropped: what must match or be kept. */
const FLEET_PART = `sed -n -e 's/ \\[[0-9]*:[0-9]*\\]$//' -e '/^:FLEET-/p' -e '/^-A FLEET-/p' -e '/^-A INPUT -j FLEET-/p' -e '/^-A DOCKER-USER -j FLEET-/p'`;

describeLab('role firewall', () => {
  let host: ReturnType<typeof labHosts>[number];
  let project: Project;
  let pub: string;
  const setGroupVars = (vars: Record<string, unknown>) =>
    fs.writeFileSync(
      path.join(project.inventoryDir, 'group_vars', 'all.yml'),
      YAML.stringify({
        admin_keys: [pub],
        // Root stays allowed (with a key) so this file's checks can use the lab's root access.
        ssh_permit_root_login: 'prohibit-password',
        firewall_allow: [{ port: 8080, comment: 'web' }],
        firewall_group_allow: [{ port: 7946, proto: 'udp', from: ['fleet'], comment: 'swarm gossip' }],
        ...vars,
      }),
    );
  const fleet = (cmd: 'apply' | 'check', extra: string[] = []) => runFleet([cmd, project.playbook, '-i', project.inventoryDir, '-l', host.name, ...extra], { cwd: project.dir });
  const rules = async (tool: 'iptables' | 'ip6tables' = 'iptables') => {
    const r = await sshRun(host.name, `${tool}-save -t filter | ${FLEET_PART}`);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  const waitForSsh = async (seconds: number): Promise<number> => {
    const t0 = Date.now();
    while (Date.now() - t0 < seconds * 1000) {
      const r = await sshRun(host.name, 'true', { timeoutMs: 8000 });
      if (r.code === 0) return (Date.now() - t0) / 1000;
      await sleep(1000);
    }
    throw new Error(`${host.name} not reachable over SSH within ${seconds} s`);
  };

  beforeAll(async () => {
    host = labHosts()[2];
    await resetHost(host.name);
    pub = fs.readFileSync(`${labInfo().keyFile}.pub`, 'utf8').trim();
    // Every lab host in the inventory (sources "fleet" = all of them), runs limited to one.
    project = makeSiteProject();
    setGroupVars({});
  });

  afterAll(async () => {
    project?.cleanup();
    if (host) await resetHost(host.name);
  });

  it('first apply loads the ruleset into iptables and ip6tables, keeps it across reboots, and confirms it', async () => {
    const run = await fleet('apply');
    expect(run.code, explain(run)).toBe(0);
    expect(changed(run, host.name)).toBeGreaterThan(0);
    const confirm = taskEvents(run, host.name).find((e) => e.task === 'confirm the ruleset over a fresh connection');
    expect(confirm?.status).toBe('ok');

    const v4 = await rules();
    expect(v4).toMatch(/^-A INPUT -j FLEET-INPUT$/m);
    expect(v4).toMatch(/^-A FLEET-INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT$/m);
    expect(v4).toMatch(/^-A FLEET-INPUT -p tcp -m tcp --dport 22 -m comment --comment "fleet: ssh" -j ACCEPT$/m);
    expect(v4).toMatch(/^-A FLEET-INPUT -p tcp -m tcp --dport 8080 -m comment --comment "fleet: web" -j ACCEPT$/m);
    for (const h of labHosts()) {
      expect(v4).toContain(`-A FLEET-INPUT -s ${h.address}/32 -p udp -m udp --dport 7946 -m comment --comment "fleet: swarm gossip" -j ACCEPT`);
    }
    expect(v4).toMatch(/^-A FLEET-INPUT -m limit --limit 5\/min --limit-burst 10 -j LOG --log-prefix "fleet-drop: "$/m);
    expect(v4.trim().split('\n').filter((l) => l.startsWith('-A FLEET-INPUT')).pop()).toBe('-A FLEET-INPUT -j DROP');
    const v6 = await rules('ip6tables');
    expect(v6).toMatch(/^-A INPUT -j FLEET-INPUT$/m);
    expect(v6).toMatch(/^-A FLEET-INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT$/m);
    expect(v6).toMatch(/^-A FLEET-INPUT -p tcp -m tcp --dport 22 -m comment --comment "fleet: ssh" -j ACCEPT$/m);
    expect(v6.trim().split('\n').pop()).toBe('-A FLEET-INPUT -j DROP');

    // Confirmed: no rollback pending, and the boot unit holds exactly these rules.
    const st = await sshRun(host.name, 'systemctl is-enabled fleet-firewall; systemctl is-active fleet-firewall-rollback.timer; /usr/local/sbin/fleet-firewall status && echo in-sync');
    expect(st.stdout).toBe('enabled\ninactive\nin-sync\n');

    // Rules really filter: a port nobody allowed is dropped, 8080 (allowed) answers "refused".
    const probe = await sshRun(labHosts()[0].name, `timeout 3 bash -c '</dev/tcp/${host.address}/8080' 2>&1; echo rc=$?; timeout 3 bash -c '</dev/tcp/${host.address}/9999' 2>&1; echo rc=$?`);
    expect(probe.stdout).toMatch(/refused[\s\S]*rc=1\n[\s\S]*rc=124\n$/);

    const bootBefore = (await sshRun(host.name, 'cat /proc/sys/kernel/random/boot_id')).stdout;
    await sshRun(host.name, 'systemctl reboot', { timeoutMs: 10_000 });
    await sleep(3000);
    await waitForSsh(120);
    const bootAfter = (await sshRun(host.name, 'cat /proc/sys/kernel/random/boot_id')).stdout;
    expect(bootAfter).not.toBe(bootBefore);
    expect(await rules()).toBe(v4);
    expect(await rules('ip6tables')).toBe(v6);
  });

  it('a second apply changes nothing', async () => {
    const run = await fleet('apply');
    expect(run.code, explain(run)).toBe(0);
    expect(changed(run, host.name)).toBe(0);
  });

  it('a deleted rule is drift: check exits 2, names the rule in a diff, and changes nothing', async () => {
    const del = await sshRun(host.name, 'iptables -D FLEET-INPUT -p tcp -m tcp --dport 8080 -m comment --comment "fleet: web" -j ACCEPT');
    expect(del.code, del.stderr).toBe(0);
    const drifted = await rules();
    const run = await fleet('check', ['--diff']);
    expect(run.code, explain(run)).toBe(2);
    const load = taskEvents(run, host.name).find((e) => e.task === 'load the ruleset under the dead-man switch');
    expect(load?.status).toBe('changed');
    const diff = taskEvents(run, host.name).find((e) => e.task === 'live rules drifted from the applied ones');
    expect(diff?.diff).toMatch(/^--A FLEET-INPUT -p tcp -m tcp --dport 8080 -m comment --comment "fleet: web" -j ACCEPT$/m);
    expect(await rules()).toBe(drifted);

    const fix = await fleet('apply');
    expect(fix.code, explain(fix)).toBe(0);
    expect(await rules()).toMatch(/--dport 8080 /);
    const again = await fleet('apply');
    expect(changed(again, host.name)).toBe(0);
  });

  it('a ruleset that cuts the controller off is rolled back by the dead-man switch, and the host is reachable again', async () => {
    const good = await rules();
    setGroupVars({ firewall_ssh_sources: ['192.0.2.1/32'], firewall_rollback_timeout: 20 });
    const t0 = Date.now();
    const run = await fleet('apply');
    expect(run.code).toBe(1);
    const failure = run.recap?.failures.find((f) => f.task === 'confirm the ruleset over a fresh connection');
    expect(failure, explain(run)).toBeDefined();
    // Within the timeout (20 s after arming) plus the time to notice, SSH works again.
    await waitForSsh(45);
    expect((Date.now() - t0) / 1000).toBeLessThan(20 + 15 + 45);
    expect(await rules()).toBe(good);
    const journal = await sshRun(host.name, 'journalctl -u fleet-firewall-rollback --no-pager -o cat');
    expect(journal.stdout).toContain('previous rules restored');

    setGroupVars({});
    const back = await fleet('apply');
    expect(back.code, explain(back)).toBe(0);
    expect(await rules()).toBe(good);
  });

  it('with dockerd running and a published port, docker’s chains are kept and DOCKER-USER enforces the sources', async () => {
    const peerA = labHosts()[0];
    const peerB = labHosts()[1];
    const setup = await sshRun(
      host.name,
      [
        'set -e',
        'DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >/tmp/docker-install.log 2>&1 || { tail -20 /tmp/docker-install.log; exit 1; }',
        'systemctl start docker',
        // No registry in the lab: an image made of the host's own python3.
        'if ! docker image inspect fleet-py >/dev/null 2>&1; then tar -C / -c lib lib64 usr/bin/python3 usr/bin/python3.11 usr/lib/python3.11 usr/lib/x86_64-linux-gnu usr/lib64 2>/dev/null | docker import - fleet-py >/dev/null; fi',
        'docker rm -f web >/dev/null 2>&1 || true',
        'docker run -d --name web -p 8081:8000 fleet-py /usr/bin/python3 -m http.server 8000 >/dev/null',
        'sleep 2',
        'iptables-save -t filter | grep -c "^-A DOCKER"',
      ].join('\n'),
      { timeoutMs: 280_000 },
    );
    expect(setup.code, setup.stdout + setup.stderr).toBe(0);
    const dockerBefore = (await sshRun(host.name, `iptables-save -t filter | sed -n -e 's/ \\[[0-9]*:[0-9]*\\]$//' -e '/^:DOCKER/p' -e '/^-A DOCKER/p' -e '/^-A FORWARD/p' | grep -v FLEET`)).stdout;
    expect(dockerBefore).toMatch(/^-A DOCKER -d 172\.17\.[0-9.]+\/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 8000 -j ACCEPT$/m);

    setGroupVars({ firewall_docker_allow: [{ port: 8081, from: [peerA.address], comment: 'web from peer A' }] });
    const run = await fleet('apply');
    expect(run.code, explain(run)).toBe(0);
    const dockerAfter = (await sshRun(host.name, `iptables-save -t filter | sed -n -e 's/ \\[[0-9]*:[0-9]*\\]$//' -e '/^:DOCKER/p' -e '/^-A DOCKER/p' -e '/^-A FORWARD/p' | grep -v FLEET`)).stdout;
    expect(dockerAfter).toBe(dockerBefore);
    const v4 = await rules();
    expect(v4).toMatch(/^-A DOCKER-USER -j FLEET-DOCKER$/m);
    expect(v4).toContain(`-A FLEET-DOCKER -s ${peerA.address}/32 -p tcp -m conntrack --ctorigdstport 8081 --ctdir ORIGINAL`);

    const curl = `timeout 5 python3 -c "import urllib.request,sys; urllib.request.urlopen('http://${host.address}:8081/', timeout=4); print('open')" 2>/dev/null || echo closed`;
    expect((await sshRun(peerA.name, curl)).stdout.trim()).toBe('open');
    expect((await sshRun(peerB.name, curl)).stdout.trim()).toBe('closed');

    const again = await fleet('apply');
    expect(again.code, explain(again)).toBe(0);
    expect(changed(again, host.name)).toBe(0);
  });
});
