// Turn socket/ssh2 failures into one sentence a person can act on, naming address:port.
import { describeKey } from './fingerprint.js';
import type { KnownHostEntry } from './known-hosts.js';
import { hostToken } from './known-hosts.js';
import type { ConnectFailureKind } from '../model/transport.js';

export interface Target {
  name: string;
  address: string;
  port: number;
  user: string;
  /** How messages name it when it is not the host itself ("bastion 10.0.0.1 of lab2"). */
  label?: string;
  /** "through SOCKS5 proxy 127.0.0.1:9050" / "through bastion deploy@10.0.0.1:22" */
  via?: string;
}

/** Why the connection failed, from an ssh2/net/socks error. */
export function describeCause(err: unknown, t: Target, timeoutMs: number, tried: string[] = []): string {
  if (err instanceof HandshakeError) err = err.error;
  const e = err as NodeJS.ErrnoException & { level?: string };
  const code = e?.code ?? '';
  const msg = String(e?.message ?? err);
  if (code === 'ECONNREFUSED' || /ECONNREFUSED|connection refused/i.test(msg)) return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || e?.level === 'client-dns' || /ENOTFOUND|EAI_AGAIN/.test(msg)) {
    return `cannot resolve ${t.address} (DNS: ${code || 'lookup failed'})`;
  }
  if (code === 'EHOSTUNREACH' || /EHOSTUNREACH/.test(msg)) return 'no route to host';
  if (code === 'ENETUNREACH' || /ENETUNREACH/.test(msg)) return 'network unreachable';
  if (code === 'ECONNRESET' || /ECONNRESET/.test(msg)) return 'connection reset by peer';
  if (code === 'ETIMEDOUT' || /Timed out while waiting for handshake|timed out|ETIMEDOUT/i.test(msg)) {
    return `timed out after ${Math.round(timeoutMs / 100) / 10} s`;
  }
  if (msg === 'Keepalive timeout') return 'no answer to keepalives (connection lost)';
  if (e?.level === 'client-authentication' || /authentication methods failed/i.test(msg)) {
    return `authentication failed as ${t.user}${tried.length ? ` (tried ${tried.join(', ')})` : ''}`;
  }
  return msg;
}

export function unreachableMessage(t: Target, cause: string): string {
  return `${t.label ?? t.name}: cannot connect to ${t.address}:${t.port}${t.via ? ` ${t.via}` : ''}: ${cause}`;
}

export function lostMessage(t: Target, cause: string): string {
  return `${t.label ?? t.name}: lost connection to ${t.address}:${t.port}${t.via ? ` ${t.via}` : ''}: ${cause}`;
}

function acceptHint(name: string): string {
  return `Accept it with: fleet hostkeys accept ${name} (or run with --accept-new-hostkeys)`;
}

export function unknownKeyMessage(t: Target, offered: Buffer): string {
  return `host key for ${t.label ?? t.name} (${t.address}:${t.port}) is not known: ${describeKey(offered)}. ${acceptHint(t.name)}`;
}

export function removeHint(knownHostsFile: string, address: string, port: number): string {
  return `ssh-keygen -R '${hostToken(address, port)}' -f ${knownHostsFile}`;
}

export function changedKeyMessage(
  t: Target,
  offered: Buffer,
  pinned: KnownHostEntry[],
  knownHostsFile: string,
): string {
  const was = pinned.map((p) => `${describeKey(p.key)} (${knownHostsFile}:${p.line})`).join(', ');
  return (
    `HOST KEY CHANGED for ${t.label ?? t.name} (${t.address}:${t.port}): pinned ${was}, offered ${describeKey(offered)}. ` +
    `Refusing to connect: this may be an attack, or the host was reinstalled. If you are sure it was, ` +
    `remove the old key with: ${removeHint(knownHostsFile, t.address, t.port)}, then run: fleet hostkeys accept ${t.name}`
  );
}

export function revokedKeyMessage(t: Target, offered: Buffer, entry: KnownHostEntry, knownHostsFile: string): string {
  return `host key for ${t.label ?? t.name} (${t.address}:${t.port}) is revoked (${knownHostsFile}:${entry.line}): ${describeKey(offered)}. Refusing to connect`;
}

/** How far a handshake got: TCP connect, waiting for the server's SSH banner, key exchange,
 * authentication. Where it stopped tells a host that never answered from a slow one. */
export type HandshakePhase = 'tcp' | 'banner' | 'kex' | 'auth';

/** What openSsh rejects with (host key refusals aside): the error, and how far the handshake got. */
export class HandshakeError extends Error {
  constructor(
    readonly error: unknown,
    readonly phase: HandshakePhase,
  ) {
    super(String((error as Error)?.message ?? error));
    this.name = 'HandshakeError';
  }
}

export interface ConnectFailure {
  kind: ConnectFailureKind;
  cause: string;
}

/** Whether a failed handshake is worth another try, and why it failed in words. A refusal or a
 * missing route is an answer (nothing listens there): trying again would only be slower. A
 * timeout, or a close before the handshake ended, is what a loaded host (or sshd's MaxStartups,
 * which drops new connections before its banner) looks like: those are retried. */
export function classifyConnectFailure(err: unknown, phase: HandshakePhase, t: Target, timeoutMs: number, tried: string[] = []): ConnectFailure {
  if (err instanceof HandshakeError) err = err.error;
  const cause = describeCause(err, t, timeoutMs, tried);
  const e = err as NodeJS.ErrnoException & { level?: string };
  const msg = String(e?.message ?? err);
  const secs = `${Math.round(timeoutMs / 100) / 10} s`;
  if (/^connection refused$|^cannot resolve |^no route to host$|^network unreachable$/.test(cause)) return { kind: 'no-answer', cause };
  if (/^authentication failed/.test(cause) || /aborted/i.test(msg)) return { kind: 'final', cause };
  if (cause.startsWith('timed out after')) {
    const where: Record<HandshakePhase, string> = {
      tcp: `no answer to the TCP connect within ${secs}`,
      banner: `connected, but no SSH banner within ${secs}`,
      kex: `SSH key exchange not finished within ${secs}`,
      auth: `authentication not finished within ${secs}`,
    };
    return { kind: 'transient', cause: where[phase] };
  }
  const closed = cause === 'connection reset by peer' || /closed by the server|No response from server|Connection lost before handshake/i.test(msg);
  if (closed) {
    if (phase === 'tcp' || phase === 'banner') {
      return { kind: 'transient', cause: `${cause === 'connection reset by peer' ? 'connection reset' : 'connection closed'} by the server before its SSH banner (its MaxStartups limit, or not an SSH server)` };
    }
    return { kind: 'transient', cause: `${cause === 'connection reset by peer' ? 'connection reset' : 'connection closed'} by the server during the ${phase === 'kex' ? 'key exchange' : 'authentication'}` };
  }
  return { kind: 'final', cause };
}
