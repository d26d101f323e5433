// The lab needs root on Linux with network namespaces, overlayfs, a bridge and a few tools.
// Anywhere else: one clear error that lists what is missing.
import fs from 'node:fs';
import path from 'node:path';

export class LabUnavailableError extends Error {
  constructor(public readonly missing: string[]) {
    super(`the fleet lab cannot run here: ${missing.join('; ')}`);
    this.name = 'LabUnavailableError';
  }
}

const TOOLS: Record<string, string> = {
  ip: 'iproute2',
  nft: 'nftables',
  'systemd-nspawn': 'systemd-container',
  debootstrap: 'debootstrap',
  'ssh-keygen': 'openssh-client',
  ssh: 'openssh-client',
  openssl: 'openssl',
  mount: 'mount',
};

function onPath(tool: string): boolean {
  const dirs = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin']);
  return dirs.some((d) => {
    try {
      fs.accessSync(path.join(d, tool), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** What is missing for the lab, empty when it can run. `tools: false` checks only the platform. */
export function labMissing(opts: { tools?: boolean } = {}): string[] {
  const missing: string[] = [];
  if (process.platform !== 'linux') {
    return [`Linux is required (this is ${process.platform})`];
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) missing.push('root is required (run as root, e.g. with sudo)');
  if (!fs.existsSync('/proc/self/ns/net')) missing.push('the kernel has no network namespaces (/proc/self/ns/net)');
  let filesystems = '';
  try {
    filesystems = fs.readFileSync('/proc/filesystems', 'utf8');
  } catch {
    /* reported below */
  }
  if (!/\boverlay\b/.test(filesystems)) missing.push('the kernel has no overlayfs (modprobe overlay)');
  if (!fs.existsSync('/sys/fs/cgroup')) missing.push('no cgroup filesystem at /sys/fs/cgroup');
  if (opts.tools !== false) {
    for (const [tool, pkg] of Object.entries(TOOLS)) {
      if (!onPath(tool)) missing.push(`${tool} not found (apt-get install ${pkg})`);
    }
  }
  return missing;
}

export function assertLabAvailable(): void {
  const missing = labMissing();
  if (missing.length) throw new LabUnavailableError(missing);
}
