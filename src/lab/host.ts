// One lab host: an overlay (lower = base, upper = the host's own layer) booted with
// systemd-nspawn under a small supervisor that restarts it when it exits 133, so a `reboot`
// inside the host works. Identity (hostname, machine-id, address, keys) is written into the
// layer before boot.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { cmd, must, sleep } from './exec.js';
import { hostCgroupDirs, killCgroup, removeCgroupTree } from './cgroups.js';
import { hostDir, type LabInstance } from './instance.js';
import { HOST_KEY_TYPES, hostKeysDir } from './keys.js';
import { packageSourceUrl } from './pkgsource.js';
import { processAlive, processCmdline, readPid } from './procs.js';
import { linkExists } from './network.js';

export interface HostSpec {
  name: string;
  address: string;
}

export interface HostPaths {
  dir: string;
  upper: string;
  work: string;
  root: string;
  docker: string;
  baseFile: string;
  supervisor: string;
  supervisorPid: string;
  log: string;
}

export function hostPaths(inst: LabInstance, name: string): HostPaths {
  const dir = hostDir(inst, name);
  return {
    dir,
    upper: path.join(dir, 'upper'),
    work: path.join(dir, 'work'),
    root: path.join(dir, 'root'),
    docker: path.join(dir, 'docker'),
    baseFile: path.join(dir, 'base'),
    supervisor: path.join(dir, 'supervisor.sh'),
    supervisorPid: path.join(dir, 'supervisor.pid'),
    log: path.join(dir, 'console.log'),
  };
}

export function isMounted(mountpoint: string): boolean {
  const m = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  return m.split('\n').some((l) => l.split(' ')[4] === mountpoint);
}

/** The supervisor pid, when it is alive and really our supervisor for this host. */
export function supervisorPid(inst: LabInstance, name: string): number | undefined {
  const p = hostPaths(inst, name);
  const pid = readPid(p.supervisorPid);
  if (pid && processAlive(pid) && processCmdline(pid).includes(p.supervisor)) return pid;
  return undefined;
}

export function hostRunning(inst: LabInstance, name: string): boolean {
  return supervisorPid(inst, name) !== undefined;
}

/** Drop the host's layer: everything it changed since it was created is gone. */
export function wipeLayer(inst: LabInstance, name: string): void {
  const p = hostPaths(inst, name);
  fs.rmSync(p.upper, { recursive: true, force: true });
  fs.rmSync(p.work, { recursive: true, force: true });
  fs.rmSync(p.docker, { recursive: true, force: true });
}

export async function mountRoot(inst: LabInstance, name: string, baseDir: string): Promise<void> {
  const p = hostPaths(inst, name);
  let recorded = '';
  try {
    recorded = fs.readFileSync(p.baseFile, 'utf8').trim();
  } catch {
    /* new host */
  }
  if (recorded && recorded !== baseDir && !isMounted(p.root)) wipeLayer(inst, name); // an upper is only valid on its own lower
  for (const d of [p.upper, p.work, p.root, p.docker]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(p.baseFile, baseDir + '\n');
  if (!isMounted(p.root)) {
    await must(['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${baseDir},upperdir=${p.upper},workdir=${p.work}`, p.root]);
  }
}

export async function unmountRoot(inst: LabInstance, name: string): Promise<string | undefined> {
  const p = hostPaths(inst, name);
  for (let i = 0; i < 40 && isMounted(p.root); i++) {
    const r = await cmd(['umount', p.root]);
    if (r.rc === 0) break;
    await sleep(100);
  }
  if (isMounted(p.root)) {
    const r = await cmd(['umount', '-l', p.root]);
    if (r.rc !== 0) return `cannot unmount ${p.root}: ${r.stderr.trim()}`;
  }
  return undefined;
}

function passwdIds(root: string, user: string): { uid: number; gid: number } {
  const line = fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`lab: the base image has no user ${user}`);
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/** Write the host's identity into its layer (idempotent: rewritten at every boot). */
export function writeIdentity(
  inst: LabInstance,
  host: HostSpec,
  opts: { rootPub: string; deployPwHash: string; peers: HostSpec[] },
): void {
  const p = hostPaths(inst, host.name);
  const r = (f: string) => path.join(p.root, f);
  const write = (f: string, body: string, mode = 0o644) => {
    fs.mkdirSync(path.dirname(r(f)), { recursive: true });
    fs.writeFileSync(r(f), body, { mode });
    fs.chmodSync(r(f), mode);
  };
  write('etc/hostname', `${host.name}\n`);
  if (!/^[0-9a-f]{32}$/.test(fs.readFileSync(r('etc/machine-id'), 'utf8').trim())) {
    write('etc/machine-id', crypto.randomBytes(16).toString('hex') + '\n', 0o444);
  }
  write(
    'etc/hosts',
    [
      '127.0.0.1\tlocalhost',
      `127.0.1.1\t${host.name}`,
      '::1\tlocalhost ip6-localhost ip6-loopback',
      `${inst.controllerAddress}\tcontroller`,
      ...opts.peers.filter((h) => h.name !== host.name).map((h) => `${h.address}\t${h.name}`),
      '',
    ].join('\n'),
  );
  // Static address and deliberately no gateway: hosts have no route off the bridge.
  write(
    'etc/systemd/network/10-host0.network',
    `[Match]\nName=host0\n\n[Network]\nAddress=${host.address}/24\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n`,
  );
  write('etc/apt/apt.conf.d/01fleet-lab-proxy', `Acquire::http::Proxy "${packageSourceUrl(inst)}";\n`);
  const keys = hostKeysDir(inst, host.name);
  for (const t of HOST_KEY_TYPES) {
    write(`etc/ssh/ssh_host_${t}_key`, fs.readFileSync(path.join(keys, `ssh_host_${t}_key`), 'utf8'), 0o600);
    write(`etc/ssh/ssh_host_${t}_key.pub`, fs.readFileSync(path.join(keys, `ssh_host_${t}_key.pub`), 'utf8'));
  }
  for (const [user, home] of [['root', 'root'], ['deploy', 'home/deploy'], ['deploypw', 'home/deploypw']] as const) {
    const f = `${home}/.ssh/authorized_keys`;
    write(f, opts.rootPub + '\n', 0o600);
    const { uid, gid } = passwdIds(p.root, user);
    fs.chownSync(path.dirname(r(f)), uid, gid);
    fs.chownSync(r(f), uid, gid);
  }
  const shadow = fs
    .readFileSync(r('etc/shadow'), 'utf8')
    .split('\n')
    .map((l) => (l.startsWith('deploypw:') ? l.split(':').map((f, i) => (i === 1 ? opts.deployPwHash : f)).join(':') : l))
    .join('\n');
  write('etc/shadow', shadow, 0o640);
  const shadowGid = fs.statSync(path.join(p.root, 'etc/gshadow')).gid; // group "shadow" of the base
  fs.chownSync(r('etc/shadow'), 0, shadowGid);
}

function supervisorScript(inst: LabInstance, name: string): string {
  const p = hostPaths(inst, name);
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const nspawn = [
    'systemd-nspawn', '--quiet', '--boot', `--directory=${p.root}`, `--machine=${name}`, `--hostname=${name}`,
    '--register=no', '--keep-unit', `--network-bridge=${inst.bridge}`, '--resolv-conf=off', '--timezone=off',
    '--link-journal=no', '--console=passive', '--system-call-filter=@keyring', '--system-call-filter=bpf',
    `--bind=${p.docker}:/var/lib/docker`,
  ];
  const cg = hostCgroupDirs(inst, name);
  return `#!/bin/sh
# Supervises lab host ${name}: boots it, and boots it again when it exits 133 (a reboot
# inside the host). SIGTERM: power the host off and stop.
for d in ${cg.map(q).join(' ')}; do mkdir -p "$d" && echo $$ > "$d/cgroup.procs"; done
stop=0
child=
trap 'stop=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM INT HUP
while :; do
  # After a reboot the old veth may still be going away (see stopHost).
  i=0; while ip link show ${q(vethName(name))} >/dev/null 2>&1 && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
  SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 ${nspawn.map(q).join(' ')} </dev/null &
  child=$!
  wait "$child"; rc=$?
  while kill -0 "$child" 2>/dev/null; do wait "$child"; rc=$?; done
  child=
  [ "$stop" = 1 ] && break
  [ "$rc" = 133 ] || { echo "fleet-lab: ${name} exited $rc" >&2; break; }
  echo "fleet-lab: ${name} rebooting" >&2
done
`;
}

export function bootHost(inst: LabInstance, name: string): number {
  const p = hostPaths(inst, name);
  fs.writeFileSync(p.supervisor, supervisorScript(inst, name), { mode: 0o755 });
  const log = fs.openSync(p.log, 'a');
  // detached: its own session, so it outlives `fleet lab up` and a terminal's hangup.
  const child = spawn('/bin/sh', [p.supervisor], { detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  if (!child.pid) throw new Error(`lab: could not start the supervisor of ${name}`);
  fs.writeFileSync(p.supervisorPid, `${child.pid}\n`);
  child.unref();
  return child.pid;
}

/** Stop a host: poweroff through nspawn (graceful) for up to graceMs, then kill its cgroup.
 * Its mount and cgroups are removed; its layer is kept. Returns problems, empty when clean. */
export async function stopHost(inst: LabInstance, name: string, graceMs: number): Promise<string[]> {
  const problems: string[] = [];
  const pid = supervisorPid(inst, name);
  if (pid) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* exited meanwhile */
    }
    for (let t = 0; t < graceMs && processAlive(pid); t += 100) await sleep(100);
  }
  const cg = hostCgroupDirs(inst, name);
  const left = await killCgroup(cg);
  if (left.length) problems.push(`${name}: processes ${left.join(' ')} survive SIGKILL`);
  fs.rmSync(hostPaths(inst, name).supervisorPid, { force: true });
  for (const d of cg) {
    const e = await removeCgroupTree(d);
    if (e) problems.push(e);
  }
  const u = await unmountRoot(inst, name);
  if (u) problems.push(u);
  // The kernel removes the host's veth when its namespace dies, a moment later; booting the
  // host again before that fails with "vb-NAME: File exists".
  const veth = vethName(name);
  for (let t = 0; t < 5000 && (await linkExists(veth)); t += 100) await sleep(100);
  if (await linkExists(veth)) await cmd(['ip', 'link', 'del', veth]);
  return problems;
}

/** nspawn's name for the host side of the veth (interface names are at most 15 bytes). */
function vethName(name: string): string {
  return `vb-${name}`.slice(0, 15);
}

/** Resolve when the host's sshd sends its banner. */
export async function waitForSsh(address: string, timeoutMs: number, isAlive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await sshBanner(address, 1500)) return;
    if (!isAlive()) throw new Error(`lab: the host at ${address} stopped while booting`);
    await sleep(150);
  }
  throw new Error(`lab: no ssh answer from ${address} within ${Math.round(timeoutMs / 1000)} s`);
}

export function sshBanner(address: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: address, port: 22, timeout: timeoutMs });
    let buf = '';
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.on('data', (b) => {
      buf += b.toString('latin1');
      if (buf.includes('\n')) done(buf.startsWith('SSH-'));
    });
    s.on('timeout', () => done(false));
    s.on('error', () => done(false));
    s.on('close', () => resolve(buf.startsWith('SSH-')));
  });
}
