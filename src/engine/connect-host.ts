// Opening an SSH connection to a host for the run, bounded by the run's handshake limiter.
import type { Host } from '../model/inventory.js';
import type { HostSession } from '../model/transport.js';
import type { RunShared } from './run-shared.js';

/** The run's own connection (`fresh: false`) follows --accept-new-hostkeys; a fresh one that
 * proves a way in (reconnect) only trusts a key already pinned. */
export function connectHost(shared: RunShared, host: Host, opts: { fresh: boolean; port?: number }): Promise<HostSession> {
  return shared.handshakes.run(() =>
    shared.deps.connect(host, {
      knownHostsFile: shared.inventory.knownHostsFile,
      acceptNewHostKeys: opts.fresh ? false : shared.opts.acceptNewHostKeys,
      portOverride: opts.port,
      signal: shared.opts.signal,
    }),
  );
}
