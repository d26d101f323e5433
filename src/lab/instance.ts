// Where one lab instance lives: its names, addresses and paths. The default instance is
// the one CONTRACTS.md fixes (br-lab, 10.231.0.0/24, /var/lib/fleet-lab); a second,
// independent instance (another name and /24) lets tests of up/down leave the shared lab alone.
import path from 'node:path';

export const CACHE_DIR = '/var/cache/fleet-lab';
/** Hosts are numbered from this last octet: lab1 = .11. */
export const FIRST_HOST_OCTET = 11;
export const MAX_HOST_OCTET = 254;

export interface LabInstanceSpec {
  /** Short name: lowercase letters and digits, at most 10 (the bridge name is br-NAME, 15 max). */
  name: string;
  /** An IPv4 /24 written "a.b.c.0/24". */
  subnet: string;
}

export interface LabInstance {
  name: string;
  isDefault: boolean;
  /** Host names are PREFIX1..PREFIXN. */
  hostPrefix: string;
  bridge: string;
  /** First three octets, e.g. "10.231.0". */
  net3: string;
  controllerAddress: string;
  stateDir: string;
  keyFile: string;
  knownHostsFile: string;
  deployPasswordFile: string;
  lockFile: string;
  nftTable: string;
  /** Directory name under each cgroup hierarchy. */
  cgroupName: string;
  aptProxyPort: number;
  aptCacheDir: string;
}

export const DEFAULT_INSTANCE: LabInstanceSpec = { name: 'lab', subnet: '10.231.0.0/24' };

export function labInstance(spec: LabInstanceSpec = DEFAULT_INSTANCE): LabInstance {
  if (!/^[a-z][a-z0-9]{0,9}$/.test(spec.name)) {
    throw new Error(`lab instance name "${spec.name}": expected 1-10 lowercase letters or digits, starting with a letter`);
  }
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.0\/24$/.exec(spec.subnet);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) {
    throw new Error(`lab subnet "${spec.subnet}": expected an IPv4 /24 such as 10.231.1.0/24`);
  }
  const isDefault = spec.name === DEFAULT_INSTANCE.name;
  const net3 = `${m[1]}.${m[2]}.${m[3]}`;
  const stateDir = isDefault ? '/var/lib/fleet-lab' : `/var/lib/fleet-lab-${spec.name}`;
  return {
    name: spec.name,
    isDefault,
    hostPrefix: spec.name,
    bridge: `br-${spec.name}`,
    net3,
    controllerAddress: `${net3}.1`,
    stateDir,
    keyFile: path.join(stateDir, 'id_ed25519'),
    knownHostsFile: path.join(stateDir, 'known_hosts'),
    deployPasswordFile: path.join(stateDir, 'deploypw.password'),
    lockFile: path.join(stateDir, 'lock'),
    nftTable: isDefault ? 'fleet_lab' : `fleet_lab_${spec.name}`,
    cgroupName: isDefault ? 'fleet-lab' : `fleet-lab-${spec.name}`,
    aptProxyPort: 3142,
    aptCacheDir: path.join(CACHE_DIR, isDefault ? 'apt-cacher-ng' : `apt-cacher-ng-${spec.name}`),
  };
}

export function hostName(inst: LabInstance, index: number): string {
  return `${inst.hostPrefix}${index}`;
}

export function hostAddress(inst: LabInstance, index: number): string {
  return `${inst.net3}.${FIRST_HOST_OCTET + index - 1}`;
}

/** lab3 -> 3; undefined when the name is not one of this instance's hosts. */
export function hostIndex(inst: LabInstance, name: string): number | undefined {
  if (!name.startsWith(inst.hostPrefix)) return undefined;
  const rest = name.slice(inst.hostPrefix.length);
  if (!/^[1-9]\d*$/.test(rest)) return undefined;
  const i = Number(rest);
  return FIRST_HOST_OCTET + i - 1 <= MAX_HOST_OCTET ? i : undefined;
}

export function hostDir(inst: LabInstance, name: string): string {
  return path.join(inst.stateDir, 'hosts', name);
}
