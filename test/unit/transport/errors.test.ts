import { describe, expect, it } from 'vitest';
import { changedKeyMessage, describeCause, unknownKeyMessage, unreachableMessage, type Target } from '../../../src/transport/errors.js';
import { parseKnownHosts } from '../../../src/transport/known-hosts.js';
import { fingerprint } from '../../../src/transport/fingerprint.js';

const t: Target = { name: 'web1', address: '203.0.113.7', port: 2222, user: 'deploy' };
// A syntactically valid ed25519 blob (type + 32 bytes); any bytes make a distinct key.
function blob(fill: number): Buffer {
  const type = Buffer.from('ssh-ed25519');
  const b = Buffer.alloc(4 + type.length + 4 + 32, fill);
  b.writeUInt32BE(type.length, 0);
  type.copy(b, 4);
  b.writeUInt32BE(32, 4 + type.length);
  return b;
}

function err(message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), extra);
}

describe('describeCause', () => {
  it('names the common failures in words', () => {
    expect(describeCause(err('connect ECONNREFUSED 203.0.113.7:2222', { code: 'ECONNREFUSED' }), t, 10000)).toBe('connection refused');
    expect(describeCause(err('Timed out while waiting for handshake', { level: 'client-timeout' }), t, 2500)).toBe('timed out after 2.5 s');
    expect(describeCause(err('getaddrinfo ENOTFOUND nope.invalid', { code: 'ENOTFOUND' }), { ...t, address: 'nope.invalid' }, 1)).toBe(
      'cannot resolve nope.invalid (DNS: ENOTFOUND)',
    );
    expect(describeCause(err('connect EHOSTUNREACH', { code: 'EHOSTUNREACH' }), t, 1)).toBe('no route to host');
    expect(describeCause(err('All configured authentication methods failed', { level: 'client-authentication' }), t, 1, ['key /k'])).toBe(
      'authentication failed as deploy (tried key /k)',
    );
    expect(describeCause(err('Keepalive timeout', { level: 'client-timeout' }), t, 1)).toBe('no answer to keepalives (connection lost)');
  });
});

describe('messages', () => {
  it('unreachable names host, address:port, the proxy and the cause', () => {
    expect(unreachableMessage({ ...t, via: 'through SOCKS5 proxy 127.0.0.1:9050' }, 'connection refused')).toBe(
      'web1: cannot connect to 203.0.113.7:2222 through SOCKS5 proxy 127.0.0.1:9050: connection refused',
    );
  });

  it('unknown key: fingerprint and how to accept it', () => {
    const k = blob(7);
    expect(unknownKeyMessage(t, k)).toBe(
      `host key for web1 (203.0.113.7:2222) is not known: ED25519 key ${fingerprint(k)}. Accept it with: fleet hostkeys accept web1 (or run with --accept-new-hostkeys)`,
    );
  });

  it('changed key: both fingerprints, the pinned line, and how to remove it', () => {
    const old = blob(1);
    const now = blob(2);
    const { entries } = parseKnownHosts(`# x\n[203.0.113.7]:2222 ssh-ed25519 ${old.toString('base64')}\n`);
    const msg = changedKeyMessage(t, now, entries, 'inventory/known_hosts');
    expect(msg).toContain(`pinned ED25519 key ${fingerprint(old)} (inventory/known_hosts:2)`);
    expect(msg).toContain(`offered ED25519 key ${fingerprint(now)}`);
    expect(msg).toContain("ssh-keygen -R '[203.0.113.7]:2222' -f inventory/known_hosts");
    expect(fingerprint(old)).not.toBe(fingerprint(now));
  });
});
