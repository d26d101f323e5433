// What a failed connect says, and whether it is worth another try, against real sockets on
// loopback: nothing listening, a server that closes before its banner (as sshd does past
// MaxStartups), one that accepts and never speaks, one that speaks and then stalls.
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../../src/transport/index.js';
import { classifyConnectFailure, HandshakeError, type Target } from '../../../src/transport/errors.js';
import { UnreachableError } from '../../../src/model/transport.js';
import type { Host } from '../../../src/model/inventory.js';

const sockets: Socket[] = [];
function serve(onConn: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((s) => {
      sockets.push(s);
      onConn(s);
    });
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

let dir: string;
const servers: Server[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-connfail-'));
  writeFileSync(join(dir, 'id'), ssh2.utils.generateKeyPairSync('ed25519').private, { mode: 0o600 });
});
afterAll(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

function hostAt(port: number): Host {
  return {
    name: 'h',
    connection: { address: '127.0.0.1', port, user: 'root', become: false, connectTimeoutMs: 600, keepaliveIntervalMs: 0, privateKeyFile: join(dir, 'id') },
    groups: ['all'],
    vars: {},
    varSources: {},
  };
}

async function failureOf(port: number): Promise<UnreachableError> {
  const err = await connect(hostAt(port), { knownHostsFile: join(dir, 'known_hosts'), acceptNewHostKeys: true }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnreachableError);
  return err as UnreachableError;
}

describe('connect failures on real sockets', () => {
  it('nothing listening: no answer, not retried', async () => {
    const { server, port } = await serve(() => undefined);
    await new Promise((r) => server.close(r));
    const e = await failureOf(port);
    expect(e.kind).toBe('no-answer');
    expect(e.message).toBe(`h: cannot connect to 127.0.0.1:${port}: connection refused`);
  });

  it('closed before the banner (MaxStartups): transient', async () => {
    const { server, port } = await serve((s) => s.destroy());
    servers.push(server);
    const e = await failureOf(port);
    expect(e.kind).toBe('transient');
    expect(e.reason).toMatch(/^connection (closed|reset) by the server before its SSH banner/);
  });

  it('accepted but silent: transient, the banner never came', async () => {
    const { server, port } = await serve(() => undefined);
    servers.push(server);
    const e = await failureOf(port);
    expect(e.kind).toBe('transient');
    expect(e.reason).toBe('connected, but no SSH banner within 0.6 s');
  });

  it('a banner, then nothing: transient, the key exchange did not finish', async () => {
    const { server, port } = await serve((s) => s.write('SSH-2.0-OpenSSH_9.2\r\n'));
    servers.push(server);
    const e = await failureOf(port);
    expect(e.kind).toBe('transient');
    expect(e.reason).toBe('SSH key exchange not finished within 0.6 s');
  });
});

describe('classifyConnectFailure', () => {
  const t: Target = { name: 'h', address: '192.0.2.1', port: 22, user: 'root' };
  const err = (message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), extra);
  it('authentication failures and aborts are final', () => {
    expect(classifyConnectFailure(new HandshakeError(err('All configured authentication methods failed', { level: 'client-authentication' }), 'auth'), 'auth', t, 1000).kind).toBe('final');
    expect(classifyConnectFailure(err('connection aborted'), 'tcp', t, 1000).kind).toBe('final');
  });
  it('no route and DNS failures are no answer', () => {
    expect(classifyConnectFailure(err('connect EHOSTUNREACH', { code: 'EHOSTUNREACH' }), 'tcp', t, 1000)).toEqual({ kind: 'no-answer', cause: 'no route to host' });
    expect(classifyConnectFailure(err('getaddrinfo ENOTFOUND x', { code: 'ENOTFOUND' }), 'tcp', t, 1000).kind).toBe('no-answer');
  });
  it('a timeout names the phase it stopped in', () => {
    const timeout = err('Timed out while waiting for handshake', { level: 'client-timeout' });
    expect(classifyConnectFailure(timeout, 'tcp', t, 10_000)).toEqual({ kind: 'transient', cause: 'no answer to the TCP connect within 10 s' });
    expect(classifyConnectFailure(timeout, 'auth', t, 10_000)).toEqual({ kind: 'transient', cause: 'authentication not finished within 10 s' });
  });
});
