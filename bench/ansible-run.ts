// Runs ansible-playbook with the fastest honest settings we know (pipelining, forks = N, no
// fact gathering, ControlPersist, a fixed interpreter so no discovery round trip) and counts
// its SSH sessions per host with a tiny wrapper around ssh and sftp.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchInventory } from './inventory.js';
import { measure, pidsMatching, type Measured } from './measure.js';

export const ANSIBLE_SETTINGS = [
  'pipelining = True',
  'forks = N (one per host)',
  'gathering = explicit (no facts)',
  'ControlMaster=auto, ControlPersist=60s (masters stopped between runs, so each run connects cold as fleet does)',
  'interpreter_python = /usr/bin/python3 (no interpreter discovery)',
  'strategy = linear (the default)',
];

export function ansiblePlaybookPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'ansible-playbook'))) return join(dir, 'ansible-playbook');
  }
  return undefined;
}

/** Debian bookworm's ansible-core is 2.14, the version of the reference figures. */
export function ensureAnsible(log: (m: string) => void): string {
  let bin = ansiblePlaybookPath();
  if (!bin) {
    log('ansible-playbook missing: apt-get install -y --no-install-recommends ansible-core');
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'ansible-core'], { stdio: 'inherit' });
    bin = ansiblePlaybookPath();
    if (!bin) throw new Error('ansible-core installed but ansible-playbook is not on PATH');
  }
  return bin;
}

export function ansibleVersion(bin: string): string {
  const out = execFileSync(bin, ['--version'], { encoding: 'utf8' });
  return /core ([\d.]+)/.exec(out)?.[1] ?? out.split('\n')[0];
}

// Each invocation of the real ssh/sftp is one SSH session on the host (a channel on the
// ControlPersist master); `ssh -O ...` only talks to the local master, so it is not counted.
// One short append per call: concurrent workers do not interleave lines.
function wrapper(real: string, log: string): string {
  return `#!/bin/sh
for a in "$@"; do [ "$a" = "-O" ] && exec ${real} "$@"; done
printf '%s\\n' "$*" >> '${log}'
exec ${real} "$@"
`;
}

export interface AnsibleSetup {
  dir: string;
  config: string;
  sessionLog: string;
  controlDir: string;
}

export function writeAnsibleSetup(baseDir: string, inv: BenchInventory): AnsibleSetup {
  const dir = join(baseDir, `ansible-${inv.hosts.length}`);
  mkdirSync(dir, { recursive: true });
  const controlDir = join(dir, 'cp');
  mkdirSync(controlDir, { recursive: true });
  const sessionLog = join(dir, 'sessions.log');
  const ssh = join(dir, 'ssh-count');
  const sftp = join(dir, 'sftp-count');
  writeFileSync(ssh, wrapper('/usr/bin/ssh', sessionLog));
  writeFileSync(sftp, wrapper('/usr/bin/sftp', sessionLog));
  chmodSync(ssh, 0o755);
  chmodSync(sftp, 0o755);
  const config = join(dir, 'ansible.cfg');
  writeFileSync(
    config,
    `# Written by the benchmark (bench/ansible-run.ts).
[defaults]
inventory = ${inv.file}
forks = ${inv.hosts.length}
gathering = explicit
interpreter_python = /usr/bin/python3
retry_files_enabled = False
host_key_checking = True
nocolor = True
strategy = linear

[ssh_connection]
pipelining = True
ssh_executable = ${ssh}
sftp_executable = ${sftp}
transfer_method = sftp
control_path_dir = ${controlDir}
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${inv.knownHosts} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes
`,
  );
  return { dir, config, sessionLog, controlDir };
}

export interface AnsibleRun {
  m: Measured;
  /** SSH sessions per host, from the wrapper's log. */
  sessions: Map<string, number>;
  /** PLAY RECAP per host. */
  recap: Map<string, { ok: number; changed: number; failed: number; unreachable: number }>;
}

export function parseAnsibleRecap(stdout: string): AnsibleRun['recap'] {
  const recap: AnsibleRun['recap'] = new Map();
  const at = stdout.lastIndexOf('PLAY RECAP');
  if (at < 0) return recap;
  for (const line of stdout.slice(at).split('\n')) {
    const m = /^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(line);
    if (m) recap.set(m[1], { ok: +m[2], changed: +m[3], unreachable: +m[4], failed: +m[5] });
  }
  return recap;
}

/** Sessions per host address: a logged argument equal to the address names the host. */
export function countSessions(log: string, addresses: string[]): Map<string, number> {
  const counts = new Map(addresses.map((a) => [a, 0]));
  for (const line of log.split('\n')) {
    const words = new Set(line.split(' '));
    for (const a of addresses) if (words.has(a)) counts.set(a, counts.get(a)! + 1);
  }
  return counts;
}

/** Ends the ControlPersist masters this setup started (they are ours: matched by our
 * private control directory), so the next run starts without warm connections. */
export function stopMasters(setup: AnsibleSetup): void {
  for (const pid of pidsMatching(setup.controlDir)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

export async function runAnsible(bin: string, setup: AnsibleSetup, inv: BenchInventory, playbook: string, cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<AnsibleRun> {
  stopMasters(setup);
  rmSync(setup.sessionLog, { force: true });
  writeFileSync(setup.sessionLog, '');
  const m = await measure(bin, [playbook], {
    cwd,
    env: { ...process.env, ANSIBLE_CONFIG: setup.config, ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0', ...extraEnv },
    detachedMarker: setup.controlDir,
  });
  stopMasters(setup);
  const byAddr = countSessions(readFileSync(setup.sessionLog, 'utf8'), inv.hosts.map((h) => h.address));
  const sessions = new Map(inv.hosts.map((h) => [h.name, byAddr.get(h.address) ?? 0]));
  return { m, sessions, recap: parseAnsibleRecap(m.stdout) };
}
