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

export interface HostCpuMeter {
  cg: string;
  hosts: string[];
  /** Idle CPU use of each host (systemd, journald...), microseconds per millisecond. */
  idle: Map<string, number>;
  start: Map<string, number | undefined>;
  startedAt: number;
}

/** Starts measuring: first watches the idle hosts for idleMs, so the CPU a tool causes can be
 * told from what the hosts do anyway. */
export async function startHostCpu(cg: string, hosts: string[], idleMs = 1000): Promise<HostCpuMeter> {
  const a = snapshot(cg, hosts);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, idleMs));
  const b = snapshot(cg, hosts);
  const dt = performance.now() - t0;
  const idle = new Map<string, number>();
  for (const h of hosts) {
    const x = a.get(h);
    const y = b.get(h);
    if (x !== undefined && y !== undefined) idle.set(h, (y - x) / dt);
  }
  return { cg, hosts, idle, start: snapshot(cg, hosts), startedAt: performance.now() };
}

/** Per-host CPU milliseconds the run caused: the cgroup's delta minus the idle rate over the
 * same time (never below 0). Hosts without a cgroup are left out. */
export function stopHostCpu(m: HostCpuMeter): number[] {
  const end = snapshot(m.cg, m.hosts);
  const dt = performance.now() - m.startedAt;
  const out: number[] = [];
  for (const h of m.hosts) {
    const b = m.start.get(h);
    const a = end.get(h);
    if (b === undefined || a === undefined) continue;
    out.push(Math.max(0, (a - b - (m.idle.get(h) ?? 0) * dt) / 1000));
  }
  return out;
}
