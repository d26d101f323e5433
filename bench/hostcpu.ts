// CPU used inside each lab host, read from the host's own cgroup on the controller: the
// lab puts every host (its systemd, sshd, and whatever a tool runs there) in one cgroup.
import { existsSync, readFileSync } from 'node:fs';

function candidates(cg: string, host: string): { file: string; parse: (t: string) => number }[] {
  const v2 = (t: string) => Number(/^usage_usec (\d+)/m.exec(t)?.[1] ?? NaN);
  const v1 = (t: string) => Number(t.trim()) / 1000; // cpuacct.usage is in ns
  return [
    { file: `/sys/fs/cgroup/unified/${cg}/${host}/cpu.stat`, parse: v2 },
    { file: `/sys/fs/cgroup/${cg}/${host}/cpu.stat`, parse: v2 },
    { file: `/sys/fs/cgroup/cpuacct/${cg}/${host}/cpuacct.usage`, parse: v1 },
  ];
}

/** Microseconds of CPU the host has used since boot; undefined when no cgroup is found. */
/** cg: the lab instance's cgroup directory name (LabInstance.cgroupName). */
export function hostCpuUsec(cg: string, host: string): number | undefined {
  for (const c of candidates(cg, host)) {
    if (!existsSync(c.file)) continue;
    const v = c.parse(readFileSync(c.file, 'utf8'));
    if (Number.isFinite(v)) return v;
  }
  return undefined;
}

export function snapshot(cg: string, hosts: string[]): Map<string, number | undefined> {
  return new Map(hosts.map((h) => [h, hostCpuUsec(cg, h)]));
}

/** Per-host CPU milliseconds between two snapshots (hosts without a cgroup are left out). */
export function deltaMs(before: Map<string, number | undefined>, after: Map<string, number | undefined>): number[] {
  const out: number[] = [];
  for (const [h, b] of before) {
    const a = after.get(h);
    if (b !== undefined && a !== undefined) out.push((a - b) / 1000);
  }
  return out;
}
