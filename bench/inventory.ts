// One inventory per host count, in Ansible's INI format, which fleet reads too: both tools
// get the very same hosts, users, key and pinned host keys (known_hosts beside the file).
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabInfo } from '../src/lab/types.js';

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

export function iniInventory(hosts: BenchHost[], keyFile: string): string {
  const lines = ['# Written by the benchmark (bench/inventory.ts) for one host count; read by fleet and Ansible.', '[bench]'];
  for (const h of hosts) {
    lines.push(`${h.name} ansible_host=${h.address} ansible_user=root ansible_ssh_private_key_file=${keyFile}`);
  }
  return lines.join('\n') + '\n';
}

/** The first n lab hosts. */
export function writeBenchInventory(baseDir: string, lab: LabInfo, n: number): BenchInventory {
  if (lab.hosts.length < n) throw new Error(`the lab has ${lab.hosts.length} hosts, the benchmark needs ${n}`);
  const dir = join(baseDir, `inventory-${n}`);
  mkdirSync(dir, { recursive: true });
  const hosts = lab.hosts.slice(0, n).map((h) => ({ name: h.name, address: h.address }));
  const file = join(dir, 'hosts.ini');
  writeFileSync(file, iniInventory(hosts, lab.keyFile));
  // fleet reads known_hosts beside the inventory; Ansible is pointed at the same file.
  const knownHosts = join(dir, 'known_hosts');
  copyFileSync(lab.knownHostsFile, knownHosts);
  return { dir, file, knownHosts, keyFile: lab.keyFile, hosts };
}
