// Bring your Ansible roles: public Ansible roles (geerlingguy.firewall, geerlingguy.memcached,
// geerlingguy.apache-php-fpm with its meta dependency geerlingguy.apache, robertdebock.users
// with block/rescue and looped include_tasks, vendored unchanged
// under test/fixtures/ansible) and a delegate_to playbook converge lab hosts through Ansible-shaped
// playbooks (ansible.cfg roles_path, pre_tasks/post_tasks, ansible.builtin names); a second
// apply changes nothing in one round trip; drift on the host shows in fleet check --diff.
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
  const fleet = (cmd: 'apply' | 'check', extra: string[] = [], playbook = 'site.yml') =>
    runFleet([cmd, path.join(project.dir, playbook), '-i', project.inventoryDir, '-l', host.name, ...extra], { cwd: project.dir });

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

  /** A first apply that changes the host; then what `readBack` prints there (exit 0). */
  const convergeAndRead = async (playbook: string, readBack: string): Promise<string> => {
    const run = await fleet('apply', [], playbook);
    expect(run.code, explain(run)).toBe(0);
    expect(run.recap?.hosts[host.name]?.changed ?? 0).toBeGreaterThan(0);
    const st = await sshRun(host.name, readBack);
    expect(st.code, st.stderr).toBe(0);
    return st.stdout;
  };

  // geerlingguy.memcached: include_vars by OS family, set_fact, apt update_cache, a package from
  // the lab's package source, a Jinja template, a handler, a service; post_tasks with stat,
  // assert and until. Runs first: the firewall role below leaves INPUT closed but for 22/80.
  it('geerlingguy.memcached converges: package, templated config, running service answering on its port', async () => {
    const out = await convergeAndRead(
      'memcached.yml',
      "dpkg-query -W -f '${Status}\n' memcached; systemctl is-active memcached; systemctl is-enabled memcached; grep -E '^-(m|t|l|u) ' /etc/memcached.conf; ps -o args= -C memcached",
    );
    expect(out).toMatch(/^install ok installed\nactive\nenabled\n-t 2\n-m 32\n-u memcache\n-l 127\.0\.0\.1\n/);
    // The handler restarted it with the role's settings.
    expect(out).toMatch(/memcached .*-m 32/);
  });

  it('memcached: a second apply changes nothing, in one round trip; check --diff shows drift and changes nothing', async () => {
    const again = await fleet('apply', ['-v'], 'memcached.yml');
    expect(again.code, explain(again)).toBe(0);
    expect(again.recap?.hosts[host.name]?.changed).toBe(0);
    expect(roundTrips(again), again.stderr).toEqual([1]);
    await sshRun(host.name, "sed -i 's/^-m 32$/-m 640/' /etc/memcached.conf");
    const check = await fleet('check', ['--diff'], 'memcached.yml');
    expect(check.code, explain(check)).toBe(2);
    const diffs = check.events.flatMap((e) => (e.type === 'task' && e.diff ? [e.diff] : [])).join('\n');
    expect(diffs).toMatch(/^-+-m 640$/m);
    expect(diffs).toMatch(/^\+-m 32$/m);
    const after = await sshRun(host.name, "grep -c '^-m 640$' /etc/memcached.conf");
    expect(after.stdout.trim()).toBe('1');
  });

  // block/rescue/always over real SSH (Ansible's semantics): a failed query is rescued, the
  // host is not failed; a second apply changes nothing; check --diff takes the same path.
  it('block/rescue/always: the rescue reads ansible_failed_task/_result, always and the next task run; idempotent; drift shows in check', async () => {
    const out = await convergeAndRead(
      'block-rescue.yml',
      'cat /etc/fleet-rescued /etc/fleet-always /etc/fleet-after-block; test ! -e /etc/fleet-block-not-reached && echo not-reached',
    );
    expect(out).toBe('Read /etc/fleet-optional.conf. rc=1\nalways\nafter\nnot-reached\n');
    const again = await fleet('apply', [], 'block-rescue.yml');
    expect(again.code, explain(again)).toBe(0);
    expect(again.recap?.hosts[host.name]).toMatchObject({ changed: 0, failed: 0, rescued: 1 });
    await sshRun(host.name, "echo tampered > /etc/fleet-rescued");
    const check = await fleet('check', ['--diff'], 'block-rescue.yml');
    expect(check.code, explain(check)).toBe(2);
    const diffs = check.events.flatMap((e) => (e.type === 'task' && e.diff ? [e.diff] : [])).join('\n');
    expect(diffs).toMatch(/^-tampered$/m);
    expect(diffs).toMatch(/^\+Read \/etc\/fleet-optional\.conf\. rc=1$/m);
    const after = await sshRun(host.name, 'cat /etc/fleet-rescued');
    expect(after.stdout).toBe('tampered\n');
  });

  // robertdebock.users: include_tasks looped over the groups and users (loop_control loop_var),
  // asserts imported with run_once and delegate_to: localhost, sudoers drop-ins checked by
  // visudo, authorized_key, chage; per user, getent in a block whose rescue takes /home when
  // the user is gone (the absent user's lookup is rescued, the host is not failed).
  it('robertdebock.users converges: groups, a user with groups, sudo, cron and a key; a removed user; the failed lookup is rescued', async () => {
    await sshRun(host.name, 'useradd -m fleetgone');
    const run = await fleet('apply', [], 'users.yml');
    expect(run.code, explain(run)).toBe(0);
    expect(run.recap?.hosts[host.name]).toMatchObject({ failed: 0, rescued: 1 });
    expect(run.recap?.hosts[host.name]?.changed ?? 0).toBeGreaterThan(0);
    const st = await sshRun(
      host.name,
      "id fleetuser; getent group fleetops | cut -d: -f1,3; cat /etc/sudoers.d/fleetuser /etc/sudoers.d/fleetwheel; grep -v '^#' /etc/cron.allow; cat /home/fleetuser/.ssh/authorized_keys; chage -l fleetuser | grep Maximum; getent passwd fleetgone || echo gone",
    );
    expect(st.code, st.stderr).toBe(0);
    // fleetwheel's gid is the next free one (the role gives it none).
    expect(st.stdout.replace(/,\d+\(fleetwheel\)/, ',N(fleetwheel)')).toBe(
      [
        'uid=2407(fleetuser) gid=2407(fleetops) groups=2407(fleetops),N(fleetwheel)',
        'fleetops:2407',
        '#',
        '# Ansible managed',
        '#',
        'fleetuser ALL=(ALL) NOPASSWD: /usr/bin/systemctl',
        '#',
        '# Ansible managed',
        '#',
        '%fleetwheel ALL=(ALL) NOPASSWD: ALL',
        'fleetuser',
        'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGpT3VbqlgGwWUaZ0pXgm1jxhvEbIh06iG9cF6tNcH9I fleetuser@lab',
        'Maximum number of days between password change\t\t: 90',
        'gone',
        '',
      ].join('\n'),
    );
  });

  it('robertdebock.users: a second apply changes nothing, in one round trip (the rescue again); check --diff shows a drifted sudoers file and changes nothing', async () => {
    const again = await fleet('apply', ['-v'], 'users.yml');
    expect(again.code, explain(again)).toBe(0);
    expect(again.recap?.hosts[host.name]).toMatchObject({ changed: 0, failed: 0, rescued: 1 });
    expect(roundTrips(again), again.stderr).toEqual([1]);
    await sshRun(host.name, "sed -i 's#NOPASSWD: /usr/bin/systemctl#NOPASSWD: ALL#' /etc/sudoers.d/fleetuser");
    const check = await fleet('check', ['--diff'], 'users.yml');
    expect(check.code, explain(check)).toBe(2);
    const diffs = check.events.flatMap((e) => (e.type === 'task' && e.diff ? [e.diff] : [])).join('\n');
    // The drifted line on both sides (fleet's redactor masks the value after NOPASSWD:).
    expect(diffs).toMatch(/^--- \/etc\/sudoers\.d\/fleetuser$/m);
    expect(diffs).toMatch(/^-fleetuser ALL=\(ALL\) NOPASSWD: /m);
    expect(diffs).toMatch(/^\+fleetuser ALL=\(ALL\) NOPASSWD: /m);
    const after = await sshRun(host.name, 'cat /etc/sudoers.d/fleetuser');
    expect(after.stdout).toContain('fleetuser ALL=(ALL) NOPASSWD: ALL\n');
  });

  // geerlingguy.apache-php-fpm: its meta/main.yml dependency geerlingguy.apache runs first
  // (include_vars and include_tasks chosen by facts, a version queried with check_mode: false
  // and set_fact, lineinfile, links, a vhost template, a handler); then its own link.
  it('geerlingguy.apache-php-fpm converges with its meta dependency geerlingguy.apache: package, port, vhost, modules, running service', async () => {
    const out = await convergeAndRead(
      'apache.yml',
      "dpkg-query -W -f '${Status}\\n' apache2; systemctl is-active apache2; grep '^Listen ' /etc/apache2/ports.conf; ls /etc/apache2/sites-enabled; readlink /etc/apache2/mods-enabled/proxy_fcgi.load /etc/apache2/mods-enabled/rewrite.load; curl -sS -o /dev/null -w '%{http_code}\\n' http://127.0.0.1:8080/",
    );
    expect(out).toBe(
      'install ok installed\nactive\nListen 8080\nvhosts.conf\n/etc/apache2/mods-available/proxy_fcgi.load\n/etc/apache2/mods-available/rewrite.load\n200\n',
    );
  });

  it('apache: a second apply changes nothing, in one round trip; check --diff shows a drifted port and changes nothing', async () => {
    const again = await fleet('apply', ['-v'], 'apache.yml');
    expect(again.code, explain(again)).toBe(0);
    expect(again.recap?.hosts[host.name]?.changed).toBe(0);
    expect(roundTrips(again), again.stderr).toEqual([1]);
    await sshRun(host.name, "sed -i 's/^Listen 8080$/Listen 8081/' /etc/apache2/ports.conf");
    const check = await fleet('check', ['--diff'], 'apache.yml');
    expect(check.code, explain(check)).toBe(2);
    const diffs = check.events.flatMap((e) => (e.type === 'task' && e.diff ? [e.diff] : [])).join('\n');
    expect(diffs).toMatch(/^-Listen 8081$/m);
    expect(diffs).toMatch(/^\+Listen 8080$/m);
    const after = await sshRun(host.name, "grep -c '^Listen 8081$' /etc/apache2/ports.conf");
    expect(after.stdout.trim()).toBe('1');
  });

  // delegate_to another inventory host (not in the play): the file lands there, with this
  // host's variables; this host keeps its one round trip; drift on the delegate shows in check.
  it('delegate_to: the task runs on the delegate with the host\'s variables; idempotent; drift on the delegate shows in check --diff', async () => {
    const other = labHosts().find((h) => h.name !== host.name)!;
    const two = makeProject({ hosts: [host.name, other.name] });
    fs.cpSync(path.join(REPO_ROOT, 'test/fixtures/ansible'), two.dir, { recursive: true });
    const file = `/var/tmp/fleet-delegated-${host.name}`;
    const run = (cmd: 'apply' | 'check', extra: string[] = []) =>
      runFleet([cmd, path.join(two.dir, 'delegate.yml'), '-i', two.inventoryDir, '-l', host.name, '-e', `delegate_host=${other.name}`, ...extra], { cwd: two.dir });
    try {
      const first = await run('apply');
      expect(first.code, explain(first)).toBe(0);
      expect(first.recap?.hosts[host.name]?.changed).toBe(1);
      expect((await sshRun(other.name, `cat ${file}`)).stdout).toBe(`asked by ${host.name}\n`);
      expect((await sshRun(host.name, `test -e ${file} && echo here || echo absent`)).stdout).toBe('absent\n');
      const again = await run('apply', ['-v']);
      expect(again.code, explain(again)).toBe(0);
      expect(again.recap?.hosts[host.name]?.changed).toBe(0);
      expect(roundTrips(again), again.stderr).toEqual([1]);
      expect(again.stderr).toContain(`delegate_to ${other.name}: probe on ${other.name}'s shell`);
      await sshRun(other.name, `echo tampered > ${file}`);
      const check = await run('check', ['--diff']);
      expect(check.code, explain(check)).toBe(2);
      const diffs = check.events.flatMap((e) => (e.type === 'task' && e.diff ? [e.diff] : [])).join('\n');
      expect(diffs).toMatch(/^-tampered$/m);
      expect(diffs).toMatch(new RegExp(`^\\+asked by ${host.name}$`, 'm'));
      expect((await sshRun(other.name, `cat ${file}`)).stdout).toBe('tampered\n');
    } finally {
      await sshRun(other.name, `rm -f ${file}`);
      two.cleanup();
    }
  });

  it('geerlingguy.firewall converges: script, unit, running service, the rules it writes', async () => {
    const out = await convergeAndRead(
      'site.yml',
      'systemctl is-active firewall; systemctl is-enabled firewall; iptables -S INPUT; stat -c %a /etc/firewall.bash; cat /etc/motd',
    );
    expect(out).toMatch(/^active\nenabled\n/);
    expect(out).toContain('-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT');
    expect(out).not.toContain('--dport 443');
    expect(out).toMatch(/^744$/m);
    expect(out).toContain('firewall managed by geerlingguy.firewall');
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
