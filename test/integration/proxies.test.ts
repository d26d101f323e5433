// Proxies as real inventories write them, over real SSH: a ProxyCommand (`ssh -W %h:%p` through
// a lab host acting as the bastion, run by the controller's ssh binary) from
// ansible_ssh_common_args, end to end through `fleet apply`; its failures told with the proxy's
// own stderr; the proxy process gone after the run; a proxy fleet cannot read refused before
// any host is contacted.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Host } from '../../src/model/inventory.js';
import { HostKeyError, UnreachableError } from '../../src/model/transport.js';
import { connect } from '../../src/transport/index.js';
import {
  describeLab,
  labAvailable,
  labHost,
  labHosts,
  labInfo,
  makeProject,
  resetHost,
  runFleet,
  sshRun,
  taskEvents,
  type Project,
} from './helpers/index.js';

let bastion = '';
let target = '';
beforeAll(async () => {
  if (!labAvailable()) return;
  const up = [];
  for (const h of labHosts()) if ((await sshRun(h.name, 'true', { timeoutMs: 15_000 })).code === 0) up.push(h.name);
  if (up.length < 2) throw new Error(`proxy tests need 2 lab hosts answering ssh as root; these do: ${up.join(', ') || 'none'}`);
  // The bastion must allow TCP forwarding: a host another test file hardened (harden-ssh
  // turns forwarding off) cannot be one. Prefer a host that allows it as it is; else reset
  // the last one (Debian's sshd allows it) rather than depend on the order of the files.
  const forwards = async (h: string) =>
    /^allowtcpforwarding (yes|all|local)$/m.test((await sshRun(h, 'sshd -T', { timeoutMs: 15_000 })).stdout);
  let b = '';
  for (const h of up)
    if (await forwards(h)) {
      b = h;
      break;
    }
  if (!b) {
    b = up[up.length - 1];
    await resetHost(b);
    if (!(await forwards(b))) throw new Error(`${b} does not allow TCP forwarding even after a reset`);
  }
  bastion = b;
  target = up.find((h) => h !== b)!;
}, 180_000);

/** What a user writes: ssh through the bastion, -W to the target. (The lab key and known_hosts
 * stand in for the user's ~/.ssh.) */
function sshW(user = 'root', quiet = true): string {
  const info = labInfo();
  return `ssh -i ${info.keyFile} -o UserKnownHostsFile=${info.knownHostsFile} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes -W %h:%p${quiet ? ' -q' : ''} ${user}@${labHost(bastion).address}`;
}

/** Processes still running the bastion command for this target. */
function proxiesFor(address: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(`-W ${address}:`) && l.includes(' ssh '));
}

function host(name: string, proxyCommand: string): Host {
  return {
    name,
    groups: ['all'],
    vars: {},
    varSources: {},
    connection: {
      address: labHost(name).address,
      port: 22,
      user: 'root',
      become: false,
      privateKeyFile: labInfo().keyFile,
      connectTimeoutMs: 10_000,
      keepaliveIntervalMs: 15_000,
      proxyCommand,
    },
  };
}

it('integration tests never read the real ~/.ssh/config either', () => {
  expect(process.env.FLEET_SSH_CONFIG).toBe('none');
});

describeLab('ProxyCommand through a lab bastion', () => {
  let project: Project;
  afterAll(() => project?.cleanup());

  it('fleet apply reaches the target through ansible_ssh_common_args: -o ProxyCommand="ssh -W %h:%p ..."; the proxy exits with the run', async () => {
    const t = labHost(target);
    const inventory =
      `all:\n  hosts:\n    ${target}:\n      ansible_host: ${t.address}\n      ansible_user: root\n` +
      `      ansible_ssh_private_key_file: ${labInfo().keyFile}\n` +
      `      ansible_ssh_common_args: '-o ProxyCommand="${sshW()}" -o ServerAliveInterval=30'\n`;
    project = makeProject({
      inventory,
      playbook: [
        {
          name: 'through the bastion',
          hosts: 'all',
          tasks: [{ name: 'who connects', shell: { cmd: 'echo "$SSH_CONNECTION" > /tmp/fleet-proxycmd' } }],
        },
      ],
    });
    // fleet vars shows the proxy command read out of the ssh arguments, with where it was written.
    const inv = await runFleet(['vars', target, 'proxy_command', '--json', '-i', project.inventoryDir], { cwd: project.dir, json: false });
    expect(inv.code, inv.stderr).toBe(0);
    expect(JSON.parse(inv.stdout)).toMatchObject({ value: expect.stringContaining('-W %h:%p'), setting: 'ansible_ssh_common_args' });
    const run = await runFleet(['apply', 'playbooks/site.yml', '-i', project.inventoryDir], { cwd: project.dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.recap!.hosts[target]).toMatchObject({ failed: 0, unreachable: 0 });
    const vars = await runFleet(['vars', target, 'ansible_ssh_common_args', '-i', project.inventoryDir], { cwd: project.dir, json: false });
    expect(vars.stdout).toContain('ProxyCommand');
    // The target saw the bastion as its client: the connection went through it.
    const seen = await sshRun(target, 'cat /tmp/fleet-proxycmd; rm -f /tmp/fleet-proxycmd');
    expect(seen.stdout.split(' ')[0]).toBe(labHost(bastion).address);
    expect(proxiesFor(t.address)).toEqual([]);
  });

  it('transport: the target key is pinned as usual (a wrong pin is refused through the proxy too)', async () => {
    const kh = join(mkdtempSync(join(tmpdir(), 'fleet-proxycmd-')), 'known_hosts');
    copyFileSync(labInfo().knownHostsFile, kh);
    const s = await connect(host(target, sshW()), { knownHostsFile: kh, acceptNewHostKeys: false });
    const r = await s.run('hostname; echo "$SSH_CONNECTION"');
    expect(r.stdout.split('\n')[0]).toBe(target);
    expect(r.stdout.split('\n')[1].split(' ')[0]).toBe(labHost(bastion).address);
    expect(proxiesFor(labHost(target).address)).toHaveLength(1);
    s.close();
    for (let i = 0; i < 100 && proxiesFor(labHost(target).address).length; i++) await new Promise((res) => setTimeout(res, 50));
    expect(proxiesFor(labHost(target).address)).toEqual([]);

    // Another host's key pinned under the target's address: refused, proxy or not.
    const other = labHosts().find((h) => h.name !== target)!;
    const wrong = join(mkdtempSync(join(tmpdir(), 'fleet-proxycmd-')), 'known_hosts');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(wrong, other.hostKeys.map((k) => `${labHost(target).address} ${k}`).join('\n') + '\n');
    const err = await connect(host(target, sshW()), { knownHostsFile: wrong, acceptNewHostKeys: false }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as Error).message).toMatch(/HOST KEY CHANGED/);
  });

  it("a failing proxy is reported with its exit status and the proxy's own stderr", async () => {
    const bad = sshW('nosuchuser', false);
    const err = await connect(host(target, bad), { knownHostsFile: labInfo().knownHostsFile, acceptNewHostKeys: false }).catch(
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as Error).message).toMatch(
      new RegExp(`^${target}: cannot connect to .*:22 through proxy command ".*": the proxy command exited 255: .*Permission denied`),
    );
  });

  it('~/.ssh/config aliases: the inventory names only the alias; HostName, User, IdentityFile and a ProxyJump alias come from the file', async () => {
    const cfg =
      `Host bastion-alias\n  HostName ${labHost(bastion).address}\n  User root\n\n` +
      `Host app-alias\n  HostName ${labHost(target).address}\n  User root\n  IdentityFile ${labInfo().keyFile}\n  ProxyJump bastion-alias\n`;
    const p = makeProject({
      inventory: `all:\n  vars:\n    ssh_config_file: ssh_config\n  hosts:\n    app-alias:\n`,
      files: { 'inventory/ssh_config': cfg },
      playbook: [
        { name: 'alias', hosts: 'all', tasks: [{ name: 'who connects', shell: { cmd: 'echo "$SSH_CONNECTION" > /tmp/fleet-alias' } }] },
      ],
    });
    try {
      const vars = await runFleet(['vars', 'app-alias', '-i', p.inventoryDir], { cwd: p.dir, json: false });
      expect(vars.stdout).toMatch(/#   address: ".*"  \(.*ssh_config:6 HostName\)/);
      expect(vars.stdout).toMatch(/#   proxy_jump: "root@.*"  \(.*ssh_config:9 ProxyJump\)/);
      const run = await runFleet(['apply', 'playbooks/site.yml', '-i', p.inventoryDir], { cwd: p.dir });
      expect(run.code, run.stderr).toBe(0);
      expect(run.recap!.hosts['app-alias']).toMatchObject({ changed: 1, failed: 0, unreachable: 0 });
      const seen = await sshRun(target, 'cat /tmp/fleet-alias; rm -f /tmp/fleet-alias');
      expect(seen.stdout.split(' ')[0]).toBe(labHost(bastion).address);
    } finally {
      p.cleanup();
    }
  });

  it('a proxy setting fleet cannot read stops the run before any host is contacted (exit 3, file:line)', async () => {
    const p = makeProject({
      inventory: `all:\n  hosts:\n    ${target}:\n      ansible_host: ${labHost(target).address}\n      ansible_ssh_common_args: -o ProxyCommand="ssh -W %h:%p -q root@${labHost(bastion).address}\n`,
      playbook: [{ name: 'p', hosts: 'all', tasks: [{ name: 't', command: { cmd: 'true' } }] }],
    });
    try {
      const run = await runFleet(['apply', 'playbooks/site.yml', '-i', p.inventoryDir], { cwd: p.dir, json: false });
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(
        /hosts\.yml:5:\d+: host '.*': ansible_ssh_common_args: cannot split the arguments like a shell: no closing quotation .*fleet will not connect directly instead/,
      );
      expect(taskEvents(run)).toEqual([]);
    } finally {
      p.cleanup();
    }
  });
});

describeLab('fleet hostkeys accept behind a jump host', () => {
  let project: Project | undefined;
  afterAll(() => project?.cleanup());

  it("pins the TARGET's key (not the bastion's), under the target's address, and prints the target's fingerprint", async () => {
    const t = labHost(target);
    const b = labHost(bastion);
    const inventory =
      `all:\n  hosts:\n    ${target}:\n      ansible_host: ${t.address}\n      ansible_user: root\n` +
      `      ansible_ssh_private_key_file: ${labInfo().keyFile}\n      proxy_jump: root@${b.address}\n`;
    project = makeProject({ inventory, playbook: [{ name: 'noop', hosts: 'all', tasks: [] }] });
    // The bastion is known; the target is not.
    const { readFileSync, writeFileSync } = await import('node:fs');
    const lab = readFileSync(labInfo().knownHostsFile, 'utf8').split('\n');
    const isFor = (l: string, h: { name: string; address: string }) =>
      l
        .split(' ')[0]
        ?.split(',')
        .some((n) => n === h.address || n === h.name);
    const kh = join(project.inventoryDir, 'known_hosts');
    writeFileSync(kh, lab.filter((l) => isFor(l, b)).join('\n') + '\n');
    const r = await runFleet(['hostkeys', 'accept', target, '-i', project.inventoryDir], { cwd: project.dir, json: false });
    expect(r.code, r.stderr).toBe(0);
    const pinned = readFileSync(kh, 'utf8')
      .split('\n')
      .filter((l) => isFor(l, { name: '', address: t.address }));
    expect(pinned.length).toBeGreaterThan(0);
    const key = pinned[0].split(' ').slice(1, 3).join(' ');
    const targetKeys = lab.filter((l) => isFor(l, t)).map((l) => l.split(' ').slice(1, 3).join(' '));
    const bastionKeys = lab.filter((l) => isFor(l, b)).map((l) => l.split(' ').slice(1, 3).join(' '));
    expect(targetKeys).toContain(key);
    expect(bastionKeys).not.toContain(key);
    const { createHash } = await import('node:crypto');
    const fp = `SHA256:${createHash('sha256')
      .update(Buffer.from(key.split(' ')[1], 'base64'))
      .digest('base64')
      .replace(/=+$/, '')}`;
    expect(r.stdout + r.stderr).toContain(fp);
    // And a run through the bastion is then verified against it.
    const run = await runFleet(['apply', 'playbooks/site.yml', '-i', project.inventoryDir], { cwd: project.dir });
    expect(run.code, run.stderr).toBe(0);
  });
});
