// One ssh2 Client brought to "ready": fast algorithms, keepalives, host key check, auth.
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2'; // CommonJS: named imports fail under Node's ESM loader
import type { Algorithms, Client, ConnectConfig } from 'ssh2';
import type { AuthPlan } from './auth.js';
import { HandshakeError, type HandshakePhase } from './errors.js';

/** Fast and modern first; the rest stays for older servers. */
export const KEX = [
  'curve25519-sha256',
  'curve25519-sha256@libssh.org',
  'ecdh-sha2-nistp256',
  'ecdh-sha2-nistp384',
  'ecdh-sha2-nistp521',
  'diffie-hellman-group-exchange-sha256',
  'diffie-hellman-group16-sha512',
  'diffie-hellman-group14-sha256',
] as const;
export const CIPHERS = [
  'aes128-gcm@openssh.com',
  'chacha20-poly1305@openssh.com',
  'aes256-gcm@openssh.com',
  'aes128-ctr',
  'aes256-ctr',
] as const;

export const KEEPALIVE_COUNT_MAX = 3;

export interface OpenOptions {
  address: string;
  port: number;
  username: string;
  auth: AuthPlan;
  /** Pre-connected stream (SOCKS socket, bastion channel); else ssh2 opens TCP itself. */
  sock?: Duplex;
  readyTimeoutMs: number;
  keepaliveIntervalMs: number;
  hostKeyAlgorithms: string[];
  /** Throw to refuse the key; the thrown error is what openSsh rejects with. */
  verifyKey(key: Buffer): Promise<void>;
  signal?: AbortSignal;
}

export function buildConnectConfig(o: OpenOptions): ConnectConfig {
  return {
    host: o.sock ? undefined : o.address,
    port: o.sock ? undefined : o.port,
    sock: o.sock,
    username: o.username,
    readyTimeout: o.readyTimeoutMs,
    keepaliveInterval: o.keepaliveIntervalMs,
    keepaliveCountMax: KEEPALIVE_COUNT_MAX,
    algorithms: {
      kex: [...KEX],
      cipher: [...CIPHERS],
      serverHostKey: o.hostKeyAlgorithms as NonNullable<Algorithms['serverHostKey']>,
      compress: ['none'],
    },
    authHandler: o.auth.methods,
  };
}

/** A ready client plus the first error that hit it after ready (ssh2 needs a listener always). */
export interface OpenClient {
  client: Client;
  config: ConnectConfig;
}

export function openSsh(o: OpenOptions): Promise<OpenClient> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    const config = buildConnectConfig(o);
    let settled = false;
    let keyError: unknown;
    // A given stream (SOCKS, bastion) is connected already: the server is next to speak.
    let phase: HandshakePhase = o.sock ? 'banner' : 'tcp';
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      o.signal?.removeEventListener('abort', onAbort);
      // ssh2 records the server's banner as it parses it; read, never listened for, so that
      // nothing here can put its socket into flowing mode early.
      if (phase === 'banner' && (client as unknown as { _remoteVer?: string })._remoteVer !== undefined) phase = 'kex';
      client.destroy();
      reject(keyError ?? new HandshakeError(err, phase));
    };
    const onAbort = () => fail(new Error('connection aborted'));
    if (o.signal?.aborted) return fail(new Error('connection aborted'));
    o.signal?.addEventListener('abort', onAbort, { once: true });

    config.hostVerifier = (key: Buffer, verify: (ok: boolean) => void) => {
      o.verifyKey(key).then(
        () => verify(true),
        (err) => {
          keyError = err;
          verify(false);
        },
      );
    };
    client.on('connect', () => {
      phase = 'banner';
    });
    client.on('handshake', () => {
      phase = 'auth';
    });
    client.on('error', (err) => fail(err));
    client.on('close', () => fail(new Error('connection closed by the server before it was ready')));
    client.on('ready', () => {
      if (settled) return;
      settled = true;
      o.signal?.removeEventListener('abort', onAbort);
      resolve({ client, config });
    });
    try {
      client.connect(config);
    } catch (err) {
      fail(err);
    }
  });
}
