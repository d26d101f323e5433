// Light hosts for scale tests: many real sshd processes on loopback addresses (127.N.x.y), each
// with its own host key, its own root directory for managed paths and its own run lock, on this
// machine's own filesystem and kernel. Hundreds cost megabytes, where lab hosts (real systems
// in namespaces) cost a Debian tree and systemd each. Up, down and leftovers like the lab's.
import fs from 'node:fs';
import path from 'node:path';
import { must } from './exec.js';
import { lightHome, lightHost, lightInventory, lightLab, sshdConfig, LIGHT_PORT, type LightHost, type LightLab } from './light-config.js';
import { processAlive, processCmdline, readPid } from './procs.js';

export { lightLab, lightHost, LIGHT_PORT, type LightLab, type LightHost } from './light-config.js';

export const SSHD = '/usr/sbin/sshd';
const START_TIMEOUT_MS = 10_000;
/** Key generation and sshd starts in parallel: each is a short process. */
const PARALLEL = 16;

/** Host names of the light lab that exist in its state dir, in index order. */
export function lightHosts(lab: LightLab): LightHost[] {
  let names: string[];
  try {
    names = fs.readdirSync(path.join(lab.stateDir, 'hosts'));
  } catch {
    return [];
  }
  const re = new RegExp(`^${lab.name}(\\d+)$`);
  return names
    .map((n) => Number(re.exec(n)?.[1]))
    .filter((i) => Number.isInteger(i) && i > 0)
    .sort((a, b) => a - b)
    .map((i) => lightHost(lab, i));
}

async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** The pid of this host's sshd, if it runs (and is ours: pids are reused). */
export function lightPid(h: LightHost): number | undefined {
  const pid = readPid(h.pidFile);
  return pid && processAlive(pid) && processCmdline(pid).includes(h.configFile) ? pid : undefined;
}

async function startSshd(h: LightHost): Promise<void> {
  if (lightPid(h)) return;
  fs.rmSync(h.pidFile, { force: true });
  await must([SSHD, '-f', h.configFile, '-E', path.join(h.dir, 'sshd.log')]);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!lightPid(h)) {
    if (Date.now() > deadline) throw new Error(`lab: light host ${h.name}: sshd did not start (see ${path.join(h.dir, 'sshd.log')})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Where a light lab records the second octet it was brought up with. */
const net2File = (lab: LightLab): string => path.join(lab.stateDir, 'net2');

/** The second octet a light lab was brought up with, if it is up: its record, else (a lab from
 * before the record) its inventory's first address. */
function recordedNet2(lab: LightLab): number | undefined {
  try {
    const n = Number(fs.readFileSync(net2File(lab), 'utf8').trim());
    if (Number.isInteger(n)) return n;
  } catch {
    // No record: look at the inventory.
  }
  try {
    const m = /ansible_host: 127\.(\d+)\./.exec(fs.readFileSync(lab.inventoryFile, 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // Not up.
  }
  return undefined;
}

/**
 * A light lab's second octet: the one asked for, else the one it was brought up with, else
 * one no other light lab on this machine uses (77 for the lab named "light", a value from the
 * name for the others): two light labs with different names must never share addresses.
 */
export function lightNet2(name: string, net2?: number): number {
  if (net2 !== undefined) return net2;
  const lab = lightLab(name);
  const own = recordedNet2(lab);
  if (own !== undefined) return own;
  const base = path.dirname(lab.stateDir);
  const used = new Set<number>();
  let dirs: string[] = [];
  try {
    dirs = fs.readdirSync(base).filter((d) => d.startsWith('fleet-light-') && d !== `fleet-light-${name}`);
  } catch {
    // No light lab at all.
  }
  for (const d of dirs) {
    const other = d.slice('fleet-light-'.length);
    if (!/^[a-z][a-z0-9]{0,9}$/.test(other)) continue;
    used.add(recordedNet2(lightLab(other)) ?? 77);
  }
  let hash = 0;
  for (const c of name) hash = (hash * 31 + c.charCodeAt(0)) % 150;
  let candidate = name === 'light' ? 77 : 100 + hash;
  while (used.has(candidate)) candidate = (candidate % 254) + 1;
  return candidate;
}

/** N light hosts up (existing ones kept, stopped ones started), inventory and known_hosts written. */
export async function lightUp(n: number, opts: { name?: string; net2?: number; onProgress?: (msg: string) => void } = {}): Promise<LightLab> {
  if (!fs.existsSync(SSHD)) throw new Error(`lab: light hosts need OpenSSH's server (${SSHD}): apt-get install openssh-server`);
  const name = opts.name ?? 'light';
  const lab = lightLab(name, lightNet2(name, opts.net2));
  const hosts = Array.from({ length: n }, (_, i) => lightHost(lab, i + 1));
  fs.mkdirSync(path.dirname(lab.inventoryFile), { recursive: true, mode: 0o700 });
  fs.writeFileSync(net2File(lab), `${lab.net2}\n`);
  if (!fs.existsSync(lab.keyFile)) await must(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `fleet-light-${lab.name}`, '-f', lab.keyFile]);
  fs.copyFileSync(`${lab.keyFile}.pub`, path.join(lab.stateDir, 'authorized_keys'));
  // sshd run by root separates privileges into this directory (the system's sshd makes it at boot).
  if (process.getuid?.() === 0) fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  opts.onProgress?.(`light lab ${lab.name}: ${n} hosts on 127.${lab.net2}.x.y:${LIGHT_PORT}`);
  await pool(hosts, PARALLEL, async (h) => {
    fs.mkdirSync(h.root, { recursive: true });
    fs.mkdirSync(lightHome(h), { recursive: true });
    if (!fs.existsSync(h.hostKey)) await must(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', h.name, '-f', h.hostKey]);
    fs.writeFileSync(h.configFile, sshdConfig(lab, h));
    await startSshd(h);
  });
  const known = hosts.map((h) => `[${h.address}]:${LIGHT_PORT} ${fs.readFileSync(`${h.hostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}`);
  fs.writeFileSync(lab.knownHostsFile, known.join('\n') + '\n');
  fs.writeFileSync(lab.inventoryFile, lightInventory(lab, hosts));
  return lab;
}

/** Stop one host's sshd: its listening socket is gone, as on a host that died. */
export function lightStop(h: LightHost): void {
  const pid = lightPid(h);
  if (pid) process.kill(pid, 'SIGTERM');
}

/** Every process started from this light lab's state dir (sshd listeners and their sessions). */
function labProcesses(lab: LightLab): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    const c = processCmdline(Number(e));
    if (c.includes(lab.stateDir + '/')) found.push({ pid: Number(e), cmdline: c });
  }
  return found;
}

/** Stop every sshd of the light lab and remove its state dir; throws naming what is left. */
export async function lightDown(opts: { name?: string; net2?: number; onProgress?: (msg: string) => void } = {}): Promise<void> {
  const name = opts.name ?? 'light';
  const lab = lightLab(name, lightNet2(name, opts.net2));
  for (const h of lightHosts(lab)) lightStop(h);
  // Found by command line too: a host whose pid file went missing still holds its address.
  for (let i = 0; i < 50; i++) {
    const left = labProcesses(lab);
    if (left.length === 0) break;
    for (const p of left) {
      try {
        process.kill(p.pid, i < 25 ? 'SIGTERM' : 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  fs.rmSync(lab.stateDir, { recursive: true, force: true });
  const left = lightLeftovers(lab);
  if (left.length) throw new Error(`lab: light lab ${lab.name} is not entirely gone:\n  ${left.join('\n  ')}`);
  opts.onProgress?.(`light lab ${lab.name}: down, nothing left`);
}

export function lightLeftovers(lab: LightLab): string[] {
  const found = labProcesses(lab).map((p) => `process ${p.pid}: ${p.cmdline.slice(0, 200)}`);
  if (fs.existsSync(lab.stateDir)) found.push(`state dir ${lab.stateDir}`);
  return found;
}

export interface LightStatus {
  name: string;
  stateDir: string;
  inventoryFile: string;
  hosts: { name: string; address: string; up: boolean }[];
}

export function lightStatus(opts: { name?: string; net2?: number } = {}): LightStatus {
  const name = opts.name ?? 'light';
  const lab = lightLab(name, lightNet2(name, opts.net2));
  return {
    name: lab.name,
    stateDir: lab.stateDir,
    inventoryFile: lab.inventoryFile,
    hosts: lightHosts(lab).map((h) => ({ name: h.name, address: h.address, up: lightPid(h) !== undefined })),
  };
}
