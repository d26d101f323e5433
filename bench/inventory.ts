// One inventory per host count, in Ansible's INI format, which fleet reads too: both tools
// get the very same hosts, users, key and pinned host keys (known_hosts beside the file).
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostAddress, hostName, labInstance } from '../src/lab/instance.js';

export interface BenchHost {
  name: string;
  address: string;
}

export interface BenchInventory {
  dir: string;
  file: string;
  knownHosts: string;
  keyFile: string;
  hosts: BenchHost[];
}

export function labHosts(n: number): BenchHost[] {
  const inst = labInstance();
  return Array.from({ length: n }, (_, i) => ({ name: hostName(inst, i + 1), address: hostAddress(inst, i + 1) }));
}

/** The lab pins host keys in <project>/inventory/known_hosts (CONTRACTS.md); older labs kept
 * them in the state dir. */
export function labKnownHosts(projectDir: string): string {
  const candidates = [join(projectDir, 'inventory', 'known_hosts'), labInstance().knownHostsFile];
  const found = candidates.find((f) => existsSync(f));
  if (!found) throw new Error(`no lab known_hosts found (looked in ${candidates.join(', ')}): is the lab up?`);
  return found;
}

export function iniInventory(hosts: BenchHost[], keyFile: string): string {
  const lines = ['# Written by the benchmark (bench/inventory.ts) for one host count; read by fleet and Ansible.', '[bench]'];
  for (const h of hosts) {
    lines.push(`${h.name} ansible_host=${h.address} ansible_user=root ansible_ssh_private_key_file=${keyFile}`);
  }
  return lines.join('\n') + '\n';
}

export function writeBenchInventory(baseDir: string, n: number, projectDir: string): BenchInventory {
  const dir = join(baseDir, `inventory-${n}`);
  mkdirSync(dir, { recursive: true });
  const keyFile = labInstance().keyFile;
  const hosts = labHosts(n);
  const file = join(dir, 'hosts.ini');
  writeFileSync(file, iniInventory(hosts, keyFile));
  const knownHosts = join(dir, 'known_hosts');
  copyFileSync(labKnownHosts(projectDir), knownHosts);
  return { dir, file, knownHosts, keyFile, hosts };
}
