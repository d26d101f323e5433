// Run one backup script on each selected host over fleet's own transport (cli/on-hosts.ts: the
// same connection settings, pinned host keys and sudo as `fleet apply`), hosts in parallel.
import type { Inventory } from '../../model/inventory.js';
import type { ExecResult } from '../../model/transport.js';
import { Redactor } from '../../report/index.js';
import { learnSecrets, onHosts } from '../on-hosts.js';

export type HostOutcome = { host: string; result: ExecResult } | { host: string; error: string };

/** A redactor that knows every secret-named value of these hosts' inventory variables (the
 * repository password among them) and their sudo passwords: nothing a host prints can show it. */
export function redactorFor(inv: Inventory, hosts: string[]): Redactor {
  const r = new Redactor();
  learnSecrets(inv, hosts, r);
  return r;
}

export async function runOnHosts(inv: Inventory, hosts: string[], script: string, opts: { forks: number; signal: AbortSignal }): Promise<HostOutcome[]> {
  const outcomes = await onHosts({
    inventory: inv,
    hosts,
    script,
    forks: opts.forks,
    // The backup files are root's: sudo wherever fleet logs in as another user (the
    // transport ignores become for root).
    become: true,
    acceptNewHostKeys: false,
    signal: opts.signal,
    onDone: () => undefined,
  });
  return outcomes.map((o) => (o.rc !== undefined ? { host: o.host, result: { rc: o.rc, stdout: o.stdout, stderr: o.stderr } } : { host: o.host, error: o.msg ?? o.status }));
}
