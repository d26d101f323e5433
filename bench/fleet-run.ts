// Runs the fleet CLI (apply, --json) as a child process and reads what it says about itself:
// round trips and phase timings per host, and the recap's counts.
import { join } from 'node:path';
import type { HostEvent, RecapEvent } from '../src/model/events.js';
import type { BenchInventory } from './inventory.js';
import { measure, type Measured } from './measure.js';

export interface FleetRun {
  m: Measured;
  hosts: HostEvent[];
  recap?: RecapEvent;
  /** Lines of stdout that were not JSON events (should be none). */
  noise: string[];
}

export function parseNdjson(stdout: string): Omit<FleetRun, 'm'> {
  const hosts: HostEvent[] = [];
  let recap: RecapEvent | undefined;
  const noise: string[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    let e: { type?: string };
    try {
      e = JSON.parse(line) as { type?: string };
    } catch {
      noise.push(line);
      continue;
    }
    if (e.type === 'host') hosts.push(e as HostEvent);
    if (e.type === 'recap') recap = e as RecapEvent;
  }
  return { hosts, recap, noise };
}

export function totalChanged(recap: RecapEvent | undefined): number {
  if (!recap) return NaN;
  return Object.values(recap.hosts).reduce((s, c) => s + c.changed, 0);
}

export function totalFailed(recap: RecapEvent | undefined): number {
  if (!recap) return NaN;
  return Object.values(recap.hosts).reduce((s, c) => s + c.failed + c.unreachable, 0) + recap.failures.length;
}

export async function runFleet(
  projectDir: string,
  inv: BenchInventory,
  playbook: string,
  mode: 'apply' | 'check' = 'apply',
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<FleetRun> {
  const cli = join(projectDir, 'dist', 'fleet.cjs');
  const args = [cli, mode, playbook, '-i', inv.file, '--json', '--forks', String(inv.hosts.length)];
  const m = await measure(process.execPath, args, { cwd: projectDir, env: { ...process.env, ...extraEnv } });
  return { m, ...parseNdjson(m.stdout) };
}
