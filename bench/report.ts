// Turns samples into the tables the issue asks for: the comparison with Ansible and the
// floor, fleet's scaling with hosts and tasks, fleet's time profile, and the targets.
import type { Phase, Sample, Timings, Tool } from './runner.js';
import { fmt, fmtCount, max, median, min, ratio } from './stats.js';
import { renderTable } from './table.js';

export interface Row {
  tool: Tool;
  n: number;
  tasks: number;
  phase: Phase;
  runs: number;
  failedRuns: number;
  wall: { med: number; min: number; max: number };
  cpuS: number;
  maxRssMiB: number;
  peakPssMiB: number;
  changedPerHost: number;
  rt: { med: number; min: number; max: number };
  hostCpuMs: number;
  timings?: Timings;
  /** Floor rows: host CPU ms of single execs over an open connection (runner.ts ExecCpuSample). */
  execCpu?: { bare: number; probe: number; minimal: number; login: number };
}

export function aggregate(samples: Sample[]): Row[] {
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const k = `${s.tool}|${s.n}|${s.tasks}|${s.phase}`;
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  return [...groups.values()].map((g) => {
    const s0 = g[0];
    const rts = g.flatMap((s) => s.rtPerHost);
    const allTimings = g.flatMap((s) => s.timings ?? []);
    const t = (k: keyof Timings) => median(allTimings.map((x) => x[k]));
    return {
      tool: s0.tool,
      n: s0.n,
      tasks: s0.tasks,
      phase: s0.phase,
      runs: g.length,
      failedRuns: g.filter((s) => !s.ok).length,
      wall: { med: median(g.map((s) => s.wallS)), min: min(g.map((s) => s.wallS)), max: max(g.map((s) => s.wallS)) },
      cpuS: median(g.map((s) => s.cpuS)),
      maxRssMiB: median(g.map((s) => s.maxRssMiB)),
      peakPssMiB: median(g.map((s) => s.peakPssMiB)),
      changedPerHost: median(g.flatMap((s) => s.changedPerHost)),
      rt: { med: median(rts), min: min(rts), max: max(rts) },
      hostCpuMs: median(g.flatMap((s) => s.hostCpuMs)),
      execCpu: g.some((s) => s.execCpu)
        ? {
            bare: median(g.flatMap((s) => s.execCpu?.bare ?? [])),
            probe: median(g.flatMap((s) => s.execCpu?.probe ?? [])),
            minimal: median(g.flatMap((s) => s.execCpu?.minimal ?? [])),
            login: median(g.flatMap((s) => s.execCpu?.login ?? [])),
          }
        : undefined,
      timings: allTimings.length ? { connectMs: t('connectMs'), renderMs: t('renderMs'), probeMs: t('probeMs'), planMs: t('planMs'), applyMs: t('applyMs') } : undefined,
    };
  });
}

const find = (rows: Row[], tool: Tool, n: number, tasks: number, phase: Phase) =>
  rows.find((r) => r.tool === tool && r.n === n && r.tasks === tasks && r.phase === phase);

const range = (x: { med: number; min: number; max: number }) =>
  x.min === x.max ? fmt(x.med) : `${fmt(x.med)} (${fmt(x.min)}-${fmt(x.max)})`;
const rtCell = (x: Row['rt']) => (!Number.isFinite(x.min) || x.min === x.max ? fmtCount(x.med) : `${fmtCount(x.med)} (${fmtCount(x.min)}-${fmtCount(x.max)})`);

const PHASES: Phase[] = ['first', 'no-change'];

/** The comparison: fleet, ansible-playbook and the floor on the same hosts, 40 tasks. */
export function comparisonTable(rows: Row[], hosts: number[], format: 'text' | 'md', tasks = 40): string {
  const headers = ['tool', 'N', 'phase', 'wall s median (min-max)', 'ctrl CPU s', 'ctrl peak PSS MiB', 'max RSS MiB', 'changed/host', 'SSH round trips/host', 'host CPU ms/host', 'ansible/fleet wall', 'ansible/fleet CPU', 'fleet/floor wall'];
  const out: string[][] = [];
  for (const n of hosts) {
    for (const phase of PHASES) {
      const fleet = find(rows, 'fleet', n, tasks, phase);
      for (const tool of ['fleet', 'ansible', 'floor'] as Tool[]) {
        const r = find(rows, tool, n, tasks, phase);
        if (!r) continue;
        const ans = tool === 'fleet' ? find(rows, 'ansible', n, tasks, phase) : undefined;
        const floor = tool === 'fleet' && phase === 'no-change' ? find(rows, 'floor', n, tasks, phase) : undefined;
        out.push([
          r.failedRuns ? `${tool} (${r.failedRuns}/${r.runs} FAILED)` : tool,
          String(n),
          tool === 'floor' ? 'connect+probe' : phase,
          range(r.wall),
          fmt(r.cpuS),
          fmt(r.peakPssMiB),
          fmt(r.maxRssMiB),
          fmtCount(r.changedPerHost),
          rtCell(r.rt),
          fmt(r.hostCpuMs),
          ans && fleet ? ratio(ans.wall.med, fleet.wall.med) : '',
          ans && fleet ? ratio(ans.cpuS, fleet.cpuS) : '',
          floor && fleet ? ratio(fleet.wall.med, floor.wall.med) : '',
        ]);
      }
    }
  }
  return renderTable(headers, out, format);
}

/** fleet alone, every host count and task count measured. */
export function scalingTable(rows: Row[], format: 'text' | 'md'): string {
  const headers = ['N', 'tasks', 'phase', 'wall s median (min-max)', 'ctrl CPU s', 'ctrl CPU ms/host', 'ctrl peak PSS MiB', 'round trips/host', 'host CPU ms/host'];
  const fleet = rows.filter((r) => r.tool === 'fleet').sort((a, b) => a.tasks - b.tasks || a.n - b.n || a.phase.localeCompare(b.phase));
  const out = fleet.map((r) => [
    String(r.n),
    String(r.tasks),
    r.failedRuns ? `${r.phase} (${r.failedRuns}/${r.runs} FAILED)` : r.phase,
    range(r.wall),
    fmt(r.cpuS),
    fmt((r.cpuS * 1000) / r.n),
    fmt(r.peakPssMiB),
    rtCell(r.rt),
    fmt(r.hostCpuMs),
  ]);
  return renderTable(headers, out, format);
}

/** Where fleet's time goes, per host (medians over hosts and runs), from --json timings. */
export function profileTable(rows: Row[], format: 'text' | 'md'): string {
  const headers = ['N', 'tasks', 'phase', 'connect ms', 'render ms', 'probe ms', 'plan ms', 'apply ms', 'wall s', 'ctrl CPU ms/host', 'host CPU ms/host'];
  const fleet = rows.filter((r) => r.tool === 'fleet' && r.timings).sort((a, b) => a.tasks - b.tasks || a.n - b.n || a.phase.localeCompare(b.phase));
  const out = fleet.map((r) => [
    String(r.n),
    String(r.tasks),
    r.phase,
    fmt(r.timings!.connectMs),
    fmt(r.timings!.renderMs),
    fmt(r.timings!.probeMs),
    fmt(r.timings!.planMs),
    fmt(r.timings!.applyMs),
    fmt(r.wall.med),
    fmt((r.cpuS * 1000) / r.n),
    fmt(r.hostCpuMs),
  ]);
  return renderTable(headers, out, format);
}

/** fleet's run with the login taken out: the no-change run's host CPU minus the login and a
 * bare `true` (both measured in the same run, on the same hosts), next to the probe's own exec
 * and the minimal probe (stat, sha256sum and dpkg-query once each over the same resources). */
export function hostCpuTable(rows: Row[], format: 'text' | 'md'): string {
  const headers = ['N', 'tasks', 'login ms', 'bare `true` ms', 'fleet no-change run ms (login and `true` taken out)', 'fleet probe exec ms (`true` taken out)', 'minimal probe ms (`true` taken out)', 'fleet probe / minimal'];
  const out: string[][] = [];
  for (const f of rows.filter((r) => r.tool === 'floor' && r.execCpu).sort((a, b) => a.tasks - b.tasks || a.n - b.n)) {
    const e = f.execCpu!;
    const nc = find(rows, 'fleet', f.n, f.tasks, 'no-change');
    out.push([
      String(f.n),
      String(f.tasks),
      fmt(e.login),
      fmt(e.bare),
      nc ? fmt(nc.hostCpuMs - e.login - e.bare) : '',
      fmt(e.probe),
      fmt(e.minimal),
      ratio(e.probe, e.minimal),
    ]);
  }
  return renderTable(headers, out, format);
}

/** The issue-15 host CPU targets: a no-change run without its login, 40 and 1000 tasks. */
export function hostCpuTargetLines(rows: Row[]): string[] {
  const lines: string[] = [];
  for (const [tasks, limit] of [[40, 60], [1000, 400]] as const) {
    for (const f of rows.filter((r) => r.tool === 'floor' && r.tasks === tasks && r.execCpu)) {
      const nc = find(rows, 'fleet', f.n, tasks, 'no-change');
      if (!nc) continue;
      const v = nc.hostCpuMs - f.execCpu!.login - f.execCpu!.bare;
      lines.push(`host CPU per host, no-change run of ${tasks} tasks, login and a bare \`true\` taken out, at most ${limit} ms (N=${f.n}): ${fmt(v)} ms, ${v <= limit ? 'met' : `NOT met (${ratio(v, limit)} of the target)`}`);
    }
  }
  return lines;
}

/** How wall time and CPU grow: against the smallest N (40 tasks) and against 40 tasks. */
export function growthLines(rows: Row[]): string[] {
  const lines: string[] = [];
  const fleet = rows.filter((r) => r.tool === 'fleet');
  for (const phase of PHASES) {
    const byN = fleet.filter((r) => r.tasks === 40 && r.phase === phase).sort((a, b) => a.n - b.n);
    if (byN.length > 1) {
      const b = byN[0];
      lines.push(`fleet ${phase}, 40 tasks, wall by N: ${byN.map((r) => `N=${r.n} ${fmt(r.wall.med)} s (${ratio(r.wall.med, b.wall.med)})`).join(', ')}`);
      lines.push(`fleet ${phase}, 40 tasks, controller CPU by N: ${byN.map((r) => `N=${r.n} ${fmt(r.cpuS)} s (${ratio(r.cpuS, b.cpuS)})`).join(', ')}`);
    }
    const ns = [...new Set(fleet.filter((r) => r.tasks !== 40).map((r) => r.n))];
    for (const n of ns) {
      const byT = fleet.filter((r) => r.n === n && r.phase === phase).sort((a, b) => a.tasks - b.tasks);
      if (byT.length > 1) {
        const b = byT[0];
        lines.push(`fleet ${phase}, N=${n}, wall by tasks: ${byT.map((r) => `${r.tasks} ${fmt(r.wall.med)} s (${ratio(r.wall.med, b.wall.med)})`).join(', ')}`);
        lines.push(`fleet ${phase}, N=${n}, controller CPU by tasks: ${byT.map((r) => `${r.tasks} ${fmt(r.cpuS)} s (${ratio(r.cpuS, b.cpuS)})`).join(', ')}`);
      }
    }
  }
  return lines;
}

/** The issue's targets, reported (never asserted) for the largest N compared. */
export function targetLines(rows: Row[], hosts: number[]): string[] {
  const lines: string[] = [];
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const n = Math.max(...hosts);
  const nc = find(rows, 'fleet', n, 40, 'no-change');
  const first = find(rows, 'fleet', n, 40, 'first');
  const floor = find(rows, 'floor', n, 40, 'no-change');
  const ansNc = find(rows, 'ansible', n, 40, 'no-change');
  const ansFirst = find(rows, 'ansible', n, 40, 'first');
  const all = rows.filter((r) => r.tool === 'fleet' && r.phase === 'no-change' && r.tasks === 40);
  if (all.length) {
    const ok = all.every((r) => r.rt.min === 1 && r.rt.max === 1);
    lines.push(`no-change run: exactly 1 round trip per host after connecting (every N): ${mark(ok)}`);
  }
  // Issue 15: a no-change run at N = 1 within 1.2x of the floor, in wall time and in the controller's CPU.
  if (nc && floor) lines.push(`no-change at N=${n} within 1.2x of the floor's wall: ${ratio(nc.wall.med, floor.wall.med)}, ${mark(nc.wall.med <= 1.2 * floor.wall.med)}`);
  if (nc && floor) lines.push(`no-change at N=${n} within 1.2x of the floor's controller CPU: ${ratio(nc.cpuS, floor.cpuS)}, ${mark(nc.cpuS <= 1.2 * floor.cpuS)}`);
  if (nc && ansNc) lines.push(`no-change at N=${n} at least 100x faster than ansible-playbook: ${ratio(ansNc.wall.med, nc.wall.med)}, ${mark(ansNc.wall.med >= 100 * nc.wall.med)}`);
  if (first && ansFirst) lines.push(`first run at N=${n} at least 30x faster: ${ratio(ansFirst.wall.med, first.wall.med)}, ${mark(ansFirst.wall.med >= 30 * first.wall.med)}`);
  const peak = Math.max(...rows.filter((r) => r.tool === 'fleet' && r.tasks === 40 && r.n === n).map((r) => r.peakPssMiB));
  if (Number.isFinite(peak)) lines.push(`controller peak memory at N=${n} under 150 MB: ${fmt(peak * 1.048576)} MB PSS, ${mark(peak * 1.048576 < 150)}`);
  // Issue 15: a first run of 40 tasks in at most 3 round trips and 1.2 s of host CPU per host
  // (the no-change run's host CPU target, without the login, is hostCpuTargetLines').
  if (first) lines.push(`first run of 40 tasks at N=${n}: at most 3 round trips per host: ${first.rt.max}, ${mark(first.rt.max <= 3)}`);
  if (first) lines.push(`first run of 40 tasks at N=${n}: host CPU per host at most 1200 ms: ${fmt(first.hostCpuMs)} ms, ${mark(first.hostCpuMs <= 1200)}`);
  const byN = all.sort((a, b) => a.n - b.n);
  if (byN.length > 1) {
    const g = byN[byN.length - 1].wall.med / byN[0].wall.med;
    lines.push(`no-change wall nearly flat from N=${byN[0].n} to N=${byN[byN.length - 1].n}: ${fmt(g)}x`);
  }
  return lines;
}

/** 0 when every run succeeded and fleet's no-change runs changed nothing in exactly one round
 * trip per host; 1 otherwise (the quick mode's verdict in CI). */
export function benchExitCode(samples: Sample[]): number {
  const bad = samples.some((s) => !s.ok);
  const nc = samples.filter((s) => s.tool === 'fleet' && s.phase === 'no-change');
  const oneRt =
    nc.length > 0 &&
    nc.every((s) => s.rtPerHost.length === s.n && s.rtPerHost.every((r) => r === 1) && s.changedPerHost.every((c) => c === 0));
  return bad || !oneRt ? 1 : 0;
}
