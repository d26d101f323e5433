// `npm run bench`: fleet against ansible-playbook on the same lab hosts, the same workload,
// in the same run, alternating the tools, each from pristine hosts; then fleet alone at more
// hosts and more tasks. Prints the tables; --json/--markdown keep them.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labInstance, labUp, type LabOptions } from '../src/lab/index.js';
import { ANSIBLE_SETTINGS, ansibleVersion, ensureAnsible, writeAnsibleSetup } from './ansible-run.js';
import { parseArgs, type BenchArgs } from './args.js';
import { writeBenchInventory } from './inventory.js';
import { ensureGnuTime } from './measure.js';
import { aggregate, benchExitCode, comparisonTable, growthLines, hostCpuTable, hostCpuTargetLines, profileTable, scalingTable, targetLines } from './report.js';
import { ansiblePair, compareStates, fleetPair, type Context, type Sample } from './runner.js';
import { writeFleetVariant } from './variants.js';
import { lightMachine, lightScale, lightTable } from './light.js';
import { siteBench, siteTable } from './site.js';

const projectDir = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const log = (m: string): void => {
  process.stderr.write(`${m}\n`);
};

function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}

async function main(args: BenchArgs): Promise<number> {
  if (!existsSync(join(projectDir, 'dist', 'fleet.cjs'))) {
    throw new Error('dist/fleet.cjs is missing: run `npm run build` first (npm run bench does)');
  }
  if (args.light) return lightMain(args);
  if (args.workload === 'ansible-roles') return rolesMain(args);
  if (args.workload === 'site') return siteMain(args);
  const machineAtStart = machine();
  ensureGnuTime();
  const ansibleBin = args.skipAnsible ? undefined : ensureAnsible(log);
  const workDir = mkdtempSync(join(tmpdir(), 'fleet-bench-'));
  const maxN = Math.max(...args.hosts, ...args.scale, args.tasks.length ? args.tasksHosts : 0);
  log(`bench: bringing up the lab with ${maxN} host(s)`);
  const labOpts: LabOptions = args.lab ? { instance: args.lab } : {};
  const cgroupName = labInstance(labOpts.instance).cgroupName;
  const lab = await labUp(maxN, { ...labOpts, onProgress: log });
  const fleetPlaybook = join(projectDir, 'bench', 'fleet', 'site.yml');
  const ansiblePlaybook = join(projectDir, 'bench', 'ansible', 'site.yml');
  const samples: Sample[] = [];
  // Every sample is kept as soon as it exists, so an interrupted benchmark still leaves data.
  const keep = (got: Sample[]): void => {
    samples.push(...got);
    if (args.json) writeFileSync(args.json, JSON.stringify({ partial: true, args, samples }, null, 2) + '\n');
  };

  // Comparison: per N, per run, both tools (order alternating), each from pristine hosts.
  for (const n of args.hosts) {
    const inv = writeBenchInventory(workDir, lab, n);
    const ctx: Context = { projectDir, workDir, inv, tasks: 40, log, lab: labOpts, cgroupName };
    const setup = ansibleBin ? writeAnsibleSetup(workDir, inv) : undefined;
    for (let run = 1; run <= args.runs; run++) {
      const fleetFirst = run % 2 === 1;
      if (fleetFirst) keep(await fleetPair(ctx, fleetPlaybook, run, true));
      if (ansibleBin && setup) keep(await ansiblePair(ctx, ansibleBin, setup, ansiblePlaybook, run));
      if (!fleetFirst) keep(await fleetPair(ctx, fleetPlaybook, run, true));
    }
  }
  // Scaling, fleet alone: more hosts, then more tasks.
  for (const n of args.scale) {
    const ctx: Context = { projectDir, workDir, inv: writeBenchInventory(workDir, lab, n), tasks: 40, log, lab: labOpts, cgroupName };
    for (let run = 1; run <= args.runs; run++) keep(await fleetPair(ctx, fleetPlaybook, run, true));
  }
  for (const tasks of args.tasks.filter((t) => t !== 40 || !args.hosts.includes(args.tasksHosts))) {
    const ctx: Context = { projectDir, workDir, inv: writeBenchInventory(workDir, lab, args.tasksHosts), tasks, log, lab: labOpts, cgroupName };
    const playbook = tasks === 40 ? fleetPlaybook : writeFleetVariant(projectDir, workDir, tasks);
    for (let run = 1; run <= args.runs; run++) keep(await fleetPair(ctx, playbook, run, true));
  }

  compareStates(samples);
  const rows = aggregate(samples);
  const header = [
    `fleet benchmark: ${new Date().toISOString()}`,
    `machine: ${machineAtStart}; all hosts on this machine (systemd-nspawn lab hosts)`,
    `load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on the machine skews every figure)`,
    `workload: 40 tasks (10 directories, 10 line edits + handler, 5 templates, 5 copies, 5 packages present, 5 commands with creates)`,
    ansibleBin ? `ansible-core ${ansibleVersion(ansibleBin)}: ${ANSIBLE_SETTINGS.join('; ')}` : 'ansible: skipped',
    `runs per cell: ${args.runs}; command: npm run bench -- ${process.argv.slice(2).join(' ')}`.trimEnd(),
  ];
  const text = [
    ...header,
    '',
    comparisonTable(rows, args.hosts, 'text'),
    'fleet scaling (fleet alone):',
    scalingTable(rows, 'text'),
    'fleet profile (per host, medians; from fleet --json host timings):',
    profileTable(rows, 'text'),
    'host CPU per host, login taken out (medians; each exec measured alone on an open connection):',
    hostCpuTable(rows, 'text'),
    ...growthLines(rows),
    '',
    'targets (reported, not asserted):',
    ...[...targetLines(rows, args.hosts), ...hostCpuTargetLines(rows)].map((l) => `  ${l}`),
  ].join('\n');
  process.stdout.write(text + '\n');
  const failures = samples.filter((s) => !s.ok);
  if (failures.length) {
    process.stdout.write(`\n${failures.length} run(s) had problems:\n`);
    for (const s of failures) process.stdout.write(`  ${s.tool} N=${s.n} tasks=${s.tasks} ${s.phase} run ${s.run}: ${s.problems.join('; ')}\n`);
  }
  if (args.markdown) {
    const md = [
      ...header.map((h) => `${h}  `),
      '',
      comparisonTable(rows, args.hosts, 'md'),
      '**fleet scaling (fleet alone)**',
      '',
      scalingTable(rows, 'md'),
      '**fleet profile** (per host, medians, from `fleet --json` host timings)',
      '',
      profileTable(rows, 'md'),
      '**host CPU per host, login taken out** (medians; each exec measured alone on an open connection)',
      '',
      hostCpuTable(rows, 'md'),
      ...growthLines(rows).map((l) => `- ${l}`),
      '',
      '**targets** (reported, not asserted)',
      '',
      ...[...targetLines(rows, args.hosts), ...hostCpuTargetLines(rows)].map((l) => `- ${l}`),
    ].join('\n');
    writeFileSync(args.markdown, md + '\n');
  }
  if (args.json) writeFileSync(args.json, JSON.stringify({ header, args, samples, rows }, null, 2) + '\n');
  rmSync(workDir, { recursive: true, force: true });
  return benchExitCode(samples);
}

/** --workload ansible-roles: fleet and ansible-playbook on the same Ansible playbook and roles
 * (bench/ansible-roles/site.yml), per N and run, alternating, from pristine hosts. */
async function rolesMain(args: BenchArgs): Promise<number> {
  const machineAtStart = machine();
  ensureGnuTime();
  const ansibleBin = args.skipAnsible ? undefined : ensureAnsible(log);
  const workDir = mkdtempSync(join(tmpdir(), 'fleet-bench-'));
  const labOpts: LabOptions = args.lab ? { instance: args.lab } : {};
  const cgroupName = labInstance(labOpts.instance).cgroupName;
  const lab = await labUp(Math.max(...args.hosts), { ...labOpts, onProgress: log });
  const playbook = join(projectDir, 'bench', 'ansible-roles', 'site.yml');
  // Ansible is given the roles and its facts (the roles read ansible_os_family); fleet reads
  // ansible.cfg beside the playbook and always gathers its facts in its first round trip.
  const ansibleEnv = { ANSIBLE_ROLES_PATH: join(projectDir, 'test', 'fixtures', 'ansible', 'roles'), ANSIBLE_GATHERING: 'implicit' };
  const samples: Sample[] = [];
  for (const n of args.hosts) {
    const inv = writeBenchInventory(workDir, lab, n);
    const ctx: Context = { projectDir, workDir, inv, tasks: ROLES_TASKS, log, lab: labOpts, cgroupName, ansibleEnv };
    const setup = ansibleBin ? writeAnsibleSetup(workDir, inv) : undefined;
    for (let run = 1; run <= args.runs; run++) {
      const fleetFirst = run % 2 === 1;
      if (fleetFirst) samples.push(...(await fleetPair(ctx, playbook, run, false)));
      if (ansibleBin && setup) samples.push(...(await ansiblePair(ctx, ansibleBin, setup, playbook, run)));
      if (!fleetFirst) samples.push(...(await fleetPair(ctx, playbook, run, false)));
    }
  }
  const rows = aggregate(samples);
  const header = [
    `fleet benchmark, workload ansible-roles: ${new Date().toISOString()}`,
    `machine: ${machineAtStart}; all hosts on this machine (systemd-nspawn lab hosts)`,
    `load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on the machine skews every figure)`,
    'workload: bench/ansible-roles/site.yml, unchanged Ansible roles geerlingguy.memcached and geerlingguy.apache-php-fpm (+ its meta dependency geerlingguy.apache), packages from the lab apt proxy',
    ansibleBin ? `ansible-core ${ansibleVersion(ansibleBin)}: ${[...ANSIBLE_SETTINGS.filter((s) => !s.startsWith('gathering')), 'gathering = implicit (the roles read facts)'].join('; ')}` : 'ansible: skipped',
    `runs per cell: ${args.runs}; command: npm run bench -- ${process.argv.slice(2).join(' ')}`.trimEnd(),
  ];
  const text = [...header, '', comparisonTable(rows, args.hosts, 'text', ROLES_TASKS)].join('\n');
  process.stdout.write(text + '\n');
  const failures = samples.filter((s) => !s.ok);
  for (const s of failures) process.stdout.write(`  ${s.tool} N=${s.n} ${s.phase} run ${s.run}: ${s.problems.join('; ')}\n`);
  if (args.markdown) writeFileSync(args.markdown, [...header.map((h) => `${h}  `), '', comparisonTable(rows, args.hosts, 'md', ROLES_TASKS)].join('\n') + '\n');
  if (args.json) writeFileSync(args.json, JSON.stringify({ header, args, samples, rows }, null, 2) + '\n');
  rmSync(workDir, { recursive: true, force: true });
  return benchExitCode(samples);
}
/** The task count the rows of the roles workload carry (not a count: a key of its own). */
const ROLES_TASKS = 0;

/** Prints a report and keeps it as --markdown/--json ask; removes the work directory. Exit 0
 * only when every row succeeded. */
function finishReport(args: BenchArgs, workDir: string, text: string, rows: { problems: string[] }[]): number {
  process.stdout.write(text + '\n');
  if (args.markdown) writeFileSync(args.markdown, text + '\n');
  if (args.json) writeFileSync(args.json, JSON.stringify({ args, rows }, null, 2) + '\n');
  rmSync(workDir, { recursive: true, force: true });
  return rows.every((r) => r.problems.length === 0) ? 0 : 1;
}

/** --workload site: playbooks/site.yml on 3 fresh lab hosts, per run (bench/site.ts). */
async function siteMain(args: BenchArgs): Promise<number> {
  const machineAtStart = machine();
  ensureGnuTime();
  const workDir = mkdtempSync(join(tmpdir(), 'fleet-bench-'));
  const labOpts: LabOptions = args.lab ? { instance: args.lab } : {};
  const cgroupName = labInstance(labOpts.instance).cgroupName;
  const lab = await labUp(3, { ...labOpts, onProgress: log });
  const rows = await siteBench({ projectDir, workDir, log, lab: labOpts, cgroupName }, lab, args.runs);
  const text = [
    `fleet benchmark, workload site: ${new Date().toISOString()}`,
    `machine: ${machineAtStart}; all hosts on this machine (systemd-nspawn lab hosts)`,
    `load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on the machine skews every figure)`,
    "workload: playbooks/site.yml on 3 fresh lab hosts (1 manager, 2 workers), with the demo's inventory and with the swarm tests' settings; round trips after connecting, per host",
    '',
    siteTable(rows),
  ].join('\n');
  return finishReport(args, workDir, text, rows);
}

/** --scale N --light: fleet and the floor on light hosts (bench/light.ts). */
async function lightMain(args: BenchArgs): Promise<number> {
  ensureGnuTime();
  const machineAtStart = lightMachine();
  const workDir = mkdtempSync(join(tmpdir(), 'fleet-bench-'));
  const rows = await lightScale(projectDir, workDir, args.scale, args.lightLab, log, args.lightClone);
  const text = [
    `fleet benchmark, light hosts: ${new Date().toISOString()}`,
    `machine: ${machineAtStart}; hosts: one sshd each on 127.${args.lightLab.net2}.x.y on this same machine (fleet lab up --light)`,
    `load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on the machine skews every figure)`,
    `workload: the 40-task workload less its 5 package tasks, under each host's light_root; floor: connect + the no-change run's first script, 16 hosts at a time`,
    '',
    lightTable(rows),
  ].join('\n');
  return finishReport(args, workDir, text, rows);
}

let args: BenchArgs;
try {
  args = parseArgs();
} catch (e) {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exit(64);
}
main(args).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
