// The byte stream under SSH when a host is not reached directly: a SOCKS5 proxy (Tor) or a
// bastion (ProxyJump). Bastion connections are shared by every host behind them, refcounted:
// 50 hosts behind one bastion make one connection to it, not 50 (sshd's MaxStartups would drop them).
import type { Duplex } from 'node:stream';
import type { Client } from 'ssh2';

export interface HostPort {
  host: string;
  port: number;
}

/** "host:port", "[v6]:port" or "host" (default port). */
export function parseHostPort(spec: string, defaultPort: number): HostPort {
  const s = spec.trim();
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return { host: v6[1], port: v6[2] ? Number(v6[2]) : defaultPort };
  const m = /^([^:\s]+)(?::(\d+))?$/.exec(s);
  if (!m) throw new Error(`expected host:port, got "${spec}"`);
  const port = m[2] ? Number(m[2]) : defaultPort;
  if (!(port > 0 && port < 65536)) throw new Error(`port out of range in "${spec}"`);
  return { host: m[1], port };
}

/** "user@host:port" as ssh -J takes it (one hop; user and port optional). */
export function parseProxyJump(spec: string, defaultUser: string): HostPort & { user: string } {
  if (spec.includes(',')) throw new Error(`only one jump host is supported, got "${spec}"`);
  const at = spec.lastIndexOf('@');
  const user = at >= 0 ? spec.slice(0, at) : defaultUser;
  if (user === '') throw new Error(`empty user in proxy_jump "${spec}"`);
  return { user, ...parseHostPort(at >= 0 ? spec.slice(at + 1) : spec, 22) };
}

/** A TCP stream to dest through a SOCKS5 proxy; the proxy resolves names (.onion works). */
export async function socksStream(proxy: HostPort, dest: HostPort, timeoutMs: number): Promise<Duplex> {
  // Loaded here, not at start-up: only a host behind a SOCKS proxy needs it.
  const { SocksClient } = await import('socks');
  const { socket } = await SocksClient.createConnection({
    proxy: { host: proxy.host, port: proxy.port, type: 5 },
    command: 'connect',
    destination: { host: dest.host, port: dest.port },
    timeout: timeoutMs,
  });
  return socket;
}

/** A direct-tcpip channel from the bastion to dest, bounded by timeoutMs. */
export function forwardThrough(bastion: Client, dest: HostPort, timeoutMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs);
    try {
      bastion.forwardOut('127.0.0.1', 0, dest.host, dest.port, (err, stream) => {
        clearTimeout(timer);
        if (err) reject(new Error(`the bastion could not open a connection: ${err.message.replace(/^\(SSH\) /, '')}`));
        else resolve(stream);
      });
    } catch (err) {
      clearTimeout(timer);
      reject(err);
    }
  });
}

interface PoolEntry {
  ready: Promise<Client>;
  refs: number;
}
const pool = new Map<string, PoolEntry>();

/**
 * Get (or open) the shared bastion connection for key. release() drops one reference; the last
 * one closes it. A bastion that dies leaves the pool, so the next host opens a fresh one.
 */
export async function acquireBastion(key: string, open: () => Promise<Client>): Promise<{ client: Client; release: () => void }> {
  let entry = pool.get(key);
  if (!entry) {
    const created: PoolEntry = { ready: open(), refs: 0 };
    entry = created;
    pool.set(key, created);
    created.ready.then(
      (c) => c.on('close', () => pool.get(key) === created && pool.delete(key)),
      () => pool.get(key) === created && pool.delete(key),
    );
  }
  entry.refs++;
  const mine = entry;
  let client: Client;
  try {
    client = await mine.ready;
  } catch (err) {
    mine.refs--;
    throw err;
  }
  let released = false;
  return {
    client,
    release: () => {
      if (released) return;
      released = true;
      if (--mine.refs === 0) {
        if (pool.get(key) === mine) pool.delete(key);
        client.end();
      }
    },
  };
}
