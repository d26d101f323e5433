// The hosts' package source: an apt-cacher-ng instance of the lab's own (own config dir,
// pid file and bind address, so it never touches a system apt-cacher-ng), listening on the
// bridge address and forwarding the way this machine's apt does. Its cache lives under
// /var/cache/fleet-lab so reruns (and CI with a cached /var/cache) are fast.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { cmd, must, sleep } from './exec.js';
import type { LabInstance } from './instance.js';
import { aptHttpProxy } from './mirror.js';
import { processAlive, processCmdline } from './procs.js';

export function acngDir(inst: LabInstance): string {
  return path.join(inst.stateDir, 'apt-cacher-ng');
}

export function packageSourceUrl(inst: LabInstance): string {
  return `http://${inst.controllerAddress}:${inst.aptProxyPort}`;
}

async function ensureInstalled(onProgress: (m: string) => void): Promise<string> {
  const bin = '/usr/sbin/apt-cacher-ng';
  if (fs.existsSync(bin)) return bin;
  onProgress('lab: installing apt-cacher-ng on this machine (the hosts\' package source)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await must(['apt-get', 'install', '-y', '--no-install-recommends', 'apt-cacher-ng'], { env });
  return bin;
}

function ourPid(inst: LabInstance): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(acngDir(inst), 'pid'), 'utf8').trim());
    if (pid && processAlive(pid) && processCmdline(pid).includes(acngDir(inst))) return pid;
  } catch {
    /* no pid file */
  }
  return undefined;
}

function probe(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/acng-report.html`, { timeout: 2000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 500);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

export async function packageSourceUp(inst: LabInstance, onProgress: (m: string) => void): Promise<void> {
  if (ourPid(inst) && (await probe(packageSourceUrl(inst)))) return;
  const bin = await ensureInstalled(onProgress);
  const dir = acngDir(inst);
  fs.mkdirSync(path.join(dir, 'log'), { recursive: true });
  fs.mkdirSync(inst.aptCacheDir, { recursive: true });
  const proxy = aptHttpProxy();
  const conf = [
    `CacheDir: ${inst.aptCacheDir}`,
    `LogDir: ${path.join(dir, 'log')}`,
    'SupportDir: /usr/lib/apt-cacher-ng',
    `Port: ${inst.aptProxyPort}`,
    `BindAddress: ${inst.controllerAddress}`,
    `PidFile: ${path.join(dir, 'pid')}`,
    `SocketPath: ${path.join(dir, 'socket')}`,
    'ReportPage: acng-report.html',
    'ExThreshold: 4',
    // Plain caching proxy: hosts ask for the mirror URL in their sources.list and it is
    // fetched from there (through this machine's apt proxy, when it has one).
    ...(proxy ? [`Proxy: ${proxy}`] : []),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'acng.conf'), conf);
  // It daemonises itself (ForeGround: 0 is its default) and writes PidFile.
  const r = await cmd([bin, '-c', dir, 'ForeGround=0'], { timeoutMs: 20_000 });
  if (r.rc !== 0) throw new Error(`lab: apt-cacher-ng did not start (rc ${r.rc}): ${(r.stderr || r.stdout).trim()}`);
  for (let i = 0; i < 50; i++) {
    if (await probe(packageSourceUrl(inst))) return;
    await sleep(200);
  }
  throw new Error(`lab: apt-cacher-ng started but does not answer at ${packageSourceUrl(inst)}; see ${path.join(dir, 'log')}`);
}

export async function packageSourceDown(inst: LabInstance): Promise<string[]> {
  const pid = ourPid(inst);
  if (!pid) return [];
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && processAlive(pid); i++) await sleep(100);
  if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 20 && processAlive(pid); i++) await sleep(100);
  return processAlive(pid) ? [`apt-cacher-ng pid ${pid} does not exit`] : [];
}

export async function packageSourceRunning(inst: LabInstance): Promise<boolean> {
  return !!ourPid(inst) && (await probe(packageSourceUrl(inst)));
}
