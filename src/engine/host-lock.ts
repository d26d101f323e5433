// The per-host run lock: taken ON THE HOST, inside the run's first round trip (no round trip
// of its own), so two controllers (a colleague's too) never apply to one host at once.
//
// The lock is /run/lock/fleet.lock, one line: the pid and start time of the sshd process that
// serves the owning run's connection, the host's boot id, and who the owner is. It is held
// while that sshd process lives: the run's connection closing (the run ended, the controller
// was killed, the link dropped and sshd noticed) or a reboot frees it, with no release round
// trip and nothing to go stale. Taking and testing happen under flock(1) on a mutex file, so
// two runs breaking the same stale lock cannot both win.
import { hostname, userInfo } from 'node:os';
import { q } from '../model/shell.js';
import type { Section, SectionResult } from './script.js';

export const LOCK_FILE = '/run/lock/fleet.lock';
/** The lock section's exit status when another live run holds the lock. */
export const LOCK_BUSY = 75;

export interface LockOptions {
  /** Wait for a busy lock (polling) rather than fail the host at once (`--no-wait`). */
  wait: boolean;
  /** How long to wait before failing the host (`--lock-timeout`). */
  timeoutMs: number;
  /** Who we are, shown to a run that finds the lock busy. */
  owner: string;
}

/** "user@controller pid N, fleet apply since ISO": one line of safe characters. */
export function ownerDescription(mode: 'apply' | 'check', now = new Date()): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry for the uid (containers): the pid still names the run.
  }
  const text = `${user}@${hostname()} pid ${process.pid}, fleet ${mode} since ${now.toISOString().replace(/\.\d+Z$/, 'Z')}`;
  return text.replace(/[^A-Za-z0-9@._:,+ -]/g, '?');
}

/** The sh that takes the lock (apply) or only checks that no apply holds it (check: checks do
 * not exclude each other, and an apply writes files by atomic rename, so a check never reads a
 * half-written file; it only waits so that it does not report a state an apply is changing).
 * Exit 0: taken/free (stdout `stale OWNER` when a dead run's lock was broken); LOCK_BUSY:
 * held, stdout `held OWNER`; anything else: the lock could not be handled (stderr says why). */
export function lockSection(mode: 'take' | 'test', owner: string): Section {
  // FLEET_LOCK_FILE (set by the host's sshd): hosts that share one filesystem, as the light
  // hosts of scale tests do, each need a lock of their own.
  const text = String.raw`L=$${'{'}FLEET_LOCK_FILE:-${LOCK_FILE}}
umask 022
# The mutex is opened read-only (flock needs no write access): another user's mutex file in
# the sticky /run/lock cannot be opened for writing, even by root (fs.protected_regular).
[ -e "$L.mutex" ] || : >>"$L.mutex"
exec 9<"$L.mutex"
flock -w 20 9
read -r boot </proc/sys/kernel/random/boot_id
# This run's owner: the sshd process serving this connection (it lives as long as the run's
# connection); without one (not over sshd), this script itself.
p=$$
while [ "$p" -gt 1 ]; do
  read -r c </proc/$p/comm || { p=1; break; }
  case $c in sshd|sshd-session) break ;; esac
  pp=1
  while read -r k v; do [ "$k" = PPid: ] && { pp=$v; break; }; done </proc/$p/status
  p=$pp
done
[ "$p" -gt 1 ] || p=$$
# Builtins only from here (each fork costs the host more than the rest of the script).
starttime() { st=; s=; [ -r /proc/$1/stat ] && read -r s </proc/$1/stat 2>/dev/null; s=$${'{'}s##*) }; set -- $s; st=$${'{'}20:-}; }
starttime "$p"; start=$st
stale=
if [ -s "$L" ]; then
  read -r op os ob od <"$L" || :
  st=
  [ -z "$op" ] || starttime "$op"
  if [ "$ob" = "$boot" ] && [ -n "$op" ] && [ "$st" = "$os" ] && [ "$op" != "$p" ]; then
    echo "held $od"
    exit ${LOCK_BUSY}
  fi
  stale=$od
fi
${mode === 'take' ? `line="$p $start $boot "${q(owner)}\n# Written in place (readers hold the mutex); another user's file is replaced instead.\n{ printf '%s\\n' "$line" >"$L"; } 2>/dev/null || { printf '%s\\n' "$line" >"$L.$$" && mv -f "$L.$$" "$L"; }` : ':'}
[ -z "$stale" ] || echo "stale $stale"
`;
  return { kind: 'apply', text };
}

export type LockState = { state: 'free'; stale?: string } | { state: 'held'; owner: string } | { state: 'error'; msg: string };

export function parseLockResult(r: SectionResult | undefined): LockState {
  if (!r) return { state: 'error', msg: 'the lock section produced no result' };
  const line = (prefix: string) =>
    r.stdout
      .split('\n')
      .find((l) => l.startsWith(prefix + ' '))
      ?.slice(prefix.length + 1)
      .trim();
  if (r.rc === 0) {
    const stale = line('stale');
    return stale ? { state: 'free', stale } : { state: 'free' };
  }
  if (r.rc === LOCK_BUSY) return { state: 'held', owner: line('held') || 'another run (no owner recorded)' };
  return { state: 'error', msg: `cannot take the run lock ${LOCK_FILE} (exit ${r.rc}): ${(r.stderr || r.stdout).trim() || 'no message'}` };
}
