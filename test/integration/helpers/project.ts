// A throwaway fleet project for one test: inventory pointing at the lab hosts (with their
// keys pinned in inventory/known_hosts), a playbook and roles.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { labInfo } from './lab.js';
import { REPO_ROOT } from './fleet.js';

export type FileTree = Record<string, string | object>;

export interface ProjectSpec {
  /** Inventory YAML text or object; default: every lab host, lab1 in managers, the rest in
   * workers, all in group lab, as root with the lab key. */
  inventory?: string | object;
  /** Host names to include in the default inventory (default: all). */
  hosts?: string[];
  /** Playbook (YAML text or object), written to playbooks/site.yml. */
  playbook?: string | object;
  /** roles: name -> files (path inside the role -> text, or an object written as YAML). */
  roles?: Record<string, FileTree>;
  /** More files, relative to the project dir. */
  files?: FileTree;
}

export interface Project {
  dir: string;
  inventoryDir: string;
  inventoryFile: string;
  knownHostsFile: string;
  playbook: string;
  cleanup(): void;
}

function write(file: string, body: string | object): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof body === 'string' ? body : YAML.stringify(body));
}

export function defaultLabInventory(hosts?: string[]): object {
  const info = labInfo();
  const chosen = info.hosts.filter((h) => !hosts || hosts.includes(h.name));
  const hv = (h: (typeof chosen)[number]) => ({
    ansible_host: h.address,
    ansible_user: 'root',
    ansible_ssh_private_key_file: info.keyFile,
  });
  const group = (list: typeof chosen) => ({ hosts: Object.fromEntries(list.map((h) => [h.name, hv(h)])) });
  return {
    all: {
      children: {
        lab: {
          children: {
            managers: group(chosen.filter((h) => h.group === 'managers')),
            workers: group(chosen.filter((h) => h.group === 'workers')),
          },
        },
      },
    },
  };
}

export function makeProject(spec: ProjectSpec = {}): Project {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-it-'));
  const inventoryDir = path.join(dir, 'inventory');
  const inventoryFile = path.join(inventoryDir, 'hosts.yml');
  write(inventoryFile, spec.inventory ?? defaultLabInventory(spec.hosts));
  const knownHostsFile = path.join(inventoryDir, 'known_hosts');
  fs.copyFileSync(labInfo().knownHostsFile, knownHostsFile);
  const playbook = path.join(dir, 'playbooks', 'site.yml');
  if (spec.playbook !== undefined) write(playbook, spec.playbook);
  for (const [role, files] of Object.entries(spec.roles ?? {})) {
    for (const [rel, body] of Object.entries(files)) write(path.join(dir, 'roles', role, rel), body);
  }
  for (const [rel, body] of Object.entries(spec.files ?? {})) write(path.join(dir, rel), body);
  return {
    dir,
    inventoryDir,
    inventoryFile,
    knownHostsFile,
    playbook,
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Roles that need a swarm of hosts (docker installs, joins): the base roles' tests leave
 * their plays out, the swarm tests keep them (`containers: true`). */
const CONTAINER_ROLES = new Set(['docker', 'swarm']);

function sitePlaybook(containers: boolean): string {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'playbooks/site.yml'), 'utf8');
  if (containers) return text;
  const plays = YAML.parse(text) as { roles?: (string | { role: string })[] }[];
  const kept = plays.filter((p) => !(p.roles ?? []).some((r) => CONTAINER_ROLES.has(typeof r === 'string' ? r : r.role)));
  return YAML.stringify(kept);
}

/** A project that runs the repository's own playbooks/site.yml and roles/ (linked, not copied),
 * with an empty inventory/group_vars/ for the test's settings. Without `containers`, the
 * plays of docker and swarm are left out. */
export function makeSiteProject(spec: Omit<ProjectSpec, 'playbook' | 'roles'> & { containers?: boolean } = {}): Project {
  const p = makeProject({ ...spec, files: { ...spec.files, 'playbooks/site.yml': sitePlaybook(spec.containers ?? false) } });
  fs.symlinkSync(path.join(REPO_ROOT, 'roles'), path.join(p.dir, 'roles'));
  fs.mkdirSync(path.join(p.inventoryDir, 'group_vars'), { recursive: true });
  return p;
}
