// Ansible's wait_for, cron, mount and apt_repository on a real lab host, written in Ansible's
// own words (a playbook next to an ansible.cfg): the first apply changes the host and the host
// is in that state (read back over SSH); a second apply changes nothing; drift (a cron entry
// edited, the tmpfs unmounted, the repository line removed) shows in fleet check --diff, exit 2,
// and nothing is changed by the check.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLab, labHosts, makeProject, resetHost, runFleet, sshRun, type FleetRun, type Project } from './helpers/index.js';

const explain = (run: FleetRun) => `exit ${run.code}\n${run.stderr}\n${JSON.stringify(run.recap?.failures ?? [], null, 1)}`;
const diffsOf = (run: FleetRun) => run.events.flatMap((e) => (e.type === 'task' && e.diff ? [e.diff] : [])).join('\n');

const PLAYBOOK = `- hosts: all
  gather_facts: true
  tasks:
    - name: cron.d exists
      ansible.builtin.file: {path: /etc/cron.d, state: directory, mode: "0755"}
    - name: nightly backup
      ansible.builtin.cron:
        name: fleet backup
        user: root
        minute: 0
        hour: 5
        job: /usr/bin/true backup
        cron_file: fleet-it
    - name: an environment line in the same file
      cron: name=MAILTO env=yes job=ops@example.org user=root cron_file=fleet-it
    - name: a tmpfs
      ansible.posix.mount: {path: /mnt/fleet-it, src: tmpfs, fstype: tmpfs, opts: size=1m, state: mounted}
    - name: a repository, offline (no update)
      ansible.builtin.apt_repository:
        repo: deb [trusted=yes] file:/srv/fleet-it-repo ./
        filename: fleet-it
        update_cache: false
    - name: the fstab line is there
      ansible.builtin.wait_for: {path: /etc/fstab, search_regex: 'tmpfs (/mnt/\\S+) tmpfs', timeout: 10}
      register: fstab_wait
    - name: sshd answers
      wait_for: port=22 search_regex=OpenSSH timeout=10
    - name: what wait_for found
      copy: {content: "{{ fstab_wait.match_groups[0] }}\\n", dest: /etc/fleet-it-waited}
`;

describeLab('Ansible modules: wait_for, cron, mount, apt_repository', () => {
  let host: ReturnType<typeof labHosts>[number];
  let project: Project;
  const fleet = (cmd: 'apply' | 'check', extra: string[] = []) =>
    runFleet([cmd, path.join(project.dir, 'site.yml'), '-i', project.inventoryDir, '-l', host.name, ...extra], { cwd: project.dir });

  beforeAll(async () => {
    host = labHosts()[2] ?? labHosts()[0];
    await resetHost(host.name);
    project = makeProject({ hosts: [host.name] });
    fs.writeFileSync(path.join(project.dir, 'ansible.cfg'), '[defaults]\n');
    fs.writeFileSync(path.join(project.dir, 'site.yml'), PLAYBOOK);
  });

  afterAll(async () => {
    project?.cleanup();
    if (host) {
      await sshRun(host.name, 'umount /mnt/fleet-it 2>/dev/null; true');
      await resetHost(host.name);
    }
  });

  it('first apply: the cron file as Ansible writes it, the tmpfs mounted and in fstab, the repository file, the waits answered', async () => {
    const run = await fleet('apply');
    expect(run.code, explain(run)).toBe(0);
    expect(run.recap?.hosts[host.name]?.changed).toBeGreaterThanOrEqual(5);
    const st = await sshRun(
      host.name,
      'cat /etc/cron.d/fleet-it; stat -c %a /etc/cron.d/fleet-it; findmnt -rn -o SOURCE,FSTYPE,OPTIONS /mnt/fleet-it; grep fleet-it /etc/fstab; cat /etc/apt/sources.list.d/fleet-it.list /etc/fleet-it-waited',
    );
    expect(st.code, st.stderr).toBe(0);
    const lines = st.stdout.split('\n');
    expect(lines.slice(0, 4)).toEqual(['MAILTO="ops@example.org"', '#Ansible: fleet backup', '0 5 * * * root /usr/bin/true backup', '644']);
    expect(lines[4]).toMatch(/^tmpfs tmpfs rw,.*size=1024k/);
    expect(lines.slice(5)).toEqual(['tmpfs /mnt/fleet-it tmpfs size=1m 0 0', 'deb [trusted=yes] file:/srv/fleet-it-repo ./', '/mnt/fleet-it', '']);
  });

  it('second apply: 0 changed', async () => {
    const run = await fleet('apply');
    expect(run.code, explain(run)).toBe(0);
    expect(run.recap?.hosts[host.name]?.changed).toBe(0);
  });

  it('drift shows in check --diff (exit 2) and the check changes nothing', async () => {
    const drift = await sshRun(
      host.name,
      "sed -i 's/^0 5 /30 6 /' /etc/cron.d/fleet-it && umount /mnt/fleet-it && rm /etc/apt/sources.list.d/fleet-it.list && echo drifted",
    );
    expect(drift.stdout).toBe('drifted\n');
    const check = await fleet('check', ['--diff']);
    expect(check.code, explain(check)).toBe(2);
    const diffs = diffsOf(check);
    expect(diffs).toMatch(/^-30 6 \* \* \* root \/usr\/bin\/true backup$/m);
    expect(diffs).toMatch(/^\+0 5 \* \* \* root \/usr\/bin\/true backup$/m);
    expect(diffs).toMatch(/^\+deb \[trusted=yes\] file:\/srv\/fleet-it-repo \.\/$/m);
    const summaries = check.events.flatMap((e) => (e.type === 'task' && e.status === 'changed' ? [e.msg ?? ''] : []));
    expect(summaries.join('\n')).toContain('mount /mnt/fleet-it');
    const after = await sshRun(host.name, "grep -c '^30 6 ' /etc/cron.d/fleet-it; mountpoint -q /mnt/fleet-it || echo unmounted; test -e /etc/apt/sources.list.d/fleet-it.list || echo no-repo");
    expect(after.stdout).toBe('1\nunmounted\nno-repo\n');
    // And apply puts it back.
    const fix = await fleet('apply');
    expect(fix.code, explain(fix)).toBe(0);
    expect(fix.recap?.hosts[host.name]?.changed).toBe(3);
  });
});
