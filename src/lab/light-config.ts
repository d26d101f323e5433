// Light hosts (light.ts): where each lives and the sshd_config it runs with. Pure.
import os from 'node:os';
import path from 'node:path';

/** Every light host listens on this port of its own loopback address: above 1024, so a
 * developer without root can run them too (they then log in as that developer). */
export const LIGHT_PORT = 2222;
/** 250 hosts per third octet (.1-.250), so no address ends in .0 or .255. */
const PER_OCTET = 250;
export const MAX_LIGHT_HOSTS = PER_OCTET * 256;

export interface LightLab {
  name: string;
  /** Second octet of every host's address: 127.NET2.x.y. */
  net2: number;
  stateDir: string;
  keyFile: string;
  inventoryFile: string;
  knownHostsFile: string;
  user: string;
}

export interface LightHost {
  name: string;
  address: string;
  dir: string;
  /** The host's own root for managed paths: the inventory's `light_root`. */
  root: string;
  configFile: string;
  pidFile: string;
  hostKey: string;
}

export function lightLab(name: string, net2 = 77): LightLab {
  if (!/^[a-z][a-z0-9]{0,9}$/.test(name)) throw new Error(`light lab name "${name}": expected 1-10 lowercase letters or digits, starting with a letter`);
  if (!Number.isInteger(net2) || net2 < 1 || net2 > 254) throw new Error(`light lab: the second octet must be 1-254, got ${net2}`);
  const root = process.getuid?.() === 0;
  const base = root ? '/var/lib' : path.join(process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state'));
  const stateDir = path.join(base, `fleet-light-${name}`);
  return {
    name,
    net2,
    stateDir,
    keyFile: path.join(stateDir, 'id_ed25519'),
    inventoryFile: path.join(stateDir, 'inventory', 'hosts.yml'),
    knownHostsFile: path.join(stateDir, 'inventory', 'known_hosts'),
    user: os.userInfo().username,
  };
}

export function lightHost(lab: LightLab, index: number): LightHost {
  if (!Number.isInteger(index) || index < 1 || index > MAX_LIGHT_HOSTS) throw new Error(`light host index ${index}: expected 1-${MAX_LIGHT_HOSTS}`);
  const i = index - 1;
  const name = `${lab.name}${index}`;
  const dir = path.join(lab.stateDir, 'hosts', name);
  return {
    name,
    address: `127.${lab.net2}.${Math.floor(i / PER_OCTET)}.${(i % PER_OCTET) + 1}`,
    dir,
    root: path.join(dir, 'root'),
    configFile: path.join(dir, 'sshd_config'),
    pidFile: path.join(dir, 'sshd.pid'),
    hostKey: path.join(dir, 'ssh_host_ed25519_key'),
  };
}

/** One sshd of its own per host: its address, its key, its pid file; only the lab's key logs
 * in. FLEET_LOCK_FILE gives each host its own run lock, as the hosts share one filesystem.
 * HOME is the host's own empty directory: bash started by sshd reads ~/.bashrc even for a
 * command, and the controller user's (root's pyenv init here) cost seconds per session under
 * load, which would measure that file instead of the login. */
export function sshdConfig(lab: LightLab, h: LightHost): string {
  return [
    `ListenAddress ${h.address}:${LIGHT_PORT}`,
    `HostKey ${h.hostKey}`,
    `PidFile ${h.pidFile}`,
    `AuthorizedKeysFile ${path.join(lab.stateDir, 'authorized_keys')}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    // The state dir's modes are the lab's own business; PAM would add a session per exec.
    'StrictModes no',
    'UsePAM no',
    'UseDNS no',
    'LogLevel ERROR',
    `SetEnv FLEET_LOCK_FILE=${path.join(h.dir, 'fleet.lock')} HOME=${lightHome(h)}`,
    '',
  ].join('\n');
}

/** The host's own home directory (empty: no rc files of the user running the lab). */
export const lightHome = (h: LightHost): string => path.join(h.dir, 'home');

export function lightInventory(lab: LightLab, hosts: LightHost[]): string {
  const lines = [
    '# Written by `fleet lab up --light`: light hosts (one sshd each on a loopback address).',
    'all:',
    '  vars:',
    `    ansible_port: ${LIGHT_PORT}`,
    `    ansible_user: ${JSON.stringify(lab.user)}`,
    `    private_key_file: ${JSON.stringify(lab.keyFile)}`,
    '  hosts:',
  ];
  for (const h of hosts) lines.push(`    ${h.name}: { ansible_host: ${h.address}, light_root: ${JSON.stringify(h.root)} }`);
  return lines.join('\n') + '\n';
}
