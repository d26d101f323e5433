// Issue 13's fault suite, on lab hosts: a fault on one host mid-run (link cut, host killed,
// sudo taken away, disk full, sshd refusing new connections) never hurts the others, leaves
// nothing half-written, the recap tells the truth (a change cut off is `unknown`, not failed),
// and the next run repairs.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import YAML from 'yaml';
import { labInstance, labUp } from '../../src/lab/index.js';
import { stopHost } from '../../src/lab/host.js';
import { describeLab, labHosts, labInfo, labInstanceSpec, makeProject, runFleet, sshRun, taskEvents, type FleetRun, type Project } from './helpers/index.js';
import { startFleet, waitForFile } from './helpers/background.js';

const PAYLOAD = 'x'.repeat(120_000);
const PLAYBOOK = `- hosts: all
  tasks:
    - name: first file
      copy: {content: "one\\n", dest: /root/fault-one}
    - name: long task
      command: {cmd: "sh -c 'touch /root/fault.started; sleep 4; touch /root/fault.slept'"}
      register: long
    - name: target directory
      file: {path: /srv/fault, state: directory}
      when: long.rc == 0
    - name: last file
      copy: {content: "${PAYLOAD}", dest: /srv/fault/last}
`;
const CLEAN = 'rm -rf /root/fault-one /root/fault.started /root/fault.slept /srv/fault/* 2>/dev/null; mkdir -p /srv/fault';

async function waitForSshBack(host: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    if ((await sshRun(host, 'true', { timeoutMs: 5000 })).code === 0) return;
    await new Promise((res) => setTimeout(res, 1000));
  }
  throw new Error(`${host}: sshd did not come back`);
}

describeLab('faults on one host mid-run', () => {
  let hosts: string[];
  let project: Project;

  beforeAll(async () => {
    hosts = labHosts().slice(0, 4).map((h) => h.name);
    const info = labInfo();
    // Keepalives every second: a cut link or a dead host is noticed in about 3 s.
    const hv = (name: string, sudo: boolean) => ({
      ansible_host: labHosts().find((h) => h.name === name)!.address,
      ansible_user: sudo ? 'deploy' : 'root',
      ...(sudo ? { ansible_become: true } : {}),
      ansible_ssh_private_key_file: info.keyFile,
      ansible_ssh_common_args: '-o ServerAliveInterval=1',
    });
    // The first host logs in as deploy and uses sudo (to take sudo away from it).
    const inventory = { all: { hosts: Object.fromEntries(hosts.map((h, i) => [h, hv(h, i === 0)])) } };
    project = makeProject({ inventory: YAML.stringify(inventory), playbook: PLAYBOOK });
    await Promise.all(hosts.map((h) => sshRun(h, `${CLEAN}; umount /srv/fault 2>/dev/null; systemctl start ssh; echo 'deploy ALL=(ALL) NOPASSWD: ALL' >/etc/sudoers.d/deploy`)));
  });
  afterAll(async () => {
    if (hosts) await Promise.all(hosts.map((h) => sshRun(h, "umount /srv/fault 2>/dev/null; systemctl start ssh; echo 'deploy ALL=(ALL) NOPASSWD: ALL' >/etc/sudoers.d/deploy")));
    project?.cleanup();
  });

  const args = (cmd = 'apply') => [cmd, project.playbook, '-i', project.inventoryDir];
  const lastOk = async (h: string) => (await sshRun(h, 'wc -c </srv/fault/last')).stdout.trim();
  /** Files in /srv/fault besides `last`: a half-written temporary would show here. */
  const leftovers = async (h: string) => (await sshRun(h, 'ls -A /srv/fault | grep -vx last || true')).stdout.trim();
  const converged = (run: FleetRun, h: string) => expect(run.recap!.hosts[h], `${h}: ${run.stderr}`).toMatchObject({ failed: 0, unreachable: 0, changed: 3 });

  it('link cut and host killed mid-task: the others converge, the cut-off task is unknown, the next run repairs', async () => {
    const [a, cut, killed, d] = hosts;
    const run = startFleet(args());
    await Promise.all([waitForFile(cut, '/root/fault.started'), waitForFile(killed, '/root/fault.started')]);
    execFileSync('ip', ['link', 'set', `vb-${cut}`, 'down']);
    await stopHost(labInstance(labInstanceSpec()), killed, 0);
    const r = await run.done;
    execFileSync('ip', ['link', 'set', `vb-${cut}`, 'up']);
    expect(r.code).toBe(1);
    converged(r, a);
    converged(r, d);
    for (const h of [cut, killed]) {
      // 'first file' and 'long task' went in one round trip (one unguarded command rides along):
      // cut off, both outcomes are unknown, and both say so; neither vanishes from the recap.
      expect(r.recap!.hosts[h], h).toMatchObject({ unknown: 2, changed: 0, failed: 0 });
      expect(taskEvents(r, h).find((t) => t.task === 'first file')).toMatchObject({ status: 'unknown', msg: expect.stringContaining('may or may not have been made') });
      expect(taskEvents(r, h).find((t) => t.task === 'long task')).toMatchObject({ status: 'unknown', msg: expect.stringMatching(/rode along with 'first file'.*may or may not have been made/) });
      expect(r.recap!.failures.filter((f) => f.host === h).map((f) => f.task)).toEqual(['first file', 'long task']);
    }
    await labUp(4, { instance: labInstanceSpec() });
    // The next check tells the truth about the host whose link was cut (the command went on).
    expect((await sshRun(cut, 'test -e /root/fault.slept && ! test -e /srv/fault/last')).code).toBe(0);
    const again = await runFleet(args());
    expect(again.code, again.stderr).toBe(0);
    for (const h of [a, d]) expect(again.recap!.hosts[h]).toMatchObject({ changed: 1 }); // the command only
    for (const h of [cut, killed]) {
      expect(again.recap!.hosts[h]).toMatchObject({ failed: 0, unreachable: 0 });
      expect(await lastOk(h)).toBe(String(PAYLOAD.length));
      expect(await leftovers(h)).toBe('');
    }
  });

  it('sudo taken away, disk full, sshd refusing new connections: the others converge, nothing half-written, the next run repairs', async () => {
    const [sudoHost, full, refusing, fine] = hosts;
    await Promise.all(hosts.map((h) => sshRun(h, CLEAN)));
    await sshRun(full, 'mount -t tmpfs -o size=64k tmpfs /srv/fault');
    const run = startFleet(args());
    await Promise.all([waitForFile(sudoHost, '/root/fault.started'), waitForFile(refusing, '/root/fault.started')]);
    // sshd stops listening (the connections it has stay up) and comes back by itself: nothing
    // could log in to start it again.
    await Promise.all([sshRun(sudoHost, 'rm /etc/sudoers.d/deploy'), sshRun(refusing, 'systemd-run --quiet --on-active=15 systemctl start ssh && systemctl stop ssh')]);
    const r = await run.done;
    expect(r.code).toBe(1);
    converged(r, fine);
    // The run's one connection to the host that stopped listening carries on to the end.
    converged(r, refusing);
    expect(r.recap!.hosts[sudoHost]).toMatchObject({ failed: 1, changed: 2, unreachable: 0 });
    expect(r.recap!.failures.find((f) => f.host === sudoHost)?.msg).toMatch(/sudo/);
    expect(r.recap!.hosts[full]).toMatchObject({ failed: 1, unreachable: 0 });
    expect(r.recap!.failures.find((f) => f.host === full)).toMatchObject({ task: 'last file', stderr: expect.stringMatching(/No space left/) });
    // Nothing half-written: no `last`, no temporary left behind.
    expect((await sshRun(full, 'ls -A /srv/fault')).stdout.trim()).toBe('');
    expect((await sshRun(sudoHost, 'ls -A /srv/fault')).stdout.trim()).toBe('');

    // sshd refuses new connections: that host is unreachable, the others are untouched.
    const refused = await runFleet(args());
    expect(refused.code).toBe(1);
    expect(refused.recap!.hosts[refusing]).toMatchObject({ unreachable: 1, changed: 0 });
    expect(refused.recap!.hosts[fine]).toMatchObject({ failed: 0, unreachable: 0, changed: 1 });

    await Promise.all([
      sshRun(sudoHost, "echo 'deploy ALL=(ALL) NOPASSWD: ALL' >/etc/sudoers.d/deploy"),
      sshRun(full, 'umount /srv/fault'),
    ]);
    await waitForSshBack(refusing);
    const repaired = await runFleet(args());
    expect(repaired.code, repaired.stderr).toBe(0);
    for (const h of [sudoHost, full, refusing]) expect(await lastOk(h)).toBe(String(PAYLOAD.length));
    expect(await leftovers(full)).toBe('');
  });
});
