// What the lab may touch on this machine, captured as text, to prove that `lab down` leaves
// it exactly as it was: links, named netns, mounts, nftables, iptables, cgroups, sysctls,
// and processes of the instance. Other lab instances on the same machine (another person's
// tests, resetting and rebooting their hosts meanwhile) are left out: they change on their own.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface MachineSnapshot {
  links: string[];
  netns: string[];
  mounts: string[];
  nft: string;
  iptables: string;
  cgroups: string[];
  sysctls: Record<string, string>;
  processes: string[];
}

const SYSCTLS = ['fs.inotify.max_user_instances', 'fs.inotify.max_user_watches', 'net.ipv4.ip_forward'];

function run(argv: string[]): string {
  try {
    return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  } catch (e) {
    return `(${argv.join(' ')} failed: ${(e as Error).message})`;
  }
}

/** Counters and packet statistics change by themselves: keep names and structure only. */
function normaliseIptables(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/g, '[*]'))
    .join('\n');
}

function cgroupDirs(): string[] {
  const roots = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified', '/sys/fs/cgroup/systemd'];
  const out = new Set<string>();
  for (const r of roots) {
    try {
      for (const e of fs.readdirSync(r, { withFileTypes: true })) if (e.isDirectory()) out.add(path.join(r, e.name));
    } catch {
      /* hierarchy absent */
    }
  }
  return [...out].sort();
}

/** Does a text name another lab instance's object: a bridge br-X, a host's veth vb-X<n>
 * (host names are the instance's name and a number), a fleet-lab-X dir or cgroup, an nft
 * table fleet_lab_X (fleet-lab / fleet_lab alone: the default instance "lab")? */
function otherLab(text: string, own: string): boolean {
  for (const m of text.matchAll(/\bbr-([a-z][a-z0-9]*)\b|\bvb-([a-z][a-z0-9]*)\b|fleet[-_]lab(?:[-_]([a-z][a-z0-9]*))?/g)) {
    if (m[2] !== undefined ? !new RegExp(`^${own}\\d+$`).test(m[2]) : (m[1] ?? m[3] ?? 'lab') !== own) return true;
  }
  return false;
}

/** nft's ruleset without the tables of other lab instances. */
function nftWithout(ruleset: string, own: string): string {
  return ruleset
    .split(/\n(?=table )/)
    .filter((t) => !(t.startsWith('table ') && otherLab(t.split('\n')[0], own)))
    .join('\n');
}

/** processMatch: substring of the command lines of the processes that count (e.g. a state
 * dir); own: the instance's name, whose objects are compared (other instances' are not). */
export function snapshotMachine(processMatch: string, own: string): MachineSnapshot {
  const links = run(['ip', '-o', 'link', 'show'])
    .split('\n')
    .filter(Boolean)
    // Interface indexes and link-layer details are not what we compare; names and masters are.
    .map((l) => l.replace(/^\d+:\s+/, '').replace(/\s+link\/.*$/, '').replace(/ qlen \d+/, ''))
    .filter((l) => !otherLab(l, own))
    .sort();
  let netns: string[] = [];
  try {
    netns = fs.readdirSync('/run/netns').sort();
  } catch {
    /* none */
  }
  const mounts = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const f = l.split(' ');
      return `${f[4]} ${f[f.indexOf('-') + 1]}`;
    })
    .filter((m) => !otherLab(m, own))
    .sort();
  const sysctls = Object.fromEntries(
    SYSCTLS.map((k) => {
      try {
        return [k, fs.readFileSync(path.join('/proc/sys', ...k.split('.')), 'utf8').trim()];
      } catch {
        return [k, '(absent)'];
      }
    }),
  );
  const processes: string[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const c = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (c.includes(processMatch)) processes.push(`${e} ${c}`);
    } catch {
      /* exited */
    }
  }
  return {
    links,
    netns,
    mounts,
    nft: nftWithout(run(['nft', 'list', 'ruleset']), own),
    iptables: normaliseIptables(run(['iptables-save'])).split('\n').filter((l) => !otherLab(l, own)).join('\n'),
    cgroups: cgroupDirs().filter((c) => !otherLab(c, own)),
    sysctls,
    processes,
  };
}
