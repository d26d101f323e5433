// Run one script on each selected host over fleet's own transport: the same connection
// settings, pinned host keys and become as `fleet apply`, hosts in parallel.
import type { Host, Inventory } from '../../model/inventory.js';
import type { ExecResult } from '../../model/transport.js';
import { connect } from '../../transport/index.js';
import { Limiter } from '../../engine/limiter.js';
import { secretValues } from '../../engine/vars.js';
import { Redactor } from '../../report/index.js';

export type HostOutcome = { host: string; result: ExecResult } | { host: string; error: string };

/** A redactor that knows every secret-named value of these hosts' inventory variables (the
 * repository password among them): nothing a host prints can show it. */
export function redactorFor(inv: Inventory, hosts: string[]): Redactor {
  const r = new Redactor();
  for (const h of hosts) for (const s of secretValues(inv.hosts.get(h)?.vars ?? {})) r.add(s);
  return r;
}

/** Root is needed (the backup files are root-only): sudo when fleet logs in as another user. */
function becomes(host: Host): boolean {
  return host.connection.become || host.connection.user !== 'root';
}

export async function runOnHosts(inv: Inventory, hosts: string[], script: (host: Host) => string, opts: { forks?: number; signal?: AbortSignal } = {}): Promise<HostOutcome[]> {
  const limiter = new Limiter(Math.max(1, opts.forks ?? 50));
  return Promise.all(
    hosts.map((name) =>
      limiter.run(async (): Promise<HostOutcome> => {
        const host = inv.hosts.get(name)!;
        let session;
        try {
          session = await connect(host, { knownHostsFile: inv.knownHostsFile, acceptNewHostKeys: false, signal: opts.signal });
        } catch (err) {
          return { host: name, error: err instanceof Error ? err.message : String(err) };
        }
        try {
          return { host: name, result: await session.run(script(host), { become: becomes(host) }) };
        } catch (err) {
          return { host: name, error: err instanceof Error ? err.message : String(err) };
        } finally {
          session.close();
        }
      }),
    ),
  );
}
