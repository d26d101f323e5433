import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { labInstance } from '../../../src/lab/instance.js';
import { removeProjectFiles, renderInventory, updateKnownHosts, writeProjectFiles } from '../../../src/lab/inventory.js';
import type { LabHostInfo } from '../../../src/lab/types.js';

const inst = labInstance();
const hosts: LabHostInfo[] = [
  { name: 'lab1', address: '10.231.0.11', group: 'managers', hostKeys: ['ssh-ed25519 AAAAone'] },
  { name: 'lab2', address: '10.231.0.12', group: 'workers', hostKeys: ['ssh-ed25519 AAAAtwo', 'ssh-rsa AAAAtwo-rsa'] },
  { name: 'lab3', address: '10.231.0.13', group: 'workers', hostKeys: ['ssh-ed25519 AAAAthree'] },
];

let dir = '';
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});
const tmp = () => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-inv-')));

describe('lab inventory', () => {
  it('is Ansible YAML: lab1 in managers, the others in workers, all in lab', () => {
    const doc = YAML.parse(renderInventory(inst, hosts));
    const lab = doc.all.children.lab.children;
    expect(Object.keys(lab.managers.hosts)).toEqual(['lab1']);
    expect(Object.keys(lab.workers.hosts)).toEqual(['lab2', 'lab3']);
    expect(lab.workers.hosts.lab3).toEqual({
      ansible_host: '10.231.0.13',
      ansible_user: 'root',
      ansible_ssh_private_key_file: '/var/lib/fleet-lab/id_ed25519',
    });
  });

  it('a second up keeps what roles wrote for running hosts, and adds new hosts fresh', () => {
    const first = renderInventory(inst, hosts.slice(0, 2));
    const edited = first.replace(/(lab2:\n(\s+)ansible_host: 10\.231\.0\.12\n\s+ansible_user: )root/, '$1admin\n$2ansible_port: 2222');
    expect(edited).toContain('ansible_user: admin');
    const doc = YAML.parse(renderInventory(inst, hosts, edited));
    const lab = doc.all.children.lab.children;
    expect(lab.workers.hosts.lab2).toMatchObject({ ansible_user: 'admin', ansible_port: 2222 });
    expect(lab.workers.hosts.lab3).toMatchObject({ ansible_user: 'root' });
  });

  it('a one-host lab still has a (empty) workers group', () => {
    const doc = YAML.parse(renderInventory(inst, hosts.slice(0, 1)));
    expect(doc.all.children.lab.children.workers).toEqual({ hosts: {} });
  });
});

describe('known_hosts', () => {
  it('replaces only the lab lines and keeps the others byte for byte', () => {
    const f = path.join(tmp(), 'known_hosts');
    const foreign = ['web1,203.0.113.5 ssh-ed25519 AAAAweb', '# a comment', '[bastion]:2222 ssh-rsa AAAAb'];
    fs.writeFileSync(f, [...foreign, 'lab2,10.231.0.12 ssh-ed25519 AAAAstale'].join('\n') + '\n');
    updateKnownHosts(f, inst, hosts);
    updateKnownHosts(f, inst, hosts); // twice: no duplicates
    const lines = fs.readFileSync(f, 'utf8').trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual(foreign);
    expect(lines.filter((l) => l.includes('AAAAstale'))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('lab2,10.231.0.12 '))).toHaveLength(2);
    expect(lines).toHaveLength(3 + 4);
  });

  it('down removes the lab inventory and lab lines, and nothing else', () => {
    const d = tmp();
    fs.mkdirSync(path.join(d, 'inventory'));
    fs.writeFileSync(path.join(d, 'inventory', 'known_hosts'), 'web1 ssh-ed25519 AAAAweb\n');
    fs.writeFileSync(path.join(d, 'inventory', 'hosts.yml'), 'all: {}\n');
    const files = writeProjectFiles(d, inst, hosts);
    expect(fs.existsSync(files.inventory)).toBe(true);
    expect(fs.readFileSync(files.knownHosts, 'utf8')).toContain('lab1,10.231.0.11 ssh-ed25519 AAAAone');
    removeProjectFiles(d, inst);
    expect(fs.existsSync(files.inventory)).toBe(false);
    expect(fs.readFileSync(files.knownHosts, 'utf8')).toBe('web1 ssh-ed25519 AAAAweb\n');
    expect(fs.readFileSync(path.join(d, 'inventory', 'hosts.yml'), 'utf8')).toBe('all: {}\n');
  });

  it('a known_hosts the lab created alone is removed at down', () => {
    const d = tmp();
    writeProjectFiles(d, inst, hosts);
    removeProjectFiles(d, inst);
    expect(fs.existsSync(path.join(d, 'inventory', 'known_hosts'))).toBe(false);
  });
});
