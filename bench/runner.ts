// One measured sample per tool and phase: reset the hosts to pristine, run the tool twice
// (first run: everything changes; second run: nothing does), and the floor on the converged
// hosts. Every sample says whether it succeeded and why not.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { labExec, resetHosts as labResetHosts, type LabOptions } from '../src/lab/index.js';
import { runAnsible, type AnsibleSetup } from './ansible-run.js';
import { runFleet } from './fleet-run.js';
import type { FloorHostResult } from './floor.js';
import { startHostCpu, stopHostCpu } from './hostcpu.js';
import type { BenchInventory } from './inventory.js';
import { measure } from './measure.js';
import { minimalProbeScript, stateCommand } from './workload.js';
import { median } from './stats.js';
import { writeFileSync } from 'node:fs';

export type Tool = 'fleet' | 'ansible' | 'floor';
export type Phase = 'first' | 'no-change';

export interface Timings {
  connectMs: number;
  probeMs: number;
  planMs: number;
  applyMs: number;
  renderMs: number;
}

export interface Sample {
  tool: Tool;
  n: number;
  tasks: number;
  phase: Phase;
  run: number;
  ok: boolean;
  problems: string[];
  wallS: number;
  cpuS: number;
  maxRssMiB: number;
  peakPssMiB: number;
  changedPerHost: number[];
  /** Exec round trips after connecting (fleet, floor), SSH sessions (Ansible). */
  rtPerHost: number[];
  hostCpuMs: number[];
  timings?: Timings[];
  /** What the run left on the first host (40-task workload only), to compare the tools. */
  state?: string;
  /** Floor only: host CPU ms of single execs over an open connection, one median per host. */
  execCpu?: ExecCpuSample;
}

/** Per host (medians of the repeats): `bare` a `true`; `probe` fleet's probe script and
 * `minimal` the minimal probe, both with `bare` subtracted; `login` the first exec's host CPU
 * from before connecting (login + probe) minus the probe's own exec. */
export interface ExecCpuSample {
  bare: number[];
  probe: number[];
  minimal: number[];
  login: number[];
}

export interface Context {
  projectDir: string;
  workDir: string;
  inv: BenchInventory;
  tasks: number;
  log: (m: string) => void;
  /** Which lab instance (default: the shared lab) and its cgroup directory name. */
  lab: LabOptions;
  cgroupName: string;
  /** More environment for ansible-playbook (--workload ansible-roles: roles_path, facts). */
  ansibleEnv?: NodeJS.ProcessEnv;
}

/** Resets the hosts, booted side by side under one hold of the lab's lock. */
export async function resetHosts(names: string[], lab: LabOptions): Promise<void> {
  await labResetHosts(names, lab);
  // ssh answers before boot is over; wait for systemd to settle so boot work is not billed
  // to the tool measured next ("degraded" is fine: it only means some unit failed to start).
  await Promise.all(names.map((h) => labExec(h, 'timeout 60 systemctl is-system-running --wait >/dev/null 2>&1; true', lab)));
}

function base(ctx: Context, tool: Tool, phase: Phase, run: number): Omit<Sample, 'wallS' | 'cpuS' | 'maxRssMiB' | 'peakPssMiB'> {
  return { tool, n: ctx.inv.hosts.length, tasks: ctx.tasks, phase, run, ok: true, problems: [], changedPerHost: [], rtPerHost: [], hostCpuMs: [] };
}

function judge(s: Sample): Sample {
  if (s.phase === 'no-change' && s.changedPerHost.some((c) => c > 0)) s.problems.push(`changed ${Math.max(...s.changedPerHost)} task(s) on a host in the no-change run`);
  if (s.phase === 'first' && s.tool !== 'floor' && s.changedPerHost.some((c) => c === 0)) s.problems.push('a host changed nothing in the first run: were the hosts pristine?');
  s.ok = s.problems.length === 0;
  return s;
}

export async function fleetSample(ctx: Context, playbook: string, phase: Phase, run: number, dumpProbe?: string): Promise<Sample> {
  const names = ctx.inv.hosts.map((h) => h.name);
  const meter = await startHostCpu(ctx.cgroupName, names);
  const r = await runFleet(ctx.projectDir, ctx.inv, playbook, 'apply', dumpProbe ? { FLEET_DUMP_PROBE: dumpProbe } : {});
  const hostCpuMs = stopHostCpu(meter);
  const s: Sample = { ...base(ctx, 'fleet', phase, run), wallS: r.m.wallS, cpuS: r.m.cpuS, maxRssMiB: r.m.maxRssMiB, peakPssMiB: r.m.peakPssMiB, hostCpuMs };
  if (r.m.rc !== 0) s.problems.push(`fleet exited ${r.m.rc}: ${lastLines(r.m.stderr || r.m.stdout)}`);
  if (!r.recap) s.problems.push('no recap event in --json output');
  for (const f of r.recap?.failures ?? []) s.problems.push(`${f.host}: ${f.task}: ${f.msg}`);
  const byHost = new Map(r.hosts.map((h) => [h.host, h]));
  for (const name of names) {
    const h = byHost.get(name);
    if (!h) {
      s.problems.push(`${name}: no host event`);
      continue;
    }
    s.rtPerHost.push(h.roundTrips);
    if (h.timings) (s.timings ??= []).push(h.timings);
    s.changedPerHost.push(r.recap?.hosts[name]?.changed ?? NaN);
  }
  return judge(s);
}

export async function ansibleSample(ctx: Context, bin: string, setup: AnsibleSetup, playbook: string, phase: Phase, run: number): Promise<Sample> {
  const names = ctx.inv.hosts.map((h) => h.name);
  const meter = await startHostCpu(ctx.cgroupName, names);
  const r = await runAnsible(bin, setup, ctx.inv, playbook, ctx.projectDir, ctx.ansibleEnv);
  const hostCpuMs = stopHostCpu(meter);
  const s: Sample = { ...base(ctx, 'ansible', phase, run), wallS: r.m.wallS, cpuS: r.m.cpuS, maxRssMiB: r.m.maxRssMiB, peakPssMiB: r.m.peakPssMiB, hostCpuMs };
  if (r.m.rc !== 0) s.problems.push(`ansible-playbook exited ${r.m.rc}: ${lastLines(r.m.stdout + r.m.stderr, 12)}`);
  for (const name of names) {
    const rc = r.recap.get(name);
    if (!rc) {
      s.problems.push(`${name}: missing from PLAY RECAP`);
      continue;
    }
    if (rc.failed || rc.unreachable) s.problems.push(`${name}: failed=${rc.failed} unreachable=${rc.unreachable}`);
    s.changedPerHost.push(rc.changed);
    s.rtPerHost.push(r.sessions.get(name) ?? NaN);
  }
  return judge(s);
}

/** The bare ssh2 client on the converged hosts, with the probe text fleet sent. */
export async function floorSample(ctx: Context, probeFile: string, run: number): Promise<Sample> {
  const names = ctx.inv.hosts.map((h) => h.name);
  const main = join(ctx.projectDir, 'dist-bench', 'bench', 'floor-main.js');
  const meter = await startHostCpu(ctx.cgroupName, names);
  const m = await measure(process.execPath, [main, ctx.inv.keyFile, ctx.inv.knownHosts, probeFile, ...ctx.inv.hosts.map((h) => `${h.name}=${h.address}`)], {
    cwd: ctx.projectDir,
  });
  const hostCpuMs = stopHostCpu(meter);
  const s: Sample = { ...base(ctx, 'floor', 'no-change', run), wallS: m.wallS, cpuS: m.cpuS, maxRssMiB: m.maxRssMiB, peakPssMiB: m.peakPssMiB, hostCpuMs };
  try {
    const results = JSON.parse(m.stdout) as { name: string; rc: number; connectMs: number; error?: string }[];
    for (const r of results) {
      if (r.rc !== 0) s.problems.push(`${r.name}: floor probe rc ${r.rc}${r.error ? `: ${r.error}` : ''}`);
      s.rtPerHost.push(1);
      s.changedPerHost.push(0);
      (s.timings ??= []).push({ connectMs: r.connectMs, probeMs: NaN, planMs: NaN, applyMs: NaN, renderMs: NaN });
    }
  } catch {
    s.problems.push(`floor client output unreadable (rc ${m.rc}): ${lastLines(m.stderr || m.stdout)}`);
  }
  try {
    s.execCpu = await execCpuSample(ctx, probeFile, main);
  } catch (e) {
    s.problems.push(`host CPU per exec: ${(e as Error).message}`);
  }
  return judge(s);
}

/** A second floor process, not timed (it first watches the idle hosts for a second): over one
 * connection per host, `true`, fleet's probe and the minimal probe, five times in turn, each
 * exec's host CPU read from the host's cgroup around it. */
async function execCpuSample(ctx: Context, probeFile: string, main: string): Promise<ExecCpuSample> {
  const minimalFile = join(ctx.workDir, `minimal-${ctx.tasks}.sh`);
  writeFileSync(minimalFile, minimalProbeScript(ctx.tasks));
  const m = await measure(
    process.execPath,
    [main, `--cgroup=${ctx.cgroupName}`, `--minimal=${minimalFile}`, '--repeat=5', ctx.inv.keyFile, ctx.inv.knownHosts, probeFile, ...ctx.inv.hosts.map((h) => `${h.name}=${h.address}`)],
    { cwd: ctx.projectDir },
  );
  if (m.rc !== 0) throw new Error(`floor client exited ${m.rc}: ${lastLines(m.stderr || m.stdout)}`);
  const results = JSON.parse(m.stdout) as FloorHostResult[];
  const out: ExecCpuSample = { bare: [], probe: [], minimal: [], login: [] };
  for (const r of results) {
    const of = (label: string) => median((r.execs ?? []).filter((e) => e.label === label).map((e) => e.hostCpuMs));
    const bare = of('bare');
    const probe = of('probe');
    out.bare.push(bare);
    out.probe.push(probe - bare);
    out.minimal.push(of('minimal') - bare);
    out.login.push((r.firstHostCpuMs ?? NaN) - probe);
  }
  return out;
}

/** One fleet first+no-change pair on pristine hosts, plus the floor right after. */
export async function fleetPair(ctx: Context, playbook: string, run: number, withFloor: boolean): Promise<Sample[]> {
  ctx.log(`  fleet N=${ctx.inv.hosts.length} tasks=${ctx.tasks} run ${run}: resetting hosts`);
  await resetHosts(ctx.inv.hosts.map((h) => h.name), ctx.lab);
  const out: Sample[] = [];
  out.push(await fleetSample(ctx, playbook, 'first', run));
  const probeFile = join(ctx.workDir, `probe-${ctx.inv.hosts.length}-${ctx.tasks}.sh`);
  rmSync(probeFile, { force: true });
  out.push(await fleetSample(ctx, playbook, 'no-change', run, probeFile));
  if (ctx.tasks === 40) out[1].state = await hostState(ctx);
  if (withFloor) {
    if (existsSync(probeFile) && readFileSync(probeFile, 'utf8').length > 0) out.push(await floorSample(ctx, probeFile, run));
    else ctx.log('  floor skipped: fleet did not write its probe script (FLEET_DUMP_PROBE)');
  }
  for (const s of out) ctx.log(`    ${describe(s)}`);
  return out;
}

export async function ansiblePair(ctx: Context, bin: string, setup: AnsibleSetup, playbook: string, run: number): Promise<Sample[]> {
  ctx.log(`  ansible N=${ctx.inv.hosts.length} run ${run}: resetting hosts`);
  await resetHosts(ctx.inv.hosts.map((h) => h.name), ctx.lab);
  await ensurePythonApt(ctx);
  const out = [await ansibleSample(ctx, bin, setup, playbook, 'first', run)];
  out.push(await ansibleSample(ctx, bin, setup, playbook, 'no-change', run));
  out[1].state = await hostState(ctx);
  for (const s of out) ctx.log(`    ${describe(s)}`);
  return out;
}

/** Ansible's apt module needs python3-apt on the host and, when it is missing, installs it
 * itself inside the first timed run. Real Debian servers usually have it; so it is installed
 * here, untimed, when the lab's base image lacks it. */
export async function ensurePythonApt(ctx: Context): Promise<void> {
  const cmd = 'dpkg-query -W -f=\'${Status}\' python3-apt 2>/dev/null | grep -q "ok installed" || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-apt';
  const results = await Promise.all(ctx.inv.hosts.map((h) => labExec(h.name, cmd, ctx.lab)));
  const bad = results.findIndex((r) => r.rc !== 0);
  if (bad >= 0) throw new Error(`installing python3-apt (untimed, for Ansible's apt module) on ${ctx.inv.hosts[bad].name} failed: ${results[bad].stderr.trim()}`);
}

/** Type, mode, owner and content of every managed path on the first host. */
export async function hostState(ctx: Context): Promise<string> {
  const r = await labExec(ctx.inv.hosts[0].name, stateCommand(), ctx.lab);
  return r.rc === 0 ? r.stdout : `unreadable (rc ${r.rc}): ${r.stderr.trim()}`;
}

/** Both tools must leave the same state: flags the Ansible sample of a run when they did not. */
export function compareStates(samples: Sample[]): void {
  for (const a of samples.filter((s) => s.tool === 'ansible' && s.state !== undefined)) {
    const f = samples.find((s) => s.tool === 'fleet' && s.state !== undefined && s.n === a.n && s.run === a.run && s.tasks === a.tasks);
    if (!f || f.state === a.state) continue;
    const fl = f.state!.split('\n');
    const al = a.state!.split('\n');
    const diff = fl.map((l, i) => (l === al[i] ? '' : `fleet "${l}" vs ansible "${al[i] ?? ''}"`)).filter(Boolean);
    a.problems.push(`the tools left different states on ${a.n === 1 ? 'the host' : 'the first host'}: ${diff.slice(0, 3).join('; ')}`);
    a.ok = false;
  }
}

function describe(s: Sample): string {
  const state = s.ok ? 'ok' : `PROBLEM: ${s.problems.slice(0, 3).join('; ')}`;
  return `${s.tool} ${s.phase}: ${s.wallS.toFixed(2)} s wall, ${s.cpuS.toFixed(2)} s cpu, ${state}`;
}

function lastLines(text: string, n = 5): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}
