// `fleet hostkeys accept HOST`: fetch the key a host offers (through its proxies) and pin it.
import type { Host } from '../model/inventory.js';
import { HostKeyError, UnreachableError } from '../model/transport.js';
import { planAuth, type AuthPlan } from './auth.js';
import { describeKey, fingerprint, keyTypeOf } from './fingerprint.js';
import { removeHint, unreachableMessage } from './errors.js';
import { DEFAULT_HOST_KEY_ALGORITHMS, pinningPolicy, type HostKeyPolicy } from './host-key-policy.js';
import { appendKnownHost } from './known-hosts.js';
import { connectError, targetOf } from './connect.js';
import { openSsh } from './ssh-client.js';
import { openUnderlay } from './underlay.js';

export interface ScannedKey {
  keyType: string;
  key: Buffer;
  fingerprint: string;
}

export interface ScanOptions {
  /** Restricts the scan to the key types pinned there (so the key is comparable), and verifies
   * the bastion of a proxy_jump host. Required for hosts behind a bastion. */
  knownHostsFile?: string;
  /** Record a bastion key that is not known yet (never replaces one). */
  acceptNewHostKeys?: boolean;
  portOverride?: number;
}

/** Thrown from the host verifier to stop the handshake once the key is in hand. */
class KeyInHand extends Error {
  constructor(readonly key: Buffer) {
    super('host key received');
  }
}

export async function scanHostKey(host: Host, opts: ScanOptions = {}): Promise<ScannedKey> {
  const conn = host.connection;
  const t = targetOf(host, opts.portOverride);
  let policy: HostKeyPolicy = { algorithms: DEFAULT_HOST_KEY_ALGORITHMS, pinnedTypes: [], verify: async () => undefined };
  if (opts.knownHostsFile) policy = await pinningPolicy(opts.knownHostsFile, false, t);
  if (conn.proxyJump && !opts.knownHostsFile) {
    throw new HostKeyError(host.name, `${host.name}: scanning a host behind proxy_jump needs a known_hosts file to verify the bastion`);
  }
  // The target's key arrives before authentication: only a bastion needs credentials.
  const noAuth: AuthPlan = { methods: [], tried: [] };
  const under = await openUnderlay(host, { host: t.address, port: t.port }, t, {
    knownHostsFile: opts.knownHostsFile ?? '',
    acceptNewHostKeys: opts.acceptNewHostKeys ?? false,
    auth: () => planAuth(conn),
  });
  t.via = under.via;
  try {
    const { client } = await openSsh({
      address: t.address,
      port: t.port,
      username: conn.user,
      auth: noAuth,
      sock: under.sock,
      readyTimeoutMs: conn.connectTimeoutMs,
      keepaliveIntervalMs: 0,
      hostKeyAlgorithms: policy.algorithms,
      verifyKey: async (key) => {
        throw new KeyInHand(key);
      },
    });
    client.end();
    throw new Error('unreachable: handshake completed without showing a host key');
  } catch (err) {
    if (err instanceof KeyInHand) {
      return { keyType: keyTypeOf(err.key), key: err.key, fingerprint: fingerprint(err.key) };
    }
    const why = err instanceof HostKeyError ? undefined : await under.failure?.();
    if (why) throw new UnreachableError(host.name, unreachableMessage(t, why));
    throw connectError(err, t, conn.connectTimeoutMs, [], policy, opts.knownHostsFile ?? 'known_hosts');
  } finally {
    under.release();
  }
}

/** Pin the host's current key in knownHostsFile; returns its fingerprint. Replaces nothing. */
export async function acceptHostKey(knownHostsFile: string, host: Host, opts: { portOverride?: number } = {}): Promise<string> {
  const t = targetOf(host, opts.portOverride);
  const scanned = await scanHostKey(host, { knownHostsFile, acceptNewHostKeys: true, portOverride: opts.portOverride });
  const res = await appendKnownHost(knownHostsFile, t.address, t.port, scanned.key);
  if (res.result === 'changed') {
    const was = res.pinned.map((p) => `${describeKey(p.key)} (${knownHostsFile}:${p.line})`).join(', ');
    throw new HostKeyError(
      host.name,
      `a different host key is already pinned for ${host.name} (${t.address}:${t.port}): pinned ${was}, offered ${describeKey(scanned.key)}. ` +
        `fleet replaces no key silently: if the host was really reinstalled, remove the old key with: ${removeHint(knownHostsFile, t.address, t.port)}, then accept again`,
    );
  }
  return scanned.fingerprint;
}
