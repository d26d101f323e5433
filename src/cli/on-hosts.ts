// One script on many hosts, as `fleet run` and `fleet facts` need it: the transport's own
// connect (pinned host keys, sudo, ProxyJump, SOCKS), at most --forks hosts at once, every
// host's result kept whatever happens to the others, nothing new started after Ctrl-C.
import { Limiter } from '../engine/limiter.js';
import { HandshakeWindow } from '../engine/handshake-window.js';
import { connectWithRetry } from '../engine/connect-retry.js';
import { secretValues } from '../engine/secrets.js';
import type { Inventory } from '../model/inventory.js';
import type { HostSession } from '../model/transport.js';
import type { Redactor } from '../report/index.js';
import type { AdhocResultEvent } from '../report/adhoc.js';
import { connect } from '../transport/index.js';
import { resolveBecomePassword } from '../transport/become.js';

/** One host's end: what the ad-hoc reporter shows as a `result` event. */
export type HostOutcome = Omit<AdhocResultEvent, 'type'>;

export interface OnHostsOptions {
  inventory: Inventory;
  hosts: string[];
  script: string;
  forks: number;
  /** Default: each host's own `become`. */
  become?: boolean;
  acceptNewHostKeys: boolean;
  signal: AbortSignal;
  onOutput?: (host: string, stream: 'stdout' | 'stderr', text: string) => void;
  onConnect?: (host: string, connectMs: number) => void;
  onDone: (o: HostOutcome) => void;
}

/** Teach the redactor every secret these hosts' variables and sudo passwords hold. */
export function learnSecrets(inv: Inventory, hosts: string[], redactor: Redactor): void {
  for (const name of hosts) {
    const host = inv.hosts.get(name)!;
    for (const s of secretValues(host.vars)) redactor.add(s);
    try {
      const pw = resolveBecomePassword(name, host.connection);
      if (pw) redactor.add(pw);
    } catch {
      // The connection reports it, for this host alone.
    }
  }
}

export async function onHosts(opts: OnHostsOptions): Promise<HostOutcome[]> {
  const forks = new Limiter(Math.max(1, opts.forks));
  // The engine's adaptive bound on handshakes in flight and its retries, for the same reason:
  // on a small controller, hundreds of simultaneous handshakes push some past the timeout.
  const handshakes = new HandshakeWindow();
  const pause = (ms: number) =>
    new Promise<boolean>((resolve) => {
      if (opts.signal.aborted) return resolve(true);
      const t = setTimeout(() => resolve(false), ms);
      opts.signal.addEventListener('abort', () => (clearTimeout(t), resolve(true)), { once: true });
    });
  const one = async (name: string): Promise<HostOutcome> => {
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    if (opts.signal.aborted) return { host: name, status: 'interrupted', stdout: '', stderr: '', durationMs: 0 };
    const host = opts.inventory.hosts.get(name)!;
    let session: HostSession;
    try {
      ({ session } = await connectWithRetry(
        () => connect(host, { knownHostsFile: opts.inventory.knownHostsFile, acceptNewHostKeys: opts.acceptNewHostKeys, signal: opts.signal }),
        { window: handshakes, timeoutMs: host.connection.connectTimeoutMs, pause },
      ));
    } catch (err) {
      const status = opts.signal.aborted ? 'interrupted' : 'unreachable';
      return { host: name, status, stdout: '', stderr: '', msg: (err as Error).message, durationMs: ms() };
    }
    opts.onConnect?.(name, session.connectMs);
    try {
      const r = await session.run(opts.script, {
        become: opts.become ?? host.connection.become,
        onOutput: opts.onOutput && ((stream, text) => opts.onOutput!(name, stream, text)),
      });
      const o: HostOutcome = { host: name, status: r.rc === 0 ? 'ok' : 'failed', rc: r.rc, stdout: r.stdout, stderr: r.stderr, connectMs: session.connectMs, durationMs: ms() };
      if (r.dropped) o.dropped = r.dropped;
      return o;
    } catch (err) {
      // Dropped mid-command, or sudo refused: the host answered, or it did not.
      const lost = (err as Error).name === 'UnreachableError';
      const status = opts.signal.aborted ? 'interrupted' : lost ? 'unreachable' : 'failed';
      return { host: name, status, stdout: '', stderr: '', msg: (err as Error).message, connectMs: session.connectMs, durationMs: ms() };
    } finally {
      session.close();
    }
  };
  return Promise.all(
    opts.hosts.map((h) =>
      forks.run(async () => {
        const o = await one(h);
        opts.onDone(o);
        return o;
      }),
    ),
  );
}
