// Runs one tool as a child process and measures it the same way for every tool:
// wall time (our clock), controller CPU and peak RSS (GNU time, which sums every waited-for
// descendant), and the peak PSS of the whole process tree sampled every 100 ms.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cmdline, descendants, listProcs, pssKiB } from './proctree.js';

export interface Measured {
  rc: number;
  stdout: string;
  stderr: string;
  wallS: number;
  /** user + system CPU of the tool's whole tree, plus detached helpers (ssh masters). */
  cpuS: number;
  /** Largest single process's peak RSS (GNU time %M). */
  maxRssMiB: number;
  /** Peak of the summed PSS of the tree (plus detached helpers), sampled every 100 ms. */
  peakPssMiB: number;
}

export interface MeasureOpts {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Processes that leave the tree (ssh ControlPersist masters daemonize) but belong to the
   * run: matched by a string in their command line, counted in PSS and CPU. */
  detachedMarker?: string;
  sampleMs?: number;
}

let clkTck: number | undefined;
function ticksPerSecond(): number {
  clkTck ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return clkTck;
}

export function ensureGnuTime(): void {
  try {
    execFileSync('/usr/bin/time', ['-f', '%e', 'true'], { stdio: 'ignore' });
  } catch {
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'time'], { stdio: 'inherit' });
  }
}

/** Pids of live processes whose command line contains the marker. */
export function pidsMatching(marker: string): number[] {
  return listProcs()
    .map((p) => p.pid)
    .filter((pid) => pid !== process.pid && cmdline(pid).includes(marker));
}

/** CPU seconds already used by the detached helpers matching the marker. */
export function detachedCpuS(marker: string): number {
  const procs = new Map(listProcs().map((p) => [p.pid, p]));
  let ticks = 0;
  for (const pid of pidsMatching(marker)) ticks += procs.get(pid)?.cpuTicks ?? 0;
  return ticks / ticksPerSecond();
}

export async function measure(cmd: string, args: string[], opts: MeasureOpts): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-bench-time-'));
  const timeFile = join(dir, 'time');
  const started = process.hrtime.bigint();
  const child = spawn('/usr/bin/time', ['-o', timeFile, '-f', '%U %S %M', cmd, ...args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));

  let peakKiB = 0;
  const sample = (): void => {
    if (child.pid === undefined) return;
    const pids = new Set(descendants(listProcs(), child.pid));
    if (opts.detachedMarker) for (const pid of pidsMatching(opts.detachedMarker)) pids.add(pid);
    let sum = 0;
    for (const pid of pids) sum += pssKiB(pid);
    peakKiB = Math.max(peakKiB, sum);
  };
  sample();
  const timer = setInterval(sample, opts.sampleMs ?? 100);

  const rc = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(timer);

  const [user, sys, rssKiB] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  rmSync(dir, { recursive: true, force: true });
  const helpers = opts.detachedMarker ? detachedCpuS(opts.detachedMarker) : 0;
  return {
    rc,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
    wallS,
    cpuS: user + sys + helpers,
    maxRssMiB: rssKiB / 1024,
    peakPssMiB: peakKiB / 1024,
  };
}
