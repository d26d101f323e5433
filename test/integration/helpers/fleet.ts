// Run the built CLI (dist/fleet.cjs, built before the tests) the way a user does, with --json, and
// collect its NDJSON events.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FleetEvent, RecapEvent } from '../../../src/model/events.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const FLEET_MAIN = path.join(REPO_ROOT, 'dist/fleet.cjs');

export interface FleetRun {
  code: number;
  stdout: string;
  stderr: string;
  events: FleetEvent[];
  /** The recap event, when the run got that far. */
  recap?: RecapEvent;
}

/** Parse NDJSON; a line that is not JSON is an error (the --json stream must be clean). */
export function parseNdjson(text: string): FleetEvent[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as FleetEvent;
      } catch {
        throw new Error(`--json output line ${i + 1} is not JSON: ${l.slice(0, 300)}`);
      }
    });
}

export function runFleet(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; json?: boolean; timeoutMs?: number; input?: string } = {},
): Promise<FleetRun> {
  if (!fs.existsSync(FLEET_MAIN)) throw new Error(`${FLEET_MAIN} is missing: build first (npm run build)`);
  const json = opts.json ?? true;
  const argv = [FLEET_MAIN, ...args, ...(json && !args.includes('--json') ? ['--json'] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 280_000);
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      let events: FleetEvent[];
      try {
        events = json ? parseNdjson(stdout) : [];
      } catch (e) {
        reject(new Error(`${(e as Error).message}\nstderr:\n${stderr}`));
        return;
      }
      const recap = events.find((e): e is RecapEvent => e.type === 'recap');
      resolve({ code: code ?? 255, stdout, stderr, events, recap });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Task events of one host (or all), in order. */
export function taskEvents(run: FleetRun, host?: string) {
  return run.events.filter((e) => e.type === 'task' && (!host || e.host === host)) as Extract<FleetEvent, { type: 'task' }>[];
}
