// The base root filesystem every lab host boots from (through its own overlay layer).
// Built once with debootstrap from this machine's Debian mirror and cached under
// /var/cache/fleet-lab/base-<spec hash>: a changed spec gets a new directory, so a base
// is never rebuilt under running hosts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { CACHE_DIR } from './instance.js';
import { sh } from './exec.js';
import { withLock } from './lock.js';
import { debianMirror } from './mirror.js';

export const SUITE = 'bookworm';

/** Preinstalled: what the modules and the benchmark need on every host. NOT fail2ban,
 * docker or tor: roles install those through the package source, which is the point. */
export const BASE_PACKAGES = [
  'systemd', 'systemd-sysv', 'dbus', 'libpam-systemd', 'openssh-server', 'sudo', 'iptables',
  'nftables', 'iproute2', 'procps', 'ca-certificates', 'python3', 'python3-systemd', 'curl',
  'less', 'iputils-ping',
];

/** Bump when the customisation below changes, so caches rebuild. */
const CUSTOMISE_VERSION = 1;
const MARKER = '.fleet-lab-base';

// Runs on the controller against the fresh tree ($R). Host identity is removed here and
// written per host at boot (hostname, machine-id, ssh host keys, address).
function customiseScript(mirror: string, security: string | undefined): string {
  const sources = [`deb ${mirror} ${SUITE} main`, `deb ${mirror} ${SUITE}-updates main`];
  if (security) sources.push(`deb ${security} ${SUITE}-security main`);
  return `
R="$1"
rm -f "$R"/etc/ssh/ssh_host_*
rm -f "$R"/etc/hostname "$R"/var/lib/dbus/machine-id
: > "$R"/etc/machine-id
rm -f "$R"/etc/resolv.conf
echo 'nameserver 127.0.0.1' > "$R"/etc/resolv.conf
chroot "$R" systemctl enable systemd-networkd.service ssh.service >/dev/null 2>&1
chroot "$R" systemctl mask systemd-networkd-wait-online.service >/dev/null 2>&1
chroot "$R" useradd -m -s /bin/bash -U deploy
chroot "$R" useradd -m -s /bin/bash -U -G sudo deploypw
echo 'deploy ALL=(ALL) NOPASSWD: ALL' > "$R"/etc/sudoers.d/deploy
chmod 0440 "$R"/etc/sudoers.d/deploy
for d in /root /home/deploy /home/deploypw; do install -d -m 0700 "$R$d/.ssh"; done
chroot "$R" chown deploy:deploy /home/deploy/.ssh
chroot "$R" chown deploypw:deploypw /home/deploypw/.ssh
cat > "$R"/etc/apt/sources.list <<'SRC'
${sources.join('\n')}
SRC
# The mirror may serve a dated snapshot; the controller's own apt accepts that too.
cat > "$R"/etc/apt/apt.conf.d/99fleet-lab <<'APT'
Acquire::Check-Valid-Until "false";
Acquire::Languages "none";
APT
chroot "$R" apt-get clean
`;
}

export function baseSpecHash(mirror: string): string {
  return crypto
    .createHash('sha256')
    .update(JSON.stringify({ SUITE, BASE_PACKAGES, CUSTOMISE_VERSION, mirror }))
    .digest('hex')
    .slice(0, 12);
}

export function baseDirFor(hash: string): string {
  return path.join(CACHE_DIR, `base-${hash}`);
}

export function baseReady(dir: string): boolean {
  return fs.existsSync(path.join(dir, MARKER));
}

/** The base image directory, built first when missing. Progress goes to onProgress. */
export async function ensureBase(onProgress: (msg: string) => void): Promise<string> {
  const { mirror, security } = debianMirror();
  const hash = baseSpecHash(mirror);
  const dir = baseDirFor(hash);
  if (baseReady(dir)) return dir;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  return withLock(path.join(CACHE_DIR, 'build.lock'), async () => {
    if (baseReady(dir)) return dir; // built by whoever held the lock
    const started = Date.now();
    onProgress(`lab: building the base image (debootstrap ${SUITE} from ${mirror}); this takes a minute or two, once`);
    const tmp = `${dir}.tmp`;
    fs.rmSync(tmp, { recursive: true, force: true });
    const debs = path.join(CACHE_DIR, 'debs');
    fs.mkdirSync(debs, { recursive: true });
    await debootstrap(tmp, mirror, debs, onProgress);
    onProgress('lab: base image: removing host identity, adding users deploy and deploypw');
    await sh(customiseScript(mirror, security), [tmp]);
    fs.writeFileSync(path.join(tmp, MARKER), JSON.stringify({ hash, mirror, packages: BASE_PACKAGES, builtAt: new Date().toISOString() }) + '\n');
    fs.renameSync(tmp, dir);
    onProgress(`lab: base image ready in ${Math.round((Date.now() - started) / 1000)} s: ${dir}`);
    return dir;
  }, { onWait: (pid) => onProgress(`lab: waiting for pid ${pid}, which is building the base image`) });
}

function debootstrap(dir: string, mirror: string, debs: string, onProgress: (msg: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const argv = [
      '--variant=minbase', `--cache-dir=${debs}`, `--include=${BASE_PACKAGES.join(',')}`, SUITE, dir, mirror,
    ];
    const child = spawn('debootstrap', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let retrieved = 0;
    let tail = '';
    const onLine = (line: string) => {
      tail = (tail + line + '\n').slice(-4000);
      // Per-package lines are hundreds; show the stages and a count every 25 packages.
      const m = /^I: (Retrieving|Validating|Extracting|Unpacking|Configuring) (\S+)/.exec(line);
      if (m) {
        if (m[1] === 'Retrieving' && ++retrieved % 25 === 0) onProgress(`lab: base image: ${retrieved} packages fetched`);
        return;
      }
      if (line.startsWith('I: ') || line.startsWith('W: ') || line.startsWith('E: ')) onProgress(`lab: base image: ${line.slice(3)}`);
    };
    let buf = '';
    const feed = (b: Buffer) => {
      buf += b.toString('utf8');
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    };
    child.stdout.on('data', feed);
    child.stderr.on('data', feed);
    child.on('error', (e) => reject(new Error(`lab: cannot run debootstrap: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`lab: debootstrap exited ${code}; last output:\n${tail}`));
    });
  });
}
