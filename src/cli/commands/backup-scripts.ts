// The shell the backup commands send to a host: calls of the fleet-backups script the
// backups role installs (the logic lives there, tested on real hosts). Pure text.
import { q as shQuote } from '../../modules/lib/sh.js';

const SCRIPT = '/usr/local/sbin/fleet-backups';

/** Exit 3 and a clear line when the role was never applied to the host. */
const REQUIRE = `[ -x ${SCRIPT} ] || { echo "backups are not set up on this host: apply the backups role first" >&2; exit 3; }\n`;

export function statusScript(): string {
  return `if [ -x ${SCRIPT} ]; then exec ${SCRIPT} status; fi\necho configured=0\n`;
}

/** Start the service and wait for it (a run the timer started is joined, not doubled),
 * then print the status it recorded. */
export function runScript(): string {
  return `${REQUIRE}systemctl start fleet-backups.service\nrc=$?\n${SCRIPT} status\nexit $rc\n`;
}

export interface RestoreSpec {
  snapshot: string;
  paths: string[];
  to?: string;
  databases: string[];
}

export function restoreScript(s: RestoreSpec): string {
  let out = `${REQUIRE}set -e\n`;
  // Files: the paths asked for; the whole snapshot when neither paths nor databases were.
  if (s.paths.length > 0 || s.databases.length === 0) {
    const args = ['restore', '--snapshot', s.snapshot, ...s.paths.flatMap((p) => ['--include', p]), ...(s.to ? ['--target', s.to] : [])];
    out += `${SCRIPT} ${args.map(shQuote).join(' ')}\n`;
  }
  for (const db of s.databases) out += `${SCRIPT} restore-db ${shQuote(db)} --snapshot ${shQuote(s.snapshot)}\n`;
  return out;
}
