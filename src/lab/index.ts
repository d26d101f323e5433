// The lab of real test hosts (CONTRACTS.md, lab/): up, down, status, exec, reset.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { ensureBase } from './base.js';
import { cmd } from './exec.js';
import {
  DEFAULT_INSTANCE, FIRST_HOST_OCTET, MAX_HOST_OCTET, hostAddress, hostIndex, hostName, labInstance,
  type LabInstance, type LabInstanceSpec,
} from './instance.js';
import { removeProjectFiles, updateKnownHosts, writeProjectFiles } from './inventory.js';
import { ensureDeployPassword, ensureHostKeys, ensureRootKey, hostPublicKeys } from './keys.js';
import { withLock } from './lock.js';
import { linkExists, networkDown, networkUp } from './network.js';
import { packageSourceDown, packageSourceRunning, packageSourceUp, packageSourceUrl } from './pkgsource.js';
import { assertLabAvailable } from './preflight.js';
import { bootHost, hostRunning, mountRoot, sshBanner, stopHost, waitForSsh, wipeLayer, writeIdentity, type HostSpec } from './host.js';
import { labLeftovers } from './leftovers.js';
import { pickRoute, sshArgv, type LabProject } from './ssh-route.js';
import { instanceCgroupDirs, removeCgroupTree } from './cgroups.js';
import type { LabHostInfo, LabInfo, LabStatus } from './types.js';

export type { LabHostInfo, LabInfo, LabStatus, LabHostStatus } from './types.js';
export { labInstance, DEFAULT_INSTANCE, type LabInstance, type LabInstanceSpec } from './instance.js';
export { LabUnavailableError, labMissing } from './preflight.js';
export { labLeftovers } from './leftovers.js';

export interface LabOptions {
  /** Another, independent lab (own name, /24, bridge and state dir). Default: the shared lab. */
  instance?: LabInstanceSpec;
}

/** Memory a host may use (idle ~14 MiB, ~115 MiB running dockerd), and what the machine keeps. */
const MIB_PER_HOST = 128;
const MIB_RESERVED = 1024;
const BOOT_TIMEOUT_MS = 120_000;

function instanceFile(inst: LabInstance): string {
  return path.join(inst.stateDir, 'instance.json');
}

/** Host names of the instance that exist in its state dir, in index order. */
export function listHosts(inst: LabInstance): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(path.join(inst.stateDir, 'hosts'));
  } catch {
    return [];
  }
  return names
    .filter((n) => hostIndex(inst, n) !== undefined)
    .sort((a, b) => hostIndex(inst, a)! - hostIndex(inst, b)!);
}

function spec(inst: LabInstance, name: string): HostSpec {
  return { name, address: hostAddress(inst, hostIndex(inst, name)!) };
}

function memAvailableMiB(): number {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
  return m ? Math.floor(Number(m[1]) / 1024) : Math.floor(os.freemem() / 1048576);
}

function hostInfos(inst: LabInstance, names: string[]): LabHostInfo[] {
  return names.map((name, i) => ({
    ...spec(inst, name),
    group: i === 0 ? 'managers' : 'workers',
    hostKeys: hostPublicKeys(inst, name),
  }));
}

function info(inst: LabInstance, names: string[]): LabInfo {
  return {
    name: inst.name,
    bridge: inst.bridge,
    controllerAddress: inst.controllerAddress,
    subnet: `${inst.net3}.0/24`,
    stateDir: inst.stateDir,
    keyFile: inst.keyFile,
    knownHostsFile: inst.knownHostsFile,
    deployPasswordFile: inst.deployPasswordFile,
    packageSource: packageSourceUrl(inst),
    hosts: hostInfos(inst, names),
  };
}

function readProjects(inst: LabInstance): string[] {
  try {
    return JSON.parse(fs.readFileSync(path.join(inst.stateDir, 'projects.json'), 'utf8')) as string[];
  } catch {
    return [];
  }
}

async function bootOne(inst: LabInstance, name: string, baseDir: string, peers: HostSpec[], fresh: boolean): Promise<void> {
  const [rootPub, pw] = await Promise.all([ensureRootKey(inst), ensureDeployPassword(inst), ensureHostKeys(inst, name)]);
  // Leftovers of a host that died (a mount, cgroups) are cleared before it boots again.
  await stopHost(inst, name, 0);
  if (fresh) wipeLayer(inst, name);
  await mountRoot(inst, name, baseDir);
  writeIdentity(inst, spec(inst, name), { rootPub, deployPwHash: pw.hash, peers });
  bootHost(inst, name);
}

/** Boot hosts 1..n (or keep more, if the lab already has more), build what is missing. */
export async function labUp(
  n: number,
  opts: LabOptions & { onProgress?: (msg: string) => void; projectDir?: string } = {},
): Promise<LabInfo> {
  assertLabAvailable();
  const inst = labInstance(opts.instance ?? DEFAULT_INSTANCE);
  const maxN = MAX_HOST_OCTET - FIRST_HOST_OCTET + 1;
  if (!Number.isInteger(n) || n < 1 || n > maxN) throw new Error(`lab up: the number of hosts must be an integer from 1 to ${maxN}, got ${n}`);
  const progress = opts.onProgress ?? (() => undefined);
  return withLock(
    inst.lockFile,
    async () => {
      const existing = listHosts(inst);
      const count = Math.max(n, ...existing.map((h) => hostIndex(inst, h)!));
      const names = Array.from({ length: count }, (_, i) => hostName(inst, i + 1));
      const toBoot = names.filter((h) => !hostRunning(inst, h));
      const avail = memAvailableMiB();
      const canAdd = Math.max(0, Math.floor((avail - MIB_RESERVED) / MIB_PER_HOST));
      if (toBoot.length > canAdd) {
        throw new Error(
          `lab up: ${toBoot.length} more hosts need about ${toBoot.length * MIB_PER_HOST} MiB; this machine has ${avail} MiB available ` +
            `(keeping ${MIB_RESERVED} MiB), enough for ${canAdd} more`,
        );
      }
      const baseDir = await ensureBase(progress);
      fs.mkdirSync(inst.stateDir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(instanceFile(inst), JSON.stringify({ name: inst.name, subnet: `${inst.net3}.0/24` }) + '\n');
      await networkUp(inst);
      await packageSourceUp(inst, progress);
      const peers = names.map((h) => spec(inst, h));
      if (toBoot.length) progress(`lab: booting ${toBoot.join(', ')}`);
      const started = Date.now();
      await Promise.all(toBoot.map((h) => bootOne(inst, h, baseDir, peers, false)));
      // Only the hosts booted now: a running host may have moved its sshd (a role under test).
      await Promise.all(toBoot.map((h) => waitForSsh(spec(inst, h).address, BOOT_TIMEOUT_MS, () => hostRunning(inst, h))));
      if (toBoot.length) progress(`lab: ${toBoot.length} host(s) answer ssh after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const result = info(inst, names);
      updateKnownHosts(inst.knownHostsFile, inst, result.hosts);
      if (opts.projectDir) {
        const dir = path.resolve(opts.projectDir);
        const files = writeProjectFiles(dir, inst, result.hosts);
        result.inventoryFile = files.inventory;
        result.projectKnownHostsFile = files.knownHosts;
        const projects = new Set(readProjects(inst));
        projects.add(dir);
        fs.writeFileSync(path.join(inst.stateDir, 'projects.json'), JSON.stringify([...projects]) + '\n');
      }
      return result;
    },
    { onWait: (pid) => progress(`lab: waiting for pid ${pid}, which holds ${inst.lockFile}`) },
  );
}

/** The lab's current hosts and keys, without changing anything (for a harness joining a lab). */
export function labInfo(opts: LabOptions = {}): LabInfo {
  const inst = labInstance(opts.instance ?? DEFAULT_INSTANCE);
  return info(inst, listHosts(inst));
}

/** The instance spec of a LabInfo, to pass back as `{ instance }`. */
export function instanceOfInfo(i: Pick<LabInfo, 'name' | 'subnet'>): LabInstanceSpec {
  return { name: i.name, subnet: i.subnet };
}

/** Other lab instances with running hosts (they inherit a raised sysctl at our down). */
function otherInstancesUp(inst: LabInstance): LabInstance[] {
  const out: LabInstance[] = [];
  for (const d of fs.readdirSync('/var/lib').filter((d) => d === 'fleet-lab' || d.startsWith('fleet-lab-'))) {
    try {
      const other = labInstance(JSON.parse(fs.readFileSync(path.join('/var/lib', d, 'instance.json'), 'utf8')) as LabInstanceSpec);
      if (other.stateDir !== inst.stateDir && listHosts(other).some((h) => hostRunning(other, h))) out.push(other);
    } catch {
      /* not a lab state dir */
    }
  }
  return out;
}

/** Stop every host, remove everything the lab made, verify nothing is left. */
export async function labDown(opts: LabOptions & { onProgress?: (msg: string) => void } = {}): Promise<void> {
  assertLabAvailable();
  const inst = labInstance(opts.instance ?? DEFAULT_INSTANCE);
  const progress = opts.onProgress ?? (() => undefined);
  if (!fs.existsSync(inst.stateDir)) {
    const left = await labLeftovers(inst);
    if (left.length) throw new Error(`lab down: no state in ${inst.stateDir}, yet found: ${left.join('; ')}`);
    return;
  }
  await withLock(inst.lockFile, async () => {
    const hosts = listHosts(inst);
    if (hosts.length) progress(`lab: stopping ${hosts.join(', ')}`);
    const problems = (await Promise.all(hosts.map((h) => stopHost(inst, h, 10_000)))).flat();
    problems.push(...(await packageSourceDown(inst)));
    problems.push(...(await networkDown(inst, otherInstancesUp(inst))));
    for (const d of instanceCgroupDirs(inst)) {
      const e = await removeCgroupTree(d);
      if (e) problems.push(e);
    }
    for (const p of readProjects(inst)) removeProjectFiles(p, inst);
    if (problems.length) throw new Error(`lab down: ${problems.join('; ')}`);
    // State last: it records what to undo, so it must outlive any failure above.
    for (const e of fs.readdirSync(inst.stateDir)) if (e !== 'lock') fs.rmSync(path.join(inst.stateDir, e), { recursive: true, force: true });
  });
  fs.rmSync(inst.stateDir, { recursive: true, force: true });
  const left = await labLeftovers(inst);
  if (left.length) throw new Error(`lab down: left behind: ${left.join('; ')}`);
  progress('lab: down; nothing left behind');
}

export async function labStatus(opts: LabOptions = {}): Promise<LabStatus> {
  const inst = labInstance(opts.instance ?? DEFAULT_INSTANCE);
  const names = listHosts(inst);
  const hosts = await Promise.all(
    names.map(async (name) => {
      const s = spec(inst, name);
      const running = hostRunning(inst, name);
      return { ...s, running, ssh: running && (await sshBanner(s.address, 2000)) };
    }),
  );
  const bridgeUp = process.platform === 'linux' && (await linkExists(inst.bridge).catch(() => false));
  const packageSource = await packageSourceRunning(inst);
  return {
    name: inst.name,
    bridge: inst.bridge,
    up: hosts.length > 0 && hosts.every((h) => h.running && h.ssh) && bridgeUp && packageSource,
    bridgeUp,
    packageSource,
    hosts,
  };
}

function hostAddressOf(inst: LabInstance, host: string): string {
  const i = hostIndex(inst, host);
  if (i === undefined || !listHosts(inst).includes(host)) {
    const known = listHosts(inst);
    const which = inst.name === DEFAULT_INSTANCE.name ? 'the lab' : `lab ${inst.name}`;
    // Not even named like this lab's hosts: most likely a host of a lab brought up with --name.
    const other = i === undefined ? `; the hosts of a lab brought up with --name NAME are NAME1, NAME2...: give its --name and --subnet` : '';
    throw new Error(`lab: no host "${host}" in ${which} (hosts: ${known.length ? known.join(', ') : 'none; run fleet lab up'})${other}`);
  }
  return hostAddress(inst, i);
}

/** Run one command on a host as root over real ssh; its exit code is passed through. With a
 * project, the host is reached the way that project's inventory now says (an admin user
 * with sudo, a moved port), falling back to root with the lab key. */
export async function labExec(
  host: string,
  command: string,
  opts: LabOptions & { project?: LabProject } = {},
): Promise<{ rc: number; stdout: string; stderr: string }> {
  const inst = labInstance(opts.instance ?? DEFAULT_INSTANCE);
  const route = await pickRoute(inst, host, hostAddressOf(inst, host), opts.project);
  return cmd(sshArgv(inst, route, { tty: false, command }));
}

/** Interactive: a root shell on the host (no command) or one command with the terminal
 * attached, reached as labExec does. */
export async function labShell(host: string, command: string | undefined, opts: LabOptions & { project?: LabProject } = {}): Promise<number> {
  const inst = labInstance(opts.instance ?? DEFAULT_INSTANCE);
  const route = await pickRoute(inst, host, hostAddressOf(inst, host), opts.project);
  const argv = sshArgv(inst, route, { tty: command === undefined && !!process.stdin.isTTY, command });
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 255));
  });
}

/** Back to the pristine base: stop, drop the host's layer (keeping its cached host keys),
 * write its identity and authorized_keys again, boot, wait for ssh. */
export async function resetHost(name: string, opts: LabOptions = {}): Promise<void> {
  return resetHosts([name], opts);
}

/** resetHost for several hosts under one hold of the lock, booted side by side as `lab up`
 * boots them: one after another, each waits for the previous one's boot. */
export async function resetHosts(names: string[], opts: LabOptions = {}): Promise<void> {
  assertLabAvailable();
  const inst = labInstance(opts.instance ?? DEFAULT_INSTANCE);
  await withLock(inst.lockFile, async () => {
    const all = listHosts(inst);
    const unknown = names.filter((n) => !all.includes(n));
    if (unknown.length) throw new Error(`lab: no host "${unknown[0]}" in the lab (hosts: ${all.join(', ') || 'none'})`);
    const peers = all.map((h) => spec(inst, h));
    await Promise.all(
      [...new Set(names)].map(async (name) => {
        const baseDir = fs.readFileSync(path.join(inst.stateDir, 'hosts', name, 'base'), 'utf8').trim();
        await bootOne(inst, name, baseDir, peers, true);
        await waitForSsh(spec(inst, name).address, BOOT_TIMEOUT_MS, () => hostRunning(inst, name));
      }),
    );
  });
}
