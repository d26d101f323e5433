// What carries the SSH bytes to a host: nothing special (ssh2 dials TCP), a ProxyCommand's
// stdin/stdout, a SOCKS5 proxy, or a channel through a bastion (which itself may sit behind
// the SOCKS5 proxy).
import type { Duplex } from 'node:stream';
import { HostKeyError, UnreachableError } from '../model/transport.js';
import type { Host } from '../model/inventory.js';
import type { AuthPlan } from './auth.js';
import { describeCause, unreachableMessage, type Target } from './errors.js';
import { pinningPolicy } from './host-key-policy.js';
import { acquireBastion, forwardThrough, parseHostPort, parseProxyJump, socksStream, type HostPort } from './proxy.js';
import { openSsh } from './ssh-client.js';
import { expandProxyCommand, spawnProxyCommand } from './proxy-command.js';

export interface Underlay {
  sock?: Duplex;
  /** "through SOCKS5 proxy ..." / "through bastion ...", for messages. */
  via?: string;
  /** A ProxyCommand's own account of a failed connection (exit status, stderr), if any. */
  failure?(): Promise<string | undefined>;
  release(): void;
}

export interface UnderlayOptions {
  knownHostsFile: string;
  acceptNewHostKeys: boolean;
  /** Credentials for the bastion: the same key/agent as the host. */
  auth: () => AuthPlan;
}

function socksCause(err: unknown, proxy: HostPort): string {
  const e = err as NodeJS.ErrnoException;
  // The socks package reports a failed TCP connect to the proxy as "connect ECONNREFUSED ...".
  const code = e?.code ?? /^connect (E[A-Z]+)/.exec(e?.message ?? '')?.[1];
  if (code) return `the SOCKS5 proxy ${proxy.host}:${proxy.port} is not reachable (${code})`;
  return `the SOCKS5 proxy said: ${e?.message ?? String(err)}`;
}

async function viaSocks(hostName: string, spec: string, dest: HostPort, t: Target, timeoutMs: number): Promise<Duplex> {
  let proxy: HostPort;
  try {
    proxy = parseHostPort(spec, 1080);
  } catch (err) {
    throw new UnreachableError(hostName, `${hostName}: socks_proxy: ${(err as Error).message}`);
  }
  try {
    return await socksStream(proxy, dest, timeoutMs);
  } catch (err) {
    throw new UnreachableError(hostName, unreachableMessage({ ...t, via: `through SOCKS5 proxy ${spec}` }, socksCause(err, proxy)));
  }
}

/** The command, short enough for a message. */
function shortCommand(cmd: string): string {
  return JSON.stringify(cmd.length > 80 ? `${cmd.slice(0, 77)}...` : cmd);
}

function viaProxyCommand(host: Host, dest: HostPort): Underlay {
  const conn = host.connection;
  const cmd = expandProxyCommand(conn.proxyCommand!, { host: dest.host, port: dest.port, user: conn.user, name: host.name });
  const p = spawnProxyCommand(cmd);
  return {
    sock: p.sock,
    via: `through proxy command ${shortCommand(cmd)}`,
    failure: p.failure,
    release: () => {
      p.sock.destroy();
      p.kill();
    },
  };
}

export async function openUnderlay(host: Host, dest: HostPort, t: Target, o: UnderlayOptions): Promise<Underlay> {
  const conn = host.connection;
  const timeoutMs = conn.connectTimeoutMs;
  if (conn.proxyCommand) return viaProxyCommand(host, dest);
  if (!conn.proxyJump) {
    if (!conn.socksProxy) return { release: () => undefined };
    const sock = await viaSocks(host.name, conn.socksProxy, dest, t, timeoutMs);
    return { sock, via: `through SOCKS5 proxy ${conn.socksProxy}`, release: () => sock.destroy() };
  }

  let jump: ReturnType<typeof parseProxyJump>;
  try {
    jump = parseProxyJump(conn.proxyJump, conn.user);
  } catch (err) {
    throw new UnreachableError(host.name, `${host.name}: proxy_jump: ${(err as Error).message}`);
  }
  const via = `through bastion ${jump.user}@${jump.host}:${jump.port}`;
  const bt: Target = {
    name: host.name,
    label: `bastion ${jump.host}`,
    address: jump.host,
    port: jump.port,
    user: jump.user,
  };
  const poolKey = [jump.user, jump.host, jump.port, conn.privateKeyFile ?? '', conn.socksProxy ?? '', o.knownHostsFile].join('|');
  let bastion: Awaited<ReturnType<typeof acquireBastion>>;
  try {
    bastion = await acquireBastion(poolKey, async () => {
      const auth = o.auth();
      const policy = await pinningPolicy(o.knownHostsFile, o.acceptNewHostKeys, bt);
      const sock = conn.socksProxy ? await viaSocks(host.name, conn.socksProxy, jump, bt, timeoutMs) : undefined;
      try {
        const { client } = await openSsh({
          address: jump.host,
          port: jump.port,
          username: jump.user,
          auth,
          sock,
          readyTimeoutMs: timeoutMs,
          keepaliveIntervalMs: conn.keepaliveIntervalMs,
          hostKeyAlgorithms: policy.algorithms,
          verifyKey: policy.verify,
        });
        return client;
      } catch (err) {
        if (err instanceof HostKeyError) throw err;
        throw new UnreachableError(host.name, unreachableMessage(bt, describeCause(err, bt, timeoutMs, auth.tried)));
      }
    });
  } catch (err) {
    // The bastion connection is shared: re-attribute its failure to this host.
    if (err instanceof HostKeyError) throw new HostKeyError(host.name, err.message);
    if (err instanceof UnreachableError) throw new UnreachableError(host.name, err.message);
    throw new UnreachableError(host.name, unreachableMessage(bt, (err as Error).message));
  }
  try {
    const sock = await forwardThrough(bastion.client, dest, timeoutMs);
    return {
      sock,
      via,
      release: () => {
        sock.destroy();
        bastion.release();
      },
    };
  } catch (err) {
    bastion.release();
    throw new UnreachableError(host.name, unreachableMessage({ ...t, via }, (err as Error).message));
  }
}
