// Issue 2's "done when", over real SSH on lab hosts: a role using every module converges
// three hosts, a second run is free, check mode is honest, failures stay on their host.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { HostEvent, TaskEvent } from '../../src/model/events.js';
import { describeLab, FLEET_MAIN, labHosts, labInfo, makeProject, parseNdjson, resetHost, resetHosts, runFleet, sshRun, taskEvents, type Project } from './helpers/index.js';

/** An address on the lab's bridge where no host answers. */
const ghostAddress = () => labInfo().subnet.replace(/\.0\/24$/, '.250');
const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/projects/core');

describeLab('fleet apply and check over real SSH', () => {
  let project: Project;
  let hosts: string[];

  beforeAll(async () => {
    hosts = labHosts().slice(0, 3).map((h) => h.name);
    await resetHosts(hosts);
    project = makeProject({ hosts });
    fs.cpSync(path.join(FIXTURE, 'roles'), path.join(project.dir, 'roles'), { recursive: true });
    fs.cpSync(path.join(FIXTURE, 'playbooks'), path.join(project.dir, 'playbooks'), { recursive: true });
  });
  afterAll(() => project?.cleanup());

  const fleet = (args: string[], env?: NodeJS.ProcessEnv) => runFleet([...args, '-i', project.inventoryDir], { cwd: project.dir, env });

  it('converges three hosts with a role that uses every module, and the hosts really are in that state', async () => {
    const run = await fleet(['apply', 'playbooks/site.yml']);
    expect(run.code, run.stderr).toBe(0);
    for (const h of hosts) {
      expect(run.recap!.hosts[h]).toMatchObject({ failed: 0, unreachable: 0 });
      expect(run.recap!.hosts[h].changed).toBeGreaterThan(10);
    }
    for (const h of hosts) {
      const r = await sshRun(
        h,
        [
          'stat -c "%a %U %G" /opt/fleet-demo',
          'readlink /opt/fleet-demo/current',
          'stat -c "%a %U %G" /etc/fleet-demo.conf',
          'grep -c "^port=8080$" /etc/fleet-demo.conf',
          'head -1 /etc/fleet-demo.lines',
          'grep -c "^alpha=1$" /etc/fleet-demo.extra',
          "dpkg-query -W -f='${Status}\\n' hello",
          'sysctl -n net.core.somaxconn',
          'systemctl is-active fleet-demo',
          'systemctl is-enabled fleet-demo',
          'id -gn fleetapp',
          'grep -c fleet-test ~fleetapp/.ssh/authorized_keys',
          'cat /opt/fleet-demo/hello.out',
          'cat /opt/fleet-demo/tagged',
        ].join('; '),
      );
      expect(r.stdout.trim().split('\n')).toEqual([
        '750 fleetapp fleetapp',
        '/opt/fleet-demo/data',
        '640 root fleetapp',
        '1',
        '# managed by fleet',
        '1',
        'install ok installed',
        '1024',
        'active',
        'enabled',
        'fleetapp',
        '1',
        'fleet',
        h,
      ]);
    }
  });

  it('a second apply changes nothing and costs exactly one exec round trip per host after connecting', async () => {
    const run = await fleet(['apply', 'playbooks/site.yml']);
    expect(run.code, run.stderr).toBe(0);
    const hostEvents = run.events.filter((e): e is HostEvent => e.type === 'host');
    expect(hostEvents.map((e) => e.host).sort()).toEqual([...hosts].sort());
    for (const e of hostEvents) expect(e.roundTrips).toBe(1);
    for (const h of hosts) expect(run.recap!.hosts[h]).toMatchObject({ changed: 0, failed: 0 });
  });

  it('fleet node add, then apply: only the new node changes, every other host reports ok', async () => {
    const extra = labHosts()[3];
    expect(extra, 'the harness brings up 4 hosts (FLEET_LAB_HOSTS)').toBeDefined();
    await resetHost(extra.name);
    const before = fs.readFileSync(project.inventoryFile, 'utf8');
    const add = await runFleet(['node', 'add', extra.name, '--address', extra.address, '--group', 'workers', '--file', project.inventoryFile, '-i', project.inventoryDir], { cwd: project.dir, json: false });
    expect(add.code, add.stderr).toBe(0);
    const after = fs.readFileSync(project.inventoryFile, 'utf8');
    expect(after).toContain(extra.name);
    // node add writes the address and the group; the lab's key comes from group_vars
    fs.mkdirSync(path.join(project.inventoryDir, 'group_vars'), { recursive: true });
    fs.writeFileSync(path.join(project.inventoryDir, 'group_vars', 'all.yml'), `ansible_ssh_private_key_file: ${labInfo().keyFile}\n`);
    try {
      const run = await fleet(['apply', 'playbooks/site.yml']);
      expect(run.code, run.stderr).toBe(0);
      for (const h of hosts) expect(run.recap!.hosts[h]).toMatchObject({ changed: 0, failed: 0 });
      expect(run.recap!.hosts[extra.name].changed).toBeGreaterThan(10);
      expect((await sshRun(extra.name, 'cat /opt/fleet-demo/tagged')).stdout.trim()).toBe(extra.name);
    } finally {
      // back to three hosts for the tests below
      fs.writeFileSync(project.inventoryFile, before);
    }
  });

  it('fleet check on a drifted host shows the drift with a diff, exits 2, and leaves the host untouched', async () => {
    const h = hosts[1];
    await sshRun(h, 'sed -i s/^port=8080/port=9999/ /etc/fleet-demo.conf; systemctl stop fleet-demo');
    const before = await sshRun(h, 'sha256sum /etc/fleet-demo.conf; systemctl is-active fleet-demo');
    const run = await fleet(['check', 'playbooks/site.yml', '--diff']);
    expect(run.code).toBe(2);
    const tpl = taskEvents(run, h).find((t) => t.task === 'config from template')!;
    expect(tpl.status).toBe('changed');
    expect(tpl.diff).toContain('-port=9999');
    expect(tpl.diff).toContain('+port=8080');
    expect(taskEvents(run, h).find((t) => t.task === 'service')!.status).toBe('changed');
    for (const other of hosts.filter((x) => x !== h)) expect(run.recap!.hosts[other].changed).toBe(0);
    const after = await sshRun(h, 'sha256sum /etc/fleet-demo.conf; systemctl is-active fleet-demo');
    expect(after.stdout).toBe(before.stdout);
    expect(after.stdout).toContain('inactive');
    // put it back for the tests below
    expect((await fleet(['apply', 'playbooks/site.yml'])).code).toBe(0);
  });

  it('a failing task stops its host only, and the recap says where and why', async () => {
    const run = await fleet(['apply', 'playbooks/fail-one.yml']);
    expect(run.code).toBe(1);
    const failing = hosts[0];
    expect(run.recap!.hosts[failing]).toMatchObject({ failed: 1 });
    for (const h of hosts.slice(1)) {
      expect(run.recap!.hosts[h]).toMatchObject({ failed: 0 });
      expect((await sshRun(h, 'test -e /tmp/fleet-after-fail && echo yes')).stdout.trim()).toBe('yes');
    }
    expect((await sshRun(failing, 'test -e /tmp/fleet-after-fail || echo no')).stdout.trim()).toBe('no');
    const f = run.recap!.failures.find((x) => x.host === failing)!;
    expect(f.location).toMatch(/fail-one\.yml:\d+/);
    expect(f.rc).toBe(1);
    expect(f.cmd).toContain('/etc/hostname');
    expect(f.stderr).toBeDefined();
  });

  it('an unreachable host is reported as unreachable and does not stop the others', async () => {
    const inv = fs.readFileSync(project.inventoryFile, 'utf8');
    const p = makeProject({
      inventory: inv.replace(/^(\s+)workers:\n(\s+)hosts:\n/m, `$1workers:\n$2hosts:\n$2  ghost: {ansible_host: ${ghostAddress()}, connect_timeout: 2, ansible_ssh_private_key_file: ${labInfo().keyFile}}\n`),
    });
    try {
      fs.cpSync(path.join(FIXTURE, 'playbooks'), path.join(p.dir, 'playbooks'), { recursive: true });
      fs.cpSync(path.join(FIXTURE, 'roles'), path.join(p.dir, 'roles'), { recursive: true });
      const run = await runFleet(['apply', 'playbooks/site.yml', '-i', p.inventoryDir], { cwd: p.dir });
      expect(run.code).toBe(1);
      expect(run.recap!.hosts.ghost).toMatchObject({ unreachable: 1 });
      for (const h of hosts) expect(run.recap!.hosts[h]).toMatchObject({ failed: 0, unreachable: 0, changed: 0 });
      const ev = taskEvents(run, 'ghost')[0];
      expect(ev.status).toBe('unreachable');
      expect(ev.msg).toContain(ghostAddress());
    } finally {
      p.cleanup();
    }
  });

  it('a changed host key is refused with both fingerprints', async () => {
    const victim = hosts[2];
    const addr = labHosts().find((h) => h.name === victim)!.address;
    const keyDir = fs.mkdtempSync('/tmp/fleet-fakekey-');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(keyDir, 'k')]);
    const fake = fs.readFileSync(path.join(keyDir, 'k.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    const lines = fs.readFileSync(project.knownHostsFile, 'utf8').split('\n').filter((l) => l && !l.split(' ')[0].split(',').includes(addr));
    const saved = fs.readFileSync(project.knownHostsFile, 'utf8');
    fs.writeFileSync(project.knownHostsFile, [...lines, `${addr} ${fake}`].join('\n') + '\n');
    try {
      const run = await fleet(['apply', 'playbooks/site.yml', '--accept-new-hostkeys']);
      expect(run.code).toBe(1);
      expect(run.recap!.hosts[victim]).toMatchObject({ unreachable: 1, changed: 0, ok: 0 });
      const msg = taskEvents(run, victim)[0].msg!;
      expect(msg).toMatch(/changed/i);
      expect(msg.match(/SHA256:[A-Za-z0-9+/]{43}/g)!.length).toBeGreaterThanOrEqual(2);
      // --accept-new-hostkeys never overwrites a pinned key
      expect(fs.readFileSync(project.knownHostsFile, 'utf8')).toContain(fake);
    } finally {
      fs.writeFileSync(project.knownHostsFile, saved);
      fs.rmSync(keyDir, { recursive: true, force: true });
    }
  });

  it('become works through the non-root sudo users (NOPASSWD, and a password from a file), and the password is never printed', async () => {
    const info = labInfo();
    const [h1, h2] = hosts;
    const a1 = labHosts().find((h) => h.name === h1)!.address;
    const a2 = labHosts().find((h) => h.name === h2)!.address;
    const pwFile = info.deployPasswordFile;
    const p = makeProject({
      inventory: {
        all: {
          hosts: {
            [h1]: { ansible_host: a1, ansible_user: 'deploy', ansible_become: true, ansible_ssh_private_key_file: info.keyFile },
            [h2]: { ansible_host: a2, ansible_user: 'deploypw', ansible_become: true, become_password_file: pwFile, ansible_ssh_private_key_file: info.keyFile },
          },
        },
      },
    });
    try {
      fs.cpSync(path.join(FIXTURE, 'playbooks'), path.join(p.dir, 'playbooks'), { recursive: true });
      const run = await runFleet(['apply', 'playbooks/become.yml', '-i', p.inventoryDir, '--diff'], { cwd: p.dir });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      for (const h of [h1, h2]) {
        expect((await sshRun(h, 'cat /root/fleet-become')).stdout).toBe('written as root\n');
      }
      const pw = fs.readFileSync(pwFile, 'utf8').trim();
      expect(run.stdout + run.stderr).not.toContain(pw);
    } finally {
      p.cleanup();
    }
  });

  it('--limit and --tags select exactly what they say', async () => {
    const p = makeProject({
      hosts,
      playbook: [
        {
          name: 'tags',
          hosts: 'lab',
          tasks: [
            { name: 'tag a', shell: { cmd: 'touch /tmp/fleet-tag-a' }, creates: '/tmp/fleet-tag-a', tags: ['a'] },
            { name: 'tag b', shell: { cmd: 'touch /tmp/fleet-tag-b' }, creates: '/tmp/fleet-tag-b', tags: ['b'] },
            { name: 'untagged', shell: { cmd: 'touch /tmp/fleet-untagged' }, creates: '/tmp/fleet-untagged' },
          ],
        },
      ],
    });
    try {
      await Promise.all(hosts.map((h) => sshRun(h, 'rm -f /tmp/fleet-tag-a /tmp/fleet-tag-b /tmp/fleet-untagged')));
      const run = await runFleet(['apply', 'playbooks/site.yml', '-i', p.inventoryDir, '--limit', hosts[1], '--tags', 'a'], { cwd: p.dir });
      expect(run.code, run.stderr).toBe(0);
      expect(taskEvents(run).map((t: TaskEvent) => `${t.host}:${t.task}`)).toEqual([`${hosts[1]}:tag a`]);
      for (const h of hosts) {
        const r = await sshRun(h, 'ls /tmp/fleet-tag-a /tmp/fleet-tag-b /tmp/fleet-untagged 2>/dev/null');
        expect(r.stdout.trim()).toBe(h === hosts[1] ? '/tmp/fleet-tag-a' : '');
      }
    } finally {
      p.cleanup();
    }
  });

  it('a play with serial: 1 updates one host at a time', async () => {
    const run = await fleet(['apply', 'playbooks/serial.yml']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.events.filter((e) => e.type === 'play')).toHaveLength(3);
    const spans = await Promise.all(
      hosts.map(async (h) => {
        const [s, e] = (await sshRun(h, 'cat /tmp/fleet-serial-start /tmp/fleet-serial-end')).stdout.trim().split('\n').map(Number);
        return { h, s, e };
      }),
    );
    spans.sort((a, b) => a.s - b.s);
    for (let i = 1; i < spans.length; i++) expect(spans[i].s).toBeGreaterThan(spans[i - 1].e);
  });

  it('Ctrl-C stops cleanly: tasks in flight finish, nothing new starts, and the recap is still printed', async () => {
    const p = makeProject({
      hosts,
      playbook: [{ name: 'slow', hosts: 'lab', tasks: [1, 2, 3, 4, 5].map((i) => ({ name: `slow ${i}`, shell: { cmd: `sleep 1; echo ${i} >> /tmp/fleet-slow` } })) }],
    });
    try {
      await Promise.all(hosts.map((h) => sshRun(h, 'rm -f /tmp/fleet-slow')));
      const child = spawn(process.execPath, [FLEET_MAIN, 'apply', 'playbooks/site.yml', '-i', p.inventoryDir, '--json'], { cwd: p.dir });
      let out = '';
      let signalled = false;
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (!signalled && out.includes('"slow 1"')) {
          signalled = true;
          child.kill('SIGINT');
        }
      });
      const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 255)));
      expect(code).toBe(130);
      const events = parseNdjson(out);
      const recap = events.find((e) => e.type === 'recap');
      expect(recap).toMatchObject({ type: 'recap', interrupted: true });
      for (const h of hosts) {
        const lines = (await sshRun(h, 'cat /tmp/fleet-slow 2>/dev/null')).stdout.trim().split('\n').filter(Boolean);
        expect(lines.length).toBeLessThan(5);
      }
    } finally {
      p.cleanup();
    }
  });

  it('bad input is refused before any host is contacted, naming file, line and column', async () => {
    await Promise.all(hosts.map((h) => sshRun(h, 'rm -f /tmp/fleet-bad-input')));
    const p = makeProject({
      hosts,
      files: {
        'playbooks/bad.yml': '- name: bad\n  hosts: lab\n  tasks:\n    - name: first\n      shell: {cmd: "touch /tmp/fleet-bad-input"}\n    - name: typo\n      shel: {cmd: "true"}\n',
      },
    });
    try {
      const run = await runFleet(['apply', 'playbooks/bad.yml', '-i', p.inventoryDir], { cwd: p.dir });
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/bad\.yml:\d+:\d+/);
      expect(run.events.filter((e) => e.type === 'connect')).toHaveLength(0);
      for (const h of hosts) expect((await sshRun(h, 'test -e /tmp/fleet-bad-input || echo untouched')).stdout.trim()).toBe('untouched');
    } finally {
      p.cleanup();
    }
  });
});
