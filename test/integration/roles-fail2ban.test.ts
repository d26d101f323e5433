// fail2ban over real SSH on a lab host: the sshd jail runs on the systemd
// backend, a client that keeps failing is banned and really refused while the controller
// (in ignoreip) is not, a second apply changes nothing, and a stopped fail2ban is drift.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLab, labHosts, labInfo, makeSiteProject, resetHost, runFleet, sshRun, taskEvents, type FleetRun, type Project } from './helpers/index.js';

const changed = (run: FleetRun, host: string) => run.recap?.hosts[host]?.changed ?? -1;
const explain = (run: FleetRun) => `exit ${run.code}\n${run.stderr}\n${JSON.stringify(run.recap?.failures ?? [], null, 1)}`;

/** One ssh login attempt from the controller with a key the host does not accept. */
function failLogin(address: string, badKey: string): Promise<number> {
  const argv = ['-T', '-i', badKey, '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR', `nobody@${address}`, 'true'];
  return new Promise((resolve) => {
    const child = spawn('ssh', argv, { stdio: 'ignore' });
    child.on('close', (code) => resolve(code ?? 255));
  });
}

describeLab('role fail2ban', () => {
  let host: ReturnType<typeof labHosts>[number];
  let attacker: ReturnType<typeof labHosts>[number];
  let project: Project;
  const fleet = (cmd: 'apply' | 'check', extra: string[] = []) => runFleet([cmd, project.playbook, '-i', project.inventoryDir, '-l', host.name, ...extra], { cwd: project.dir });

  beforeAll(async () => {
    host = labHosts()[1];
    attacker = labHosts()[3] ?? labHosts()[0];
    await resetHost(host.name);
    const pub = fs.readFileSync(`${labInfo().keyFile}.pub`, 'utf8').trim();
    project = makeSiteProject();
    // Root keeps key logins so this file's checks can use the lab's root access.
    fs.writeFileSync(
      path.join(project.inventoryDir, 'group_vars', 'all.yml'),
      YAML.stringify({ admin_keys: [pub], ssh_permit_root_login: 'prohibit-password', fail2ban_maxretry: 3, fail2ban_bantime: '10m' }),
    );
  });

  afterAll(async () => {
    project?.cleanup();
    if (host) await resetHost(host.name);
    // The attacker only got a throwaway key in /tmp: removing it is cheaper than a reset.
    if (attacker) await sshRun(attacker.name, 'rm -f /tmp/badkey /tmp/badkey.pub');
  });

  it('first apply runs the sshd jail on the systemd backend, on the real port, ignoring the controller', async () => {
    const run = await fleet('apply');
    expect(run.code, explain(run)).toBe(0);
    expect(changed(run, host.name)).toBeGreaterThan(0);
    const proved = taskEvents(run, host.name).find((e) => e.task === 'prove the sshd jail runs');
    expect(proved?.status).toBe('ok');

    const st = await sshRun(host.name, 'systemctl is-active fail2ban; systemctl is-enabled fail2ban; fail2ban-client status sshd; fail2ban-client get sshd ignoreip; fail2ban-client get sshd maxretry; fail2ban-client status recidive >/dev/null && echo recidive-on; cat /etc/fail2ban/jail.d/fleet.local');
    expect(st.code, st.stderr).toBe(0);
    expect(st.stdout).toMatch(/^active\nenabled\nStatus for the jail: sshd$/m);
    expect(st.stdout).toMatch(/Journal matches:\s+_COMM=sshd/);
    expect(st.stdout).toContain(labInfo().controllerAddress);
    expect(st.stdout).toMatch(/^3$/m);
    expect(st.stdout).toMatch(/^recidive-on$/m);
    expect(st.stdout).toMatch(/^backend = systemd$/m);
    expect(st.stdout).toMatch(/^mode = aggressive$/m);
    expect(st.stdout).toMatch(/^port = 22$/m);
  });

  it('a client that keeps failing to log in is banned and refused; the controller failing the same way is not', async () => {
    // The attacker: another lab host, with a key the host does not know.
    const attack = await sshRun(
      attacker.name,
      [
        'rm -f /tmp/badkey /tmp/badkey.pub; ssh-keygen -q -t ed25519 -N "" -f /tmp/badkey',
        // Each attempt bounded: on a loaded machine one stalled handshake must not eat the test.
        `for i in 1 2 3 4 5 6; do timeout 15 ssh -T -i /tmp/badkey -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=3 nobody@${host.address} true >/dev/null 2>&1; done`,
        'sleep 2',
        `timeout 5 bash -c '</dev/tcp/${host.address}/22' 2>&1 && echo connected || echo refused`,
      ].join('\n'),
      { timeoutMs: 240_000 },
    );
    expect(attack.code, `the attack did not finish: ${attack.stderr}`).not.toBe(255);
    expect(attack.stdout).toMatch(/refused\n$/);
    const banned = await sshRun(host.name, 'fail2ban-client status sshd; iptables-save -t filter | grep f2b-sshd');
    expect(banned.stdout).toMatch(new RegExp(`Banned IP list:.*\\b${attacker.address.replace(/\./g, '\\.')}\\b`));
    expect(banned.stdout).toMatch(new RegExp(`^-A f2b-sshd -s ${attacker.address.replace(/\./g, '\\.')}/32 -j REJECT`, 'm'));
    expect(banned.stdout).toMatch(/^-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd$/m);

    // The controller fails just as often, and is still let in.
    const badKey = path.join(project.dir, 'badkey');
    await new Promise<void>((resolve, reject) => {
      const c = spawn('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', badKey], { stdio: 'ignore' });
      c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ssh-keygen exited ${code}`))));
    });
    for (let i = 0; i < 6; i++) expect(await failLogin(host.address, badKey)).not.toBe(0);
    await new Promise((r) => setTimeout(r, 2000));
    const ok = await sshRun(host.name, 'fail2ban-client status sshd');
    expect(ok.code, ok.stderr).toBe(0);
    const list = /Banned IP list:(.*)$/m.exec(ok.stdout)?.[1].trim().split(/\s+/) ?? [];
    expect(list).toContain(attacker.address);
    expect(list).not.toContain(labInfo().controllerAddress);
    // Its failures were seen (aggressive mode counts them) and ignored, not missed.
    const seen = await sshRun(host.name, `grep -c 'Ignore ${labInfo().controllerAddress} by ip' /var/log/fail2ban.log || true`);
    expect(Number(seen.stdout.trim())).toBeGreaterThan(0);
    expect((await sshRun(host.name, 'true')).code).toBe(0);
  });

  it('a second apply changes nothing', async () => {
    const run = await fleet('apply');
    expect(run.code, explain(run)).toBe(0);
    expect(changed(run, host.name)).toBe(0);
  });

  it('a stopped fail2ban is drift: check exits 2, names it, and leaves it stopped', async () => {
    await sshRun(host.name, 'systemctl stop fail2ban');
    const run = await fleet('check', ['--diff']);
    expect(run.code, explain(run)).toBe(2);
    const svc = taskEvents(run, host.name).find((e) => e.task === 'run fail2ban');
    expect(svc?.status).toBe('changed');
    expect(svc?.msg).toMatch(/start fail2ban\.service/);
    expect((await sshRun(host.name, 'systemctl is-active fail2ban')).stdout.trim()).toBe('inactive');
    const fix = await fleet('apply');
    expect(fix.code, explain(fix)).toBe(0);
    expect((await sshRun(host.name, 'systemctl is-active fail2ban')).stdout.trim()).toBe('active');
  });
});
