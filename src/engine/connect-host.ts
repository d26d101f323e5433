// Opening an SSH connection to a host for the run: through the run's handshake window, tried
// again when it fails for a passing reason (connect-retry.ts).
import type { Host } from '../model/inventory.js';
import { connectWithRetry, type Connected } from './connect-retry.js';
import type { RunShared } from './run-shared.js';

/** The run's own connection (`fresh: false`) follows --accept-new-hostkeys; a fresh one that
 * proves a way in (reconnect) only trusts a key already pinned. */
export function connectHost(shared: RunShared, host: Host, opts: { fresh: boolean; port?: number; knownHostsFile?: string }): Promise<Connected> {
  return connectWithRetry(
    () =>
      shared.deps.connect(host, {
        knownHostsFile: opts.knownHostsFile ?? shared.inventory.knownHostsFile,
        acceptNewHostKeys: opts.fresh ? false : shared.opts.acceptNewHostKeys,
        portOverride: opts.port,
        signal: shared.opts.signal,
      }),
    { window: shared.handshakes, timeoutMs: host.connection.connectTimeoutMs, pause: (ms) => shared.pause(ms), policy: shared.retryPolicy },
  );
}
