// A fleet run left in the background, for tests that act on it while it runs (a second run at
// the same time, Ctrl-C, a fault injected on a host): its process, and its result when it ends.
import { spawn, type ChildProcess } from 'node:child_process';
import type { RecapEvent } from '../../../src/model/events.js';
import { FLEET_MAIN, parseNdjson, REPO_ROOT, type FleetRun } from './fleet.js';
import { sshRun } from './lab.js';

export interface BackgroundRun {
  child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  done: Promise<FleetRun>;
}

export function startFleet(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): BackgroundRun {
  const child = spawn(process.execPath, [FLEET_MAIN, ...args, '--json'], { cwd: opts.cwd ?? REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdin!.end('');
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  const done = new Promise<FleetRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        const events = parseNdjson(stdout);
        const recap = events.find((e): e is RecapEvent => e.type === 'recap');
        resolve({ code: code ?? (signal ? 128 : 255), stdout, stderr, events, recap });
      } catch (e) {
        reject(new Error(`${(e as Error).message}\nstderr:\n${stderr}`));
      }
    });
  });
  return { child, stderr: () => stderr, done };
}

/** Until `path` exists on the host (a task's marker that it started). */
export async function waitForFile(host: string, path: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = await sshRun(host, `test -e ${path}`);
    if (r.code === 0) return;
    await new Promise((res) => setTimeout(res, 150));
  }
  throw new Error(`${host}: ${path} did not appear within ${timeoutMs} ms`);
}
