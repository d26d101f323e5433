// Entry point of the floor client, run as its own process so the benchmark measures its
// wall time, CPU and memory exactly as it measures fleet's and Ansible's.
// usage: node floor-main.js KEY_FILE KNOWN_HOSTS PROBE_SCRIPT NAME=ADDRESS...
import { readFileSync } from 'node:fs';
import { runFloor } from './floor.js';

const [keyFile, knownHosts, probeFile, ...specs] = process.argv.slice(2);
if (!keyFile || !knownHosts || !probeFile || specs.length === 0) {
  process.stderr.write('usage: floor-main KEY_FILE KNOWN_HOSTS PROBE_SCRIPT NAME=ADDRESS...\n');
  process.exit(64);
}
const hosts = specs.map((s) => {
  const [name, target] = s.split('=');
  const [address, port] = target.split(':');
  return { name, address, port: port ? Number(port) : undefined };
});
// FLOOR_CONCURRENCY: at most this many hosts at once (default: all at once).
const limit = Number(process.env.FLOOR_CONCURRENCY) || hosts.length;
const results = await runFloor(hosts, keyFile, knownHosts, readFileSync(probeFile, 'utf8'), limit);
process.stdout.write(JSON.stringify(results) + '\n');
process.exit(results.every((r) => r.rc === 0) ? 0 : 1);
