// harden-ssh over real SSH on a lab host: hardened sshd, root refused and the
// admin user with sudo working after one run from root-only access, idempotence, drift,
// a port move without losing the connection, and an invalid setting that never goes live.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLab, labHosts, labInfo, makeSiteProject, resetHost, runFleet, sshRun, taskEvents, type FleetRun, type Project } from './helpers/index.js';

const changed = (run: FleetRun, host: string) => run.recap?.hosts[host]?.changed ?? -1;
const unreachable = (run: FleetRun) => run.events.filter((e) => e.type === 'task' && e.status === 'unreachable');
const explain = (run: FleetRun) => `exit ${run.code}\n${run.stderr}\n${JSON.stringify(run.recap?.failures ?? [], null, 1)}`;

describeLab('role harden-ssh', () => {
  let host: ReturnType<typeof labHosts>[number];
  let project: Project;
  let pub: string;
  const hostVars = (): Record<string, unknown> => (YAML.parse(fs.readFileSync(project.inventoryFile, 'utf8')) as any).all.children.lab.children[host.group].hosts[host.name];
  const setGroupVars = (vars: Record<string, unknown>) => fs.writeFileSync(path.join(project.inventoryDir, 'group_vars', 'all.yml'), YAML.stringify({ admin_keys: [pub], ...vars }));
  const fleet = (cmd: 'apply' | 'check', extra: string[] = []) => runFleet([cmd, project.playbook, '-i', project.inventoryDir, ...extra], { cwd: project.dir });

  beforeAll(async () => {
    host = labHosts()[1];
    await resetHost(host.name);
    pub = fs.readFileSync(`${labInfo().keyFile}.pub`, 'utf8').trim();
    project = makeSiteProject({ hosts: [host.name] });
    setGroupVars({});
  });

  afterAll(async () => {
    project?.cleanup();
    if (host) await resetHost(host.name);
  });

  it('from root-only access, one apply hardens sshd, refuses root, and leaves the admin user with sudo; the run keeps its connection', async () => {
    const before = await sshRun(host.name, 'id -un');
    expect(before.stdout.trim()).toBe('root');
    const run = await fleet('apply');
    expect(run.code, explain(run)).toBe(0);
    expect(changed(run, host.name)).toBeGreaterThan(0);
    expect(unreachable(run)).toEqual([]);
    const proof = taskEvents(run, host.name).find((e) => e.task === 'prove the admin user logs in with its key over a fresh connection');
    expect(proof?.status).toBe('ok');
    expect(proof?.msg).toContain('as admin');

    const root = await sshRun(host.name, 'true');
    expect(root.code).not.toBe(0);
    expect(root.stderr).toMatch(/Permission denied/);
    const admin = await sshRun(host.name, 'sudo -n true && sudo -n /usr/sbin/sshd -T', { user: 'admin' });
    expect(admin.code, admin.stderr).toBe(0);
    const t = admin.stdout;
    expect(t).toMatch(/^permitrootlogin no$/m);
    expect(t).toMatch(/^passwordauthentication no$/m);
    expect(t).toMatch(/^kbdinteractiveauthentication no$/m);
    expect(t).toMatch(/^authenticationmethods publickey$/m);
    expect(t).toMatch(/^maxauthtries 3$/m);
    expect(t).toMatch(/^x11forwarding no$/m);
    expect(t).toMatch(/^allowtcpforwarding no$/m);
    expect(t).toMatch(/^allowagentforwarding no$/m);
    expect(t).toMatch(/^loglevel VERBOSE$/m);
    expect(t).toMatch(/^ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com/m);
    expect(t).not.toMatch(/^ciphers .*cbc/m);
    expect(t).toMatch(/^kexalgorithms sntrup761x25519-sha512/m);
    expect(t).not.toMatch(/^kexalgorithms .*sha1/m);
    expect(t).toMatch(/^macs hmac-sha2-512-etm@openssh.com/m);
    const moduli = await sshRun(host.name, "awk '$1 !~ /^#/ && $5 < 3071' /etc/ssh/moduli | wc -l", { user: 'admin' });
    expect(moduli.stdout.trim()).toBe('0');
    const sudoers = await sshRun(host.name, 'sudo -n cat /etc/sudoers.d/fleet-admin', { user: 'admin' });
    expect(sudoers.stdout).toMatch(/^admin ALL=\(ALL:ALL\) NOPASSWD: ALL$/m);

    // The next run gets in: the inventory now names the admin user, with sudo.
    const hv = hostVars();
    expect(hv.ansible_user).toBe('admin');
    expect(hv.ansible_become).toBe(true);
  });

  it('a second apply changes nothing, in one round trip (now logged in as the admin user), and so does a check', async () => {
    const roundTrips = (r: FleetRun) => r.events.filter((e) => e.type === 'host').map((e) => (e.type === 'host' ? e.roundTrips : -1));
    const run = await fleet('apply');
    expect(run.code, explain(run)).toBe(0);
    expect(changed(run, host.name)).toBe(0);
    expect(roundTrips(run)).toEqual([1]);
    const check = await fleet('check');
    expect(check.code, explain(check)).toBe(0);
    expect(roundTrips(check)).toEqual([1]);
  });

  it('an edited sshd_config line is drift: check exits 2, shows the diff, and changes nothing', async () => {
    const edit = await sshRun(host.name, "sudo sed -i 's/^MaxAuthTries 3$/MaxAuthTries 6/' /etc/ssh/sshd_config && sudo sha256sum /etc/ssh/sshd_config", { user: 'admin' });
    expect(edit.code, edit.stderr).toBe(0);
    const run = await fleet('check', ['--diff']);
    expect(run.code, explain(run)).toBe(2);
    const cfg = taskEvents(run, host.name).find((e) => e.task === 'write sshd_config');
    expect(cfg?.status).toBe('changed');
    expect(cfg?.diff).toMatch(/^-MaxAuthTries 6$/m);
    expect(cfg?.diff).toMatch(/^\+MaxAuthTries 3$/m);
    const after = await sshRun(host.name, 'sudo sha256sum /etc/ssh/sshd_config', { user: 'admin' });
    expect(after.stdout).toBe(edit.stdout);
    const fix = await fleet('apply');
    expect(fix.code, explain(fix)).toBe(0);
    expect(changed(fix, host.name)).toBeGreaterThan(0);
  });

  it('an unknown cipher fails the task with sshd’s message; the old config stays and logins work', async () => {
    const before = await sshRun(host.name, 'sudo sha256sum /etc/ssh/sshd_config', { user: 'admin' });
    setGroupVars({ ssh_ciphers: ['aes256-gcm@openssh.com', 'no-such-cipher'] });
    const run = await fleet('apply');
    expect(run.code).toBe(1);
    const failure = run.recap?.failures.find((f) => f.task === 'write sshd_config');
    expect(failure, explain(run)).toBeDefined();
    expect(failure?.stderr).toMatch(/Bad SSH2 cipher spec 'aes256-gcm@openssh.com,no-such-cipher'/);
    const after = await sshRun(host.name, 'sudo sha256sum /etc/ssh/sshd_config', { user: 'admin' });
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toBe(before.stdout);
    setGroupVars({});
  });

  it('moves sshd from 22 to 2222 without losing the connection; 22 closes, the inventory says 2222, a second apply changes nothing', async () => {
    setGroupVars({ ssh_port: 2222 });
    const run = await fleet('apply');
    expect(run.code, explain(run)).toBe(0);
    expect(unreachable(run)).toEqual([]);
    const proved = taskEvents(run, host.name).find((e) => e.task === 'prove the new SSH port over a fresh connection');
    expect(proved?.status).toBe('ok');
    expect(proved?.msg).toContain(':2222');

    expect(hostVars().ansible_port).toBe(2222);
    const on2222 = await sshRun(host.name, 'sudo -n /usr/sbin/sshd -T | grep ^port; sudo -n grep ^port /etc/fail2ban/jail.d/fleet.local', { user: 'admin', port: 2222 });
    expect(on2222.code, on2222.stderr).toBe(0);
    expect(on2222.stdout).toBe('port 2222\nport = 2222\n');
    const on22 = await sshRun(host.name, 'true', { user: 'admin', port: 22 });
    expect(on22.code).not.toBe(0);
    // Nothing left open for the move: the firewall's own chain allows 2222, the transient rule is gone.
    const rules = await sshRun(host.name, 'sudo -n iptables-save -t filter', { user: 'admin', port: 2222 });
    expect(rules.stdout).not.toContain('fleet-ssh-move');
    expect(rules.stdout).toMatch(/^-A FLEET-INPUT -p tcp -m tcp --dport 2222 .*-j ACCEPT$/m);
    expect(rules.stdout).not.toMatch(/--dport 22 /);

    const again = await fleet('apply');
    expect(again.code, explain(again)).toBe(0);
    expect(changed(again, host.name)).toBe(0);
  });
});
