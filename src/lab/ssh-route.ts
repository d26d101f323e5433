// How `fleet lab ssh` reaches a lab host: the way the project's inventory now says (roles
// rewrite it: harden-ssh turns root login off, logs in as the admin user with sudo from then
// on, and may move the port), else as root with the lab key on port 22 (a fresh host).
import fs from 'node:fs';
import path from 'node:path';
import type { Connection } from '../model/inventory.js';
import { cmd } from './exec.js';
import type { LabInstance } from './instance.js';
import { inventoryFile } from './inventory.js';

/** How a host is reached according to the inventory at these paths, or undefined when it does
 * not name the host; it throws when the inventory cannot be read. The CLI passes the config
 * layer's loader (lab/ imports only model/). */
export type ConnectionLookup = (paths: string[], host: string) => Connection | undefined;

/** A project directory and how to read its inventory. */
export interface LabProject {
  dir: string;
  connectionOf: ConnectionLookup;
}

export interface SshRoute {
  address: string;
  port: number;
  user: string;
  keyFile: string;
  /** Run as root through sudo (the user is not root). */
  sudo: boolean;
  /** Where this route comes from, for messages. */
  from: string;
}

export function rootRoute(inst: LabInstance, address: string): SshRoute {
  return { address, port: 22, user: 'root', keyFile: inst.keyFile, sudo: false, from: 'root with the lab key' };
}

/** The route the project's inventory gives for a lab host, if it names the host. The whole
 * inventory directory is read (as `fleet apply` would), else the lab's file alone. */
export function inventoryRoute(inst: LabInstance, host: string, project: LabProject): SshRoute | undefined {
  const projectDir = project.dir;
  const file = inventoryFile(projectDir, inst);
  if (!fs.existsSync(file)) return undefined;
  for (const paths of [[path.dirname(file)], [file]]) {
    try {
      const c = project.connectionOf(paths, host);
      if (!c) continue;
      return {
        address: c.address,
        port: c.port,
        user: c.user,
        keyFile: c.privateKeyFile ?? inst.keyFile,
        sudo: c.user !== 'root',
        from: `${c.user}@${c.address}:${c.port} as ${path.relative(projectDir, file)} says${c.user !== 'root' ? ', with sudo' : ''}`,
      };
    } catch {
      // An inventory fleet cannot read here is the next attempt's (or the fallback's) business.
    }
  }
  return undefined;
}

/** POSIX sh single-quoting. */
function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The ssh command line for a route. The lab's known_hosts pins each host under its name
 * and address; HostKeyAlias finds that pin whatever port sshd listens on. */
export function sshArgv(inst: LabInstance, r: SshRoute, opts: { tty: boolean; command?: string; probe?: boolean }): string[] {
  const argv = [
    'ssh', ...(opts.tty ? ['-t'] : ['-T']), '-i', r.keyFile, '-p', String(r.port),
    '-o', `UserKnownHostsFile=${inst.knownHostsFile}`, '-o', `HostKeyAlias=${r.address}`, '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', `ConnectTimeout=${opts.probe ? 5 : 10}`, '-o', 'LogLevel=ERROR',
    `${r.user}@${r.address}`,
  ];
  if (opts.probe) return [...argv, '--', 'true'];
  if (!r.sudo) return opts.command === undefined ? argv : [...argv, '--', opts.command];
  // As root, like the root route: through sudo (-n unless a person can answer a prompt).
  const sudo = opts.tty ? 'sudo' : 'sudo -n';
  return [...argv, '--', opts.command === undefined ? `${sudo} -i` : `${sudo} sh -c ${q(opts.command)}`];
}

/** The first route that answers: the inventory's, then root with the lab key. Throws with
 * what each attempt said when none does. */
export async function pickRoute(inst: LabInstance, host: string, address: string, project?: LabProject): Promise<SshRoute> {
  const candidates: SshRoute[] = [];
  const fromInventory = project ? inventoryRoute(inst, host, project) : undefined;
  if (fromInventory) candidates.push(fromInventory);
  const root = rootRoute(inst, address);
  if (!candidates.some((c) => c.user === root.user && c.port === root.port && c.address === root.address)) candidates.push(root);
  if (candidates.length === 1) return candidates[0];
  const tried: string[] = [];
  for (const r of candidates) {
    const res = await cmd(sshArgv(inst, r, { tty: false, probe: true }), { timeoutMs: 20_000 });
    if (res.rc === 0) return r;
    tried.push(`${r.from}: ${(res.stderr.trim() || `exit ${res.rc}`).split('\n').pop()}`);
  }
  throw new Error(`lab: cannot log in to ${host}: ${tried.join('; ')}`);
}
