// One cgroup per host, under <hierarchy>/<instance cgroup>/<host>, in the name=systemd (v1)
// and unified (v2) hierarchies: without it all hosts share one cgroup and their systemds
// fight. On a pure cgroup2 machine the unified hierarchy is /sys/fs/cgroup itself.
import fs from 'node:fs';
import path from 'node:path';
import { sleep } from './exec.js';
import type { LabInstance } from './instance.js';

const ROOT = '/sys/fs/cgroup';

function isCgroup2(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'cgroup.controllers'));
}

/** Roots of the hierarchies the lab uses: [unified, name=systemd?]. */
export function hierarchies(): { unified: string; systemdV1?: string } {
  if (isCgroup2(ROOT)) return { unified: ROOT };
  const unified = path.join(ROOT, 'unified');
  const v1 = path.join(ROOT, 'systemd');
  return {
    unified,
    systemdV1: fs.existsSync(path.join(v1, 'cgroup.procs')) ? v1 : undefined,
  };
}

export function instanceCgroupDirs(inst: LabInstance): string[] {
  const h = hierarchies();
  return [h.unified, h.systemdV1].filter((d): d is string => !!d).map((d) => path.join(d, inst.cgroupName));
}

export function hostCgroupDirs(inst: LabInstance, host: string): string[] {
  return instanceCgroupDirs(inst).map((d) => path.join(d, host));
}

function procsIn(dir: string): number[] {
  const pids: number[] = [];
  const walk = (d: string) => {
    try {
      for (const l of fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l) pids.push(Number(l));
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
    } catch {
      /* gone */
    }
  };
  walk(dir);
  return pids;
}

/** Kill every process of a host's cgroups (all of them are ours), then wait until empty. */
export async function killCgroup(dirs: string[]): Promise<number[]> {
  for (const d of dirs) {
    if (!fs.existsSync(d)) continue;
    if (fs.existsSync(path.join(d, 'cgroup.kill'))) {
      fs.writeFileSync(path.join(d, 'cgroup.kill'), '1');
    } else {
      for (const pid of procsIn(d)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
  }
  for (let i = 0; i < 100; i++) {
    const left = dirs.flatMap(procsIn);
    if (!left.length) return [];
    await sleep(50);
    if (i % 20 === 19) for (const pid of left) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  return dirs.flatMap(procsIn);
}

/** Remove a cgroup directory and the sub-cgroups the host's systemd made in it, deepest first. */
export async function removeCgroupTree(dir: string): Promise<string | undefined> {
  if (!fs.existsSync(dir)) return undefined;
  const rm = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rm(path.join(d, e.name));
    fs.rmdirSync(d);
  };
  for (let i = 0; i < 40; i++) {
    try {
      rm(dir);
      return undefined;
    } catch {
      await sleep(50); // a just-killed cgroup stays busy for a moment
    }
  }
  return `cannot remove cgroup ${dir}`;
}
