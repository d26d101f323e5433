// The everyday commands through the real binary, over real SSH on lab hosts: fleet run
// (grouped, streamed, JSON; sudo; redaction; unreachable hosts; new host keys), fleet facts,
// and the log file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLab, labHosts, labInfo, makeProject, runFleet, sshRun, type Project } from './helpers/index.js';

describeLab('fleet run, fleet facts and the log file over real SSH', () => {
  let project: Project;
  let hosts: string[];
  let cache: string;

  beforeAll(() => {
    hosts = labHosts()
      .slice(0, 3)
      .map((h) => h.name);
    const info = labInfo();
    const h = (name: string) => labHosts().find((x) => x.name === name)!;
    const key = info.keyFile;
    // The lab hosts as root, plus the first one reached as `deploy` (NOPASSWD sudo) and as
    // `deploypw` (sudo with a password from a file), a secret-named variable, and a host
    // whose address answers nothing.
    const inventory = {
      all: {
        vars: { db_password: 'hunter2-for-fleet-run' },
        children: {
          lab: { hosts: Object.fromEntries(hosts.map((n) => [n, { ansible_host: h(n).address, ansible_user: 'root', ansible_ssh_private_key_file: key }])) },
          sudoers: {
            hosts: {
              viadeploy: { ansible_host: h(hosts[0]).address, ansible_user: 'deploy', ansible_ssh_private_key_file: key },
              viadeploypw: { ansible_host: h(hosts[0]).address, ansible_user: 'deploypw', ansible_ssh_private_key_file: key, become_password_file: info.deployPasswordFile },
            },
          },
          nowhere: { hosts: { ghost: { ansible_host: info.controllerAddress.replace(/\.\d+$/, '.250'), ansible_ssh_private_key_file: key, connect_timeout: 3 } } },
        },
      },
    };
    project = makeProject({ inventory });
    // The pinned keys are per address and port: the sudo users share the first host's.
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-cache-'));
  });
  afterAll(() => {
    project?.cleanup();
    fs.rmSync(cache, { recursive: true, force: true });
  });

  const fleet = (args: string[], opts: { json?: boolean; env?: NodeJS.ProcessEnv; input?: string } = {}) =>
    // -i before the arguments: everything after `--` is the remote command.
    runFleet([args[0], '-i', project.inventoryDir, ...args.slice(1)], { cwd: project.dir, json: opts.json ?? false, env: { XDG_CACHE_HOME: cache, ...opts.env }, input: opts.input });

  it('runs a command on every matching host: each host\'s output in a block, its exit status in the recap', async () => {
    const [a, b, c] = hosts;
    const r = await fleet(['run', 'lab', '--', `hostname; echo on-stderr >&2; [ "$(hostname)" != ${b} ] || exit 3`]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`${a} | OK | rc=0 >>\n${a}\non-stderr\n`);
    expect(r.stdout).toContain(`${b} | FAILED | rc=3 >>\n${b}\non-stderr\n`);
    expect(r.stdout).toContain(`${c} | OK | rc=0 >>\n${c}\n`);
    expect(r.stdout).toMatch(new RegExp(`RECAP \\(run, .*\\) 2 hosts ok, 1 failed\\nhost +status +rc\\n${a} +ok +0\\n${b} +failed +3\\n${c} +ok +0\\n`));
    // a pattern and --limit narrow it; all exit 0 means exit 0
    const one = await fleet(['run', 'lab:!' + b, '--limit', `${a},${b}`, '--', 'true']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(new RegExp(`RECAP .* 1 host ok\\n.*\\n${a} +ok +0\\n$`));
  });

  it('--json: a result per host with status, rc, stdout and stderr, then the recap', async () => {
    const r = await fleet(['run', 'lab', '--json', '--', 'cat /etc/hostname; exit 0'], { json: true });
    expect(r.code).toBe(0);
    expect(r.events[0]).toMatchObject({ type: 'run', mode: 'run', command: 'cat /etc/hostname; exit 0', hosts });
    const results = r.events.filter((e) => e.type === ('result' as string)) as unknown as { host: string; status: string; rc: number; stdout: string }[];
    expect(results.map((x) => x.host).sort()).toEqual([...hosts].sort());
    for (const x of results) expect(x).toMatchObject({ status: 'ok', rc: 0, stdout: `${x.host}\n` });
    const recap = r.events.at(-1) as unknown as { type: string; hosts: Record<string, { rc: number; ok: number }> };
    expect(recap.type).toBe('recap');
    for (const h of hosts) expect(recap.hosts[h]).toMatchObject({ status: 'ok', rc: 0, ok: 1, failed: 0 });
  });

  it('--stream prints each line as it arrives, prefixed with its host; stderr lines on stderr with !', async () => {
    const r = await fleet(['run', hosts.slice(0, 2).join(','), '--stream', '--', 'for i in 1 2 3; do echo "line $i"; sleep 0.3; done; echo oops >&2']);
    expect(r.code).toBe(0);
    for (const h of hosts.slice(0, 2)) {
      const own = r.stdout.split('\n').filter((l) => l.startsWith(`${h} |`));
      expect(own).toEqual([`${h} | line 1`, `${h} | line 2`, `${h} | line 3`]);
      expect(r.stderr).toContain(`${h} ! oops\n`);
    }
    // streamed, not grouped: the two hosts' lines interleave
    const order = r.stdout.split('\n').filter((l) => / \| line /.test(l)).map((l) => l.split(' ')[0]);
    expect(order.slice(0, 3)).not.toEqual([order[0], order[0], order[0]]);
  });

  it('--forks 1 runs the hosts one after another', async () => {
    const r = await fleet(['run', 'lab', '-f', '1', '--json', '--', 'date +%s%N; sleep 0.4; date +%s%N'], { json: true });
    expect(r.code).toBe(0);
    const spans = (r.events.filter((e) => e.type === ('result' as string)) as unknown as { stdout: string }[])
      .map((x) => x.stdout.trim().split('\n').map(Number))
      .sort((a, b) => a[0] - b[0]);
    expect(spans).toHaveLength(hosts.length);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
  });

  it('--sudo runs as root through sudo (NOPASSWD, or with the password from a file); secrets are masked', async () => {
    const plain = await fleet(['run', 'sudoers', '--', 'id -un']);
    expect(plain.stdout).toContain('viadeploy | OK | rc=0 >>\ndeploy\n');
    expect(plain.stdout).toContain('viadeploypw | OK | rc=0 >>\ndeploypw\n');
    const sudo = await fleet(['run', 'sudoers', '--sudo', '--', 'id -un; echo hunter2-for-fleet-run']);
    expect(sudo.code, sudo.stdout + sudo.stderr).toBe(0);
    expect(sudo.stdout).toContain('viadeploy | OK | rc=0 >>\nroot\n********\n');
    expect(sudo.stdout).toContain('viadeploypw | OK | rc=0 >>\nroot\n********\n');
    const password = fs.readFileSync(labInfo().deployPasswordFile, 'utf8').trim();
    const leak = await fleet(['run', 'viadeploypw', '--sudo', '--json', '--', `echo ${password}`], { json: true });
    expect(leak.stdout).not.toContain(password);
    expect(leak.stdout).toContain('********');
  });

  it('an unreachable host is reported and does not stop the others; an unknown host key is refused until accepted', async () => {
    const r = await fleet(['run', `nowhere:${hosts[0]}`, '--', 'echo up']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ghost \| UNREACHABLE \| .*cannot connect/);
    expect(r.stdout).toContain(`${hosts[0]} | OK | rc=0 >>\nup\n`);
    // forget the first host's key: refused, with the way to accept it
    const known = fs.readFileSync(project.knownHostsFile, 'utf8');
    const addr = labHosts()[0].address;
    fs.writeFileSync(project.knownHostsFile, known.split('\n').filter((l) => !l.includes(addr)).join('\n'));
    const refused = await fleet(['run', hosts[0], '--', 'true']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/UNREACHABLE .*fleet hostkeys accept/s);
    const accepted = await fleet(['run', hosts[0], '--accept-new-hostkeys', '--', 'true']);
    expect(accepted.code, accepted.stdout).toBe(0);
    expect(fs.readFileSync(project.knownHostsFile, 'utf8')).toContain(addr);
  });

  it('fleet facts: what templates see as facts.*, fresh from the hosts, and the facts cache refreshed', async () => {
    const r = await fleet(['facts', 'lab', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const facts = JSON.parse(r.stdout) as Record<string, Record<string, unknown>>;
    expect(Object.keys(facts).sort()).toEqual([...hosts].sort());
    for (const h of hosts) {
      const on = (await sshRun(h, 'cat /etc/hostname; nproc; . /etc/os-release; echo $VERSION_CODENAME')).stdout.trim().split('\n');
      expect(facts[h]).toMatchObject({ hostname: on[0], cpus: Number(on[1]), os_codename: on[2], os_id: 'debian', init: 'systemd' });
      expect(facts[h].addresses).toContain(labHosts().find((x) => x.name === h)!.address);
      expect(fs.readdirSync(path.join(cache, 'fleet', 'facts')).some((f) => f.startsWith(`${h}@`))).toBe(true);
    }
    const flags = path.join(project.dir, 'facts.log');
    const human = await fleet(['facts', hosts[0], '-f', '1', '--log-file', flags, '--color', 'always']);
    expect(JSON.parse(fs.readFileSync(flags, 'utf8').trim().split('\n').at(-1)!)).toMatchObject({ type: 'facts', host: hosts[0], status: 'ok' });
    expect(human.stdout).toContain(`\u001b[1m${hosts[0]}\u001b[22m`);
    const plain = await fleet(['facts', hosts[0]]);
    expect(plain.stdout).toMatch(new RegExp(`^${hosts[0]}\\n  os_id: debian\\n`));
    const partial = await fleet(['facts', `ghost:${hosts[0]}`]);
    expect(partial.code).toBe(1);
    expect(partial.stderr).toMatch(/ghost \| UNREACHABLE/);
  });

  it('the log file gets every run\'s events as NDJSON, secrets redacted: from --log-file, and from fleet.yml', async () => {
    const log = path.join(project.dir, 'logs', 'fleet.log');
    const r = await fleet(['run', hosts[0], '--log-file', log, '--', 'echo hunter2-for-fleet-run']);
    expect(r.code).toBe(0);
    fs.writeFileSync(path.join(project.dir, 'fleet.yml'), `log_file: logs/fleet.log\nlog_max_size: 1M\n`);
    fs.mkdirSync(path.join(project.dir, 'playbooks'), { recursive: true });
    fs.writeFileSync(path.join(project.dir, 'playbooks', 'site.yml'), `- hosts: ${hosts[1]}\n  tasks:\n    - name: say\n      command: echo hunter2-for-fleet-run\n      changed_when: false\n`);
    const check = await fleet(['check']);
    expect(check.code, check.stderr + check.stdout).toBe(0);
    const text = fs.readFileSync(log, 'utf8');
    expect(text).not.toContain('hunter2');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { type: string; run: string; ts: string; host?: string; stdout?: string; mode?: string });
    const runs = [...new Set(lines.map((l) => l.run))];
    expect(runs).toHaveLength(2);
    const first = lines.filter((l) => l.run === runs[0]);
    expect(first.map((l) => l.type)).toEqual(['command', 'run', 'result', 'recap']);
    expect(first[2]).toMatchObject({ host: hosts[0], stdout: '********\n' });
    const second = lines.filter((l) => l.run === runs[1]);
    expect(second[0].type).toBe('command');
    expect(second.some((l) => l.type === 'task' && l.host === hosts[1])).toBe(true);
    expect(second.at(-1)).toMatchObject({ type: 'recap', mode: 'check' });
    expect(fs.statSync(log).mode & 0o777).toBe(0o600);
    // past log_max_size the file is rotated: FILE.1 keeps what was there
    const before = fs.readFileSync(log, 'utf8');
    const small = await fleet(['run', hosts[0], '--log-max-size', '1K', '--', 'true']);
    expect(small.code).toBe(0);
    expect(fs.readFileSync(`${log}.1`, 'utf8').startsWith(before.slice(0, 200))).toBe(true);
    expect(fs.statSync(log).size).toBeLessThanOrEqual(1024);
  });

  it('apply --start-at-task runs from that task on: earlier tasks do nothing, an earlier role\'s handler still runs', async () => {
    const h = hosts[2];
    await sshRun(h, 'rm -f /tmp/fleet-sat-*');
    fs.mkdirSync(path.join(project.dir, 'roles', 'first'), { recursive: true });
    fs.writeFileSync(path.join(project.dir, 'roles', 'first', 'tasks.yml'), '- name: write a\n  copy: {dest: /tmp/fleet-sat-a, content: a}\n');
    fs.writeFileSync(path.join(project.dir, 'roles', 'first', 'role.yml'), 'handlers:\n  - name: mark\n    command: touch /tmp/fleet-sat-handler\n');
    fs.mkdirSync(path.join(project.dir, 'roles', 'second'), { recursive: true });
    fs.writeFileSync(path.join(project.dir, 'roles', 'second', 'tasks.yml'), '- name: write b\n  copy: {dest: /tmp/fleet-sat-b, content: b}\n- name: write c\n  copy: {dest: /tmp/fleet-sat-c, content: c}\n  notify: [mark]\n');
    fs.mkdirSync(path.join(project.dir, 'playbooks'), { recursive: true });
    fs.writeFileSync(path.join(project.dir, 'playbooks', 'sat.yml'), `- hosts: ${h}\n  roles: [first, second]\n`);
    const r = await fleet(['apply', 'playbooks/sat.yml', '--start-at-task', 'second : write c', '--json'], { json: true });
    expect(r.code, r.stderr).toBe(0);
    const ran = r.events.filter((e) => e.type === 'task').map((e) => (e as { task: string }).task);
    expect(ran).toEqual(['write c', 'mark']);
    expect((await sshRun(h, 'ls /tmp/fleet-sat-* | sort')).stdout.trim().split('\n')).toEqual(['/tmp/fleet-sat-c', '/tmp/fleet-sat-handler']);
  });
  it('apply --step asks before each task: n leaves it out, y runs it, end of input skips the rest', async () => {
    const h = hosts[2];
    await sshRun(h, 'rm -f /tmp/fleet-step-*');
    fs.mkdirSync(path.join(project.dir, 'playbooks'), { recursive: true });
    const tasks = ['a', 'b', 'c'].map((x) => `    - name: write ${x}\n      copy: {dest: /tmp/fleet-step-${x}, content: ${x}}\n`).join('');
    fs.writeFileSync(path.join(project.dir, 'playbooks', 'step.yml'), `- hosts: ${h}\n  tasks:\n${tasks}`);
    const r = await fleet(['apply', 'playbooks/step.yml', '--step', '--json'], { json: true, input: 'n\nmaybe\ny\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Perform task: write a (N)o/(y)es/(c)ontinue: ');
    expect(r.stderr).toContain("--step: answer n, y or c (got 'maybe')");
    expect(r.stderr).toContain('--step: end of input; this task and the rest are skipped');
    const ran = r.events.filter((e) => e.type === 'task').map((e) => (e as { task: string }).task);
    expect(ran).toEqual(['write b']);
    expect((await sshRun(h, 'ls /tmp/fleet-step-* | sort')).stdout.trim()).toBe('/tmp/fleet-step-b');
  });

  it('-v says why each round trip happens, -vvv adds the scripts and outputs, secrets and file contents left out', async () => {
    const h = hosts[1];
    await sshRun(h, 'rm -f /tmp/fleet-verbose');
    fs.mkdirSync(path.join(project.dir, 'playbooks'), { recursive: true });
    fs.writeFileSync(
      path.join(project.dir, 'playbooks', 'verbose.yml'),
      `- hosts: ${h}\n  tasks:\n    - name: a file with the secret\n      copy: {dest: /tmp/fleet-verbose, content: "{{ db_password }}", mode: "0600"}\n    - name: say it\n      command: echo {{ db_password }}\n      changed_when: false\n`,
    );
    const one = await fleet(['apply', 'playbooks/verbose.yml', '-v']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stderr).toMatch(new RegExp(`\\[trace\\] ${h}: round trip 1: run lock, facts and first probes`));
    expect(one.stderr).not.toContain('script sent');
    await sshRun(h, 'rm -f /tmp/fleet-verbose');
    const three = await fleet(['apply', 'playbooks/verbose.yml', '-vvv']);
    expect(three.code, three.stderr).toBe(0);
    expect(three.stderr).toContain('script sent');
    expect(three.stderr).toMatch(/section \d+ \(apply\): rc=0/);
    expect(three.stderr).toMatch(/round trip \d+: \d+ ms, \d+ bytes back/);
    expect(three.stderr).toContain('base64 characters left out');
    // The secret is in the script (the command) and in its output: masked; its base64 never shows.
    expect(three.stderr).not.toContain('hunter2-for-fleet-run');
    expect(three.stderr).not.toContain(Buffer.from('hunter2-for-fleet-run').toString('base64').slice(0, 16));
    expect((await sshRun(h, 'cat /tmp/fleet-verbose')).stdout).toBe('hunter2-for-fleet-run');
  });
});
