// Entry point of the floor client, run as its own process so the benchmark measures its
// wall time, CPU and memory exactly as it measures fleet's and Ansible's.
// usage: node floor-main.js [--cgroup=CG --minimal=FILE --repeat=R] KEY_FILE KNOWN_HOSTS PROBE_SCRIPT NAME=ADDRESS...
// With --cgroup, after the probe each connection runs, R times in turn, a bare `true`, the
// probe again and the minimal probe (FILE), and reports the host CPU of each exec: the login
// is paid once per connection, so these are what the scripts cost the host on their own.
import { readFileSync } from 'node:fs';
import { runFloor, type CpuMeter } from './floor.js';
import { hostCpuUsec, startHostCpu } from './hostcpu.js';

const argv = process.argv.slice(2);
const flags = new Map(argv.filter((a) => a.startsWith('--')).map((a) => [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
const [keyFile, knownHosts, probeFile, ...specs] = argv.filter((a) => !a.startsWith('--'));
if (!keyFile || !knownHosts || !probeFile || specs.length === 0) {
  process.stderr.write('usage: floor-main [--cgroup=CG --minimal=FILE --repeat=R] KEY_FILE KNOWN_HOSTS PROBE_SCRIPT NAME=ADDRESS...\n');
  process.exit(64);
}
const hosts = specs.map((s) => {
  const [name, target] = s.split('=');
  const [address, port] = target.split(':');
  return { name, address, port: port ? Number(port) : undefined };
});
const probe = readFileSync(probeFile, 'utf8');
const cg = flags.get('cgroup');
let meter: CpuMeter | undefined;
const extra: { label: string; script: string }[] = [];
if (cg) {
  const idle = await startHostCpu(cg, hosts.map((h) => h.name));
  meter = { usec: (h) => hostCpuUsec(cg, h), idleRate: (h) => idle.idle.get(h) ?? 0 };
  const minimal = flags.get('minimal') ? readFileSync(flags.get('minimal')!, 'utf8') : undefined;
  const repeat = Number(flags.get('repeat') ?? 5);
  for (let i = 0; i < repeat; i++) {
    extra.push({ label: 'bare', script: 'true\n' }, { label: 'probe', script: probe });
    if (minimal) extra.push({ label: 'minimal', script: minimal });
  }
}
// FLOOR_CONCURRENCY: at most this many hosts at once (default: all at once).
const limit = Number(process.env.FLOOR_CONCURRENCY) || hosts.length;
const results = await runFloor(hosts, keyFile, knownHosts, probe, extra, meter, limit);
process.stdout.write(JSON.stringify(results) + '\n');
process.exit(results.every((r) => r.rc === 0 && (r.execs ?? []).every((e) => e.rc === 0)) ? 0 : 1);
