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
  const [name, address] = s.split('=');
  return { name, address };
});
const results = await runFloor(hosts, keyFile, knownHosts, readFileSync(probeFile, 'utf8'));
process.stdout.write(JSON.stringify(results) + '\n');
process.exit(results.every((r) => r.rc === 0) ? 0 : 1);
