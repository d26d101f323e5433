// Flags of `npm run bench -- ...`. Usage errors say which flag and what was expected.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

export interface BenchArgs {
  hosts: number[];
  runs: number;
  quick: boolean;
  tasks: number[];
  /** Host count of the task-count scaling runs. */
  tasksHosts: number;
  /** Host counts of fleet-alone scaling runs (empty: none). */
  scale: number[];
  skipAnsible: boolean;
  json?: string;
  /** Where the results section (markdown) is written, for bench/README.md. */
  markdown?: string;
  /** A separate lab instance ("name:a.b.c.0/24"), so a benchmark leaves the shared lab alone. */
  lab?: { name: string; subnet: string };
  /** --scale on light hosts (fleet lab up --light) instead of lab hosts: fleet and floor only. */
  light: boolean;
  /** The light lab's name and second octet ("name:NET2"), so benches of different people do not share hosts. */
  lightLab: { name: string; net2: number };
  /** --light: converge host 1 only and copy its root to the others (light.ts). */
  lightClone: boolean;
  /** 'default': the 40-task workload; 'ansible-roles': bench/ansible-roles/site.yml, the vendored public roles, for both tools;
   * 'site': fleet's own playbooks/site.yml on 3 fresh lab hosts (first apply's round trips). */
  workload: 'default' | 'ansible-roles' | 'site';
}

function labSpec(v: unknown): BenchArgs['lab'] {
  if (v === undefined) return undefined;
  const m = /^([a-z][a-z0-9]{0,9}):(\d+\.\d+\.\d+\.0\/24)$/.exec(String(v));
  if (!m) throw new Error(`--lab: expected NAME:A.B.C.0/24 (e.g. bench:10.231.5.0/24), got "${String(v)}"`);
  return { name: m[1], subnet: m[2] };
}

function lightLabSpec(v: unknown): BenchArgs['lightLab'] {
  const m = /^([a-z][a-z0-9]{0,9}):(\d{1,3})$/.exec(String(v));
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 254) throw new Error(`--light-lab: expected NAME:NET2 (hosts on 127.NET2.x.y, NET2 1-254; e.g. bench:79), got "${String(v)}"`);
  return { name: m[1], net2: Number(m[2]) };
}

function intList(flag: string, v: unknown, min: number): number[] {
  const parts = String(v).split(',').map((s) => s.trim()).filter(Boolean);
  const out = parts.map(Number);
  if (out.some((n) => !Number.isInteger(n) || n < min)) {
    throw new Error(`--${flag}: expected a comma-separated list of integers >= ${min}, got "${String(v)}"`);
  }
  return out;
}

export function parseArgs(argv = hideBin(process.argv)): BenchArgs {
  const a = yargs(argv)
    .scriptName('npm run bench --')
    .option('hosts', { type: 'string', default: '1,10,50', describe: 'host counts compared against Ansible' })
    .option('runs', { type: 'number', default: 3, describe: 'runs per tool, N and phase (median, min, max)' })
    .option('quick', { type: 'boolean', default: false, describe: 'CI mode: N=2, one run, both tools, no scaling' })
    .option('tasks', { type: 'string', default: '40,200,1000', describe: 'task counts for fleet-alone scaling (multiples of 40)' })
    .option('tasks-hosts', { type: 'number', default: 10, describe: 'host count of the task-count scaling runs' })
    .option('scale', { type: 'string', default: '100', describe: 'host counts for fleet-alone scaling ("0": none)' })
    .option('skip-ansible', { type: 'boolean', default: false, describe: 'fleet and the floor only' })
    .option('json', { type: 'string', describe: 'also write every measurement to this file' })
    .option('markdown', { type: 'string', describe: 'also write the tables as markdown to this file' })
    .option('lab', { type: 'string', describe: 'use a separate lab instance NAME:A.B.C.0/24 instead of the shared lab' })
    .option('light', { type: 'boolean', default: false, describe: 'with --scale: light hosts (one sshd each on a loopback address) instead of lab hosts; fleet and the floor only' })
    .option('light-clone', { type: 'boolean', default: false, describe: 'with --light: the first run on host 1 only, its root copied to the other hosts (the no-change run still checks every host)' })
    .option('workload', { type: 'string', choices: ['default', 'ansible-roles', 'site'], default: 'default', describe: 'ansible-roles: both tools run bench/ansible-roles/site.yml (vendored public roles) instead of the 40-task workload; comparison only. site: fleet alone applies playbooks/site.yml to 3 fresh lab hosts (1 manager, 2 workers), first and no-change apply per run' })
    .option('light-lab', { type: 'string', default: 'bench:79', describe: 'with --light: the light lab NAME:NET2 (hosts on 127.NET2.x.y)' })
    .strict()
    .help()
    .parseSync();
  if (!Number.isInteger(a.runs) || a.runs < 1) throw new Error(`--runs: expected an integer >= 1, got ${a.runs}`);
  if (!Number.isInteger(a['tasks-hosts']) || a['tasks-hosts'] < 1) {
    throw new Error(`--tasks-hosts: expected an integer >= 1, got ${a['tasks-hosts']}`);
  }
  const tasks = intList('tasks', a.tasks, 40);
  if (tasks.some((t) => t % 40 !== 0)) throw new Error(`--tasks: expected multiples of 40, got "${a.tasks}"`);
  const scale = intList('scale', a.scale, 0).filter((n) => n > 0);
  if (a.light && scale.length === 0) throw new Error('--light: give the host counts with --scale (e.g. --scale 200,1000 --light)');
  if (a.quick) {
    return { workload: a.workload as BenchArgs['workload'], hosts: [2], runs: 1, quick: true, tasks: [], tasksHosts: 2, scale: [], skipAnsible: a['skip-ansible'], json: a.json, markdown: a.markdown, lab: labSpec(a.lab), light: false, lightLab: lightLabSpec(a['light-lab']), lightClone: false };
  }
  return {
    hosts: intList('hosts', a.hosts, 1),
    runs: a.runs,
    quick: false,
    tasks,
    tasksHosts: a['tasks-hosts'],
    scale,
    skipAnsible: a['skip-ansible'],
    json: a.json,
    markdown: a.markdown,
    lab: labSpec(a.lab),
    light: a.light,
    lightLab: lightLabSpec(a['light-lab']),
    lightClone: a['light-clone'],
    workload: a.workload as BenchArgs['workload'],
  };
}
