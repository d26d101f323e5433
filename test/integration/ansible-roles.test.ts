// Bring your Ansible roles: a public Ansible role (geerlingguy.firewall, vendored unchanged under
// test/fixtures/ansible) converges a lab host through an Ansible-shaped playbook (ansible.cfg
// roles_path, pre_tasks, ansible.builtin names); a second apply changes nothing in one round
// trip; drift on the host shows in fleet check --diff.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeLab,
  labHosts,
  makeProject,
  REPO_ROOT,
  resetHost,
  runFleet,
  sshRun,
  type FleetRun,
  type Project,
} from './helpers/index.js';

const explain = (run: FleetRun) => `exit ${run.code}\n${run.stderr}\n${JSON.stringify(run.recap?.failures ?? [], null, 1)}`;
const roundTrips = (run: FleetRun) => run.events.flatMap((e) => (e.type === 'host' ? [e.roundTrips] : []));

describeLab('Ansible roles run unchanged', () => {
  let host: ReturnType<typeof labHosts>[number];
  let project: Project;
  const fleet = (cmd: 'apply' | 'check', extra: string[] = []) =>
    runFleet([cmd, path.join(project.dir, 'site.yml'), '-i', project.inventoryDir, '-l', host.name, ...extra], { cwd: project.dir });

  beforeAll(async () => {
    host = labHosts()[1];
    await resetHost(host.name);
    project = makeProject({ hosts: [host.name] });
    fs.cpSync(path.join(REPO_ROOT, 'test/fixtures/ansible'), project.dir, { recursive: true });
  });

  afterAll(async () => {
    project?.cleanup();
    if (host) await resetHost(host.name);
  });

  it('geerlingguy.firewall converges: script, unit, running service, the rules it writes', async () => {
    const run = await fleet('apply');
    expect(run.code, explain(run)).toBe(0);
    expect(run.recap?.hosts[host.name]?.changed ?? 0).toBeGreaterThan(0);
    const st = await sshRun(
      host.name,
      'systemctl is-active firewall; systemctl is-enabled firewall; iptables -S INPUT; stat -c %a /etc/firewall.bash; cat /etc/motd',
    );
    expect(st.code, st.stderr).toBe(0);
    expect(st.stdout).toMatch(/^active\nenabled\n/);
    expect(st.stdout).toContain('-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT');
    expect(st.stdout).not.toContain('--dport 443');
    expect(st.stdout).toMatch(/^744$/m);
    expect(st.stdout).toContain('firewall managed by geerlingguy.firewall');
  });

  it('a second apply changes nothing, in one round trip', async () => {
    const run = await fleet('apply');
    expect(run.code, explain(run)).toBe(0);
    expect(run.recap?.hosts[host.name]?.changed).toBe(0);
    expect(roundTrips(run)).toEqual([1]);
  });

  it("fleet check --diff shows drift in the role's template and changes nothing", async () => {
    const drift = await sshRun(
      host.name,
      "sed -i 's/--dport 80 /--dport 8080 /' /etc/firewall.bash && grep -c 'dport 8080' /etc/firewall.bash",
    );
    expect(drift.stdout.trim()).toBe('1');
    const check = await fleet('check', ['--diff']);
    expect(check.code, explain(check)).toBe(2);
    const diffs = check.events.flatMap((e) => (e.type === 'task' && e.diff ? [e.diff] : [])).join('\n');
    expect(diffs).toMatch(/^-.*--dport 8080 /m);
    expect(diffs).toMatch(/^\+.*--dport 80 /m);
    const after = await sshRun(host.name, "grep -c 'dport 8080' /etc/firewall.bash");
    expect(after.stdout.trim()).toBe('1');
  });
});
