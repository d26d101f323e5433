// The shared lab itself: hosts are real (systemd, sshd, own name and address), fenced off
// the outside, have a working package source, and reset really drops a host's layer.
import fs from 'node:fs';
import { expect, it } from 'vitest';
import { labStatus } from '../../src/lab/index.js';
import { describeLab, labCliArgs, labHosts, labInfo, labInstanceSpec, resetHost, sshRun } from './helpers/index.js';
import { runFleet } from './helpers/fleet.js';

describeLab('lab', () => {
  it('status reports every host up', async () => {
    const s = await labStatus({ instance: labInstanceSpec() });
    expect(s.up).toBe(true);
    expect(s.hosts.map((h) => h.name)).toEqual(labHosts().map((h) => h.name));
    expect(s.hosts.every((h) => h.running && h.ssh)).toBe(true);
  });

  it('fleet lab status exits 0 and lists the hosts; fleet lab ssh passes the exit code through', async () => {
    const st = await runFleet(['lab', 'status', ...labCliArgs()], { json: false });
    expect(st.code, st.stderr).toBe(0);
    for (const h of labHosts()) expect(st.stdout).toMatch(new RegExp(`${h.name}\\s+${h.address.replace(/\./g, '\\.')}\\s+up`));
    const seven = await runFleet(['lab', 'ssh', ...labCliArgs(), labHosts()[0].name, '--', 'echo out; exit 7'], { json: false });
    expect(seven.stdout).toBe('out\n');
    expect(seven.code).toBe(7);
    const missing = await runFleet(['lab', 'ssh', ...labCliArgs(), 'nosuchhost', '--', 'true'], { json: false });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('nosuchhost');
  });

  it('fleet lab status exits non-zero for a lab that is not up', async () => {
    const st = await runFleet(['lab', 'status', '--name', 'fldown', '--subnet', '10.231.2.0/24'], { json: false });
    expect(st.code).not.toBe(0);
    expect(st.stdout).toContain('down');
  });

  it('each host runs systemd and sshd, with its own hostname and address', async () => {
    const seen = new Set<string>();
    for (const h of labHosts()) {
      const r = await sshRun(
        h.name,
        'hostname; cat /proc/1/comm; systemctl is-active ssh; ip -4 -o addr show dev host0 | awk \'{print $4}\'; cat /etc/machine-id',
      );
      expect(r.code, r.stderr).toBe(0);
      const [name, pid1, ssh, addr, machineId] = r.stdout.trim().split('\n');
      expect(name).toBe(h.name);
      expect(pid1).toBe('systemd');
      expect(ssh).toBe('active');
      expect(addr).toBe(`${h.address}/24`);
      expect(machineId).toMatch(/^[0-9a-f]{32}$/);
      seen.add(machineId);
      const state = await sshRun(h.name, 'systemctl is-system-running --wait');
      expect(['running', 'degraded']).toContain(state.stdout.trim());
    }
    expect(seen.size).toBe(labHosts().length);
  });

  it('hosts reach each other and the controller, and nothing off the bridge', async () => {
    const [a, b] = labHosts();
    const peer = await sshRun(a.name, `ping -c1 -W2 ${b.address} >/dev/null && echo ok`);
    expect(peer.stdout.trim()).toBe('ok');
    const ctl = await sshRun(a.name, `ping -c1 -W2 ${labInfo().controllerAddress} >/dev/null && echo ok`);
    expect(ctl.stdout.trim()).toBe('ok');
    const route = await sshRun(a.name, 'ip route show default');
    expect(route.stdout.trim()).toBe('');
    // Even a route through the controller must not get out: the lab's nft rule drops it.
    const out = await sshRun(
      a.name,
      `ip route add 1.1.1.1/32 via ${labInfo().controllerAddress} && { curl -sS -m 3 -o /dev/null http://1.1.1.1/; echo rc=$?; }; ip route del 1.1.1.1/32`,
    );
    expect(out.stdout).toMatch(/rc=(7|28)/);
    const dns = await sshRun(a.name, 'curl -sS -m 3 -o /dev/null http://deb.debian.org/; echo rc=$?');
    expect(dns.stdout.trim()).not.toBe('rc=0');
  });

  it('deploy has passwordless sudo; deploypw needs its password', async () => {
    const h = labHosts()[0].name;
    const d = await sshRun(h, 'sudo -n id -u', { user: 'deploy' });
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout.trim()).toBe('0');
    const nopw = await sshRun(h, 'sudo -n id -u', { user: 'deploypw' });
    expect(nopw.code).not.toBe(0);
    const pw = fs.readFileSync(labInfo().deployPasswordFile, 'utf8').trim();
    expect((fs.statSync(labInfo().deployPasswordFile).mode & 0o777).toString(8)).toBe('600');
    const withPw = await sshRun(h, "sudo -S -p '' id -u", { user: 'deploypw', input: `${pw}\n` });
    expect(withPw.code, withPw.stderr).toBe(0);
    expect(withPw.stdout.trim()).toBe('0');
  });

  it('installs a package the base lacks through the lab package source', async () => {
    const h = labHosts()[labHosts().length - 1].name;
    const before = await sshRun(h, 'command -v sl || dpkg -s sl >/dev/null 2>&1; echo rc=$?');
    expect(before.stdout.trim()).toBe('rc=1');
    const proxy = await sshRun(h, 'apt-config shell P Acquire::http::Proxy');
    expect(proxy.stdout).toContain(labInfo().packageSource);
    const r = await sshRun(h, 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q sl', { timeoutMs: 280_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const after = await sshRun(h, 'dpkg-query -W -f=\'${Status}\' sl; test -x /usr/games/sl && echo " exe"');
    expect(after.stdout.trim()).toBe('install ok installed exe');
    await resetHost(h);
  });

  it('resetHost drops the host layer (a file written before is gone) and keeps its host keys', async () => {
    const h = labHosts()[1].name;
    const w = await sshRun(h, 'echo dirty > /root/reset-marker && hostnamectl hostname 2>/dev/null; cat /etc/machine-id');
    expect(w.code, w.stderr).toBe(0);
    const started = Date.now();
    await resetHost(h);
    const tookMs = Date.now() - started;
    // Pinned keys still match (sshRun uses StrictHostKeyChecking=yes), the file is gone.
    const r = await sshRun(h, 'test -e /root/reset-marker; echo rc=$?; hostname; systemctl is-active ssh');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['rc=1', h, 'active']);
    expect(tookMs).toBeLessThan(30_000);
  });

  it('a reboot inside a host brings it back (nspawn exit 133 is restarted)', async () => {
    const h = labHosts()[labHosts().length - 1].name;
    // The start time of the host's PID 1 changes when it boots again (boot_id is the kernel's).
    const pid1Start = "awk '{print $22}' /proc/1/stat";
    const t1 = (await sshRun(h, pid1Start)).stdout.trim();
    expect(t1).toMatch(/^\d+$/);
    await sshRun(h, 'echo kept > /root/survives-reboot; sync; systemctl reboot', { timeoutMs: 20_000 });
    let after = '';
    for (let i = 0; i < 60; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const r = await sshRun(h, `${pid1Start}; cat /root/survives-reboot`, { timeoutMs: 20_000 });
      if (r.code === 0 && r.stdout.split('\n')[0] !== t1) {
        after = r.stdout;
        break;
      }
    }
    expect(after).toMatch(/^\d+\nkept\n$/);
    const ssh = await sshRun(h, 'systemctl is-active ssh');
    expect(ssh.stdout.trim()).toBe('active');
    await resetHost(h);
  });
});
