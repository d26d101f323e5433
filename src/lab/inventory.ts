// What the lab writes for users of its hosts: the lab's own known_hosts (state dir), and in a
// project, inventory/<lab>.yml (Ansible YAML layout) plus the hosts' keys pinned in
// inventory/known_hosts, where only the lab's own lines are ever replaced or removed.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { LabInstance } from './instance.js';
import type { LabHostInfo } from './types.js';

/** Lines written by the lab end with this comment, so they can be found again. */
export function knownHostsMarker(inst: LabInstance): string {
  return `fleet-lab:${inst.name}`;
}

export function knownHostsLines(inst: LabInstance, hosts: LabHostInfo[]): string[] {
  return hosts.flatMap((h) => h.hostKeys.map((k) => `${h.name},${h.address} ${k} ${knownHostsMarker(inst)}`));
}

/** Replace this lab's lines in a known_hosts file (and stale lines for the same names or
 * addresses); other lines are kept byte for byte. Removes the file when it ends up empty
 * and was created by the lab. */
export function updateKnownHosts(file: string, inst: LabInstance, hosts: LabHostInfo[]): void {
  const ours = new Set(hosts.flatMap((h) => [h.name, h.address]));
  let kept: string[] = [];
  if (fs.existsSync(file)) {
    kept = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .filter((l) => {
        if (l.trimEnd().endsWith(` ${knownHostsMarker(inst)}`)) return false;
        const patterns = l.startsWith('#') ? [] : (l.split(/\s+/)[0] ?? '').split(',');
        return !(hosts.length && patterns.length && patterns.every((p) => ours.has(p)));
      });
  }
  const lines = [...kept, ...knownHostsLines(inst, hosts)];
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (lines.length === 0) {
    fs.rmSync(file, { force: true });
    return;
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

function publicKeyOf(keyFile: string): string[] {
  try {
    return [fs.readFileSync(`${keyFile}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ') + ' fleet-lab'];
  } catch {
    return [];
  }
}

export function inventoryFile(projectDir: string, inst: LabInstance): string {
  return path.join(projectDir, 'inventory', `${inst.name}.yml`);
}

/** Host entries of an inventory the lab wrote earlier: roles may have changed them since
 * (harden-ssh writes ansible_user/ansible_port after turning root login off or moving sshd),
 * and a second `lab up` must not undo that while those hosts keep running. */
function previousHostVars(text: string | undefined, inst: LabInstance): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  if (!text) return out;
  try {
    const doc = YAML.parse(text) as { all?: { children?: Record<string, { children?: Record<string, { hosts?: Record<string, Record<string, unknown>> }> }> } };
    for (const g of Object.values(doc?.all?.children?.[inst.name]?.children ?? {})) {
      for (const [name, vars] of Object.entries(g?.hosts ?? {})) if (vars && typeof vars === 'object') out.set(name, vars);
    }
  } catch {
    // An unreadable old file is simply replaced.
  }
  return out;
}

export function renderInventory(inst: LabInstance, hosts: LabHostInfo[], previous?: string): string {
  const kept = previousHostVars(previous, inst);
  const hv = (h: LabHostInfo) => ({
    ansible_host: h.address,
    ansible_user: 'root',
    ansible_ssh_private_key_file: inst.keyFile,
    ...(kept.get(h.name) ?? {}),
  });
  const group = (list: LabHostInfo[]) => ({ hosts: Object.fromEntries(list.map((h) => [h.name, hv(h)])) });
  const doc = {
    all: {
      children: {
        [inst.name]: {
          // harden-ssh's admin user gets the lab key, so the admin can log in once root cannot.
          vars: { admin_keys: publicKeyOf(inst.keyFile) },
          children: {
            managers: group(hosts.slice(0, 1)),
            workers: group(hosts.slice(1)),
          },
        },
      },
    },
  };
  return (
    `# Written by \`fleet lab up\` (instance "${inst.name}"); on a later up, running hosts keep what roles wrote here; removed by \`fleet lab down\`.\n` +
    `# deploy (sudo without password) and deploypw (sudo password in ${inst.deployPasswordFile}) use the same key.\n` +
    YAML.stringify(doc)
  );
}

export function writeProjectFiles(projectDir: string, inst: LabInstance, hosts: LabHostInfo[]): { inventory: string; knownHosts: string } {
  const inv = inventoryFile(projectDir, inst);
  fs.mkdirSync(path.dirname(inv), { recursive: true });
  const previous = fs.existsSync(inv) ? fs.readFileSync(inv, 'utf8') : undefined;
  fs.writeFileSync(inv, renderInventory(inst, hosts, previous));
  const kh = path.join(projectDir, 'inventory', 'known_hosts');
  updateKnownHosts(kh, inst, hosts);
  return { inventory: inv, knownHosts: kh };
}

/** On down: remove the inventory file and the lab's known_hosts lines, nothing else. */
export function removeProjectFiles(projectDir: string, inst: LabInstance): void {
  fs.rmSync(inventoryFile(projectDir, inst), { force: true });
  const kh = path.join(projectDir, 'inventory', 'known_hosts');
  if (fs.existsSync(kh)) updateKnownHosts(kh, inst, []);
}
