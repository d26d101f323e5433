// connect(): one ssh2 connection per host for the whole run, host key pinned, ready to exec.
import type { Host } from '../model/inventory.js';
import type { HostSession } from '../model/transport.js';
import { HostKeyError, UnreachableError } from '../model/transport.js';
import { planAuth, type AuthPlan } from './auth.js';
import { resolveBecomePassword } from './become.js';
import { classifyConnectFailure, HandshakeError, removeHint, unreachableMessage, type Target } from './errors.js';
import { pinningPolicy, type HostKeyPolicy } from './host-key-policy.js';
import { SshSession } from './session.js';
import { openSsh } from './ssh-client.js';
import { openUnderlay } from './underlay.js';

export interface ConnectOptions {
  knownHostsFile: string;
  acceptNewHostKeys: boolean;
  signal?: AbortSignal;
  portOverride?: number;
}

export function targetOf(host: Host, portOverride?: number): Target {
  const c = host.connection;
  return { name: host.name, address: c.address, port: portOverride ?? c.port, user: c.user };
}

/** Map a failure of the final handshake to the error the engine expects. */
export function connectError(err: unknown, t: Target, timeoutMs: number, tried: string[], policy: HostKeyPolicy, knownHostsFile: string): Error {
  if (err instanceof HostKeyError || err instanceof UnreachableError) return err;
  const msg = String((err as Error)?.message ?? err);
  if (policy.pinnedTypes.length > 0 && /no matching host key/i.test(msg)) {
    // We only offered the pinned types: a server without them has changed its keys.
    return new HostKeyError(
      t.name,
      `HOST KEY CHANGED for ${t.label ?? t.name} (${t.address}:${t.port}): it no longer offers a ${policy.pinnedTypes.join('/')} key as pinned in ${knownHostsFile}. ` +
        `Refusing to connect. If the host was really reinstalled, remove the old key with: ${removeHint(knownHostsFile, t.address, t.port)}, then run: fleet hostkeys accept ${t.name}`,
    );
  }
  const phase = err instanceof HandshakeError ? err.phase : 'tcp';
  const { kind, cause } = classifyConnectFailure(err, phase, t, timeoutMs, tried);
  return new UnreachableError(t.name, unreachableMessage(t, cause), { kind, reason: cause });
}

export async function connect(host: Host, opts: ConnectOptions): Promise<HostSession> {
  const started = performance.now();
  const conn = host.connection;
  const t = targetOf(host, opts.portOverride);
  if (opts.signal?.aborted) throw new UnreachableError(host.name, unreachableMessage(t, 'aborted'));
  // Resolved up front: a missing password file is this host's failure, before any task runs.
  const password = conn.user === 'root' ? undefined : resolveBecomePassword(host.name, conn);
  let auth: AuthPlan;
  try {
    auth = planAuth(conn);
  } catch (err) {
    throw new UnreachableError(host.name, unreachableMessage(t, (err as Error).message));
  }
  const policy = await pinningPolicy(opts.knownHostsFile, opts.acceptNewHostKeys, t);
  const under = await openUnderlay(host, { host: t.address, port: t.port }, t, {
    knownHostsFile: opts.knownHostsFile,
    acceptNewHostKeys: opts.acceptNewHostKeys,
    auth: () => auth,
  });
  t.via = under.via;
  let client;
  try {
    ({ client } = await openSsh({
      address: t.address,
      port: t.port,
      username: conn.user,
      auth,
      sock: under.sock,
      readyTimeoutMs: conn.connectTimeoutMs,
      keepaliveIntervalMs: conn.keepaliveIntervalMs,
      hostKeyAlgorithms: policy.algorithms,
      verifyKey: policy.verify,
      signal: opts.signal,
    }));
  } catch (err) {
    // A ProxyCommand that died says why better than the closed stream does.
    const why = err instanceof HostKeyError ? undefined : await under.failure?.();
    under.release();
    if (why) throw new UnreachableError(host.name, unreachableMessage(t, why));
    throw connectError(err, t, conn.connectTimeoutMs, auth.tried, policy, opts.knownHostsFile);
  }
  const connectMs = Math.round(performance.now() - started);
  const onAbort = () => session.close();
  const session = new SshSession(client, {
    target: t,
    become: conn.become,
    password,
    connectMs,
    timeoutMs: conn.connectTimeoutMs,
    onClose: () => {
      under.release();
      opts.signal?.removeEventListener('abort', onAbort);
    },
  });
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  return session;
}
