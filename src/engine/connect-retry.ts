// One host's connection, tried again when it failed for a reason that passes (a timeout, a
// close before the handshake ended, sshd's MaxStartups): with exponential backoff and jitter,
// a bounded number of times. A host that answered "no" (refused, no route, authentication)
// is not retried; one that never answered in any try is unreachable, saying so.
import type { HostSession } from '../model/transport.js';
import { UnreachableError } from '../model/transport.js';
import type { HandshakeSignal, HandshakeWindow } from './handshake-window.js';

export interface RetryPolicy {
  /** Tries after the first. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** In [0, 1): the jitter's source (tests pass their own). */
  random: () => number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 3, baseDelayMs: 500, maxDelayMs: 8_000, random: Math.random };

export interface Connected {
  session: HostSession;
  /** Why each earlier try failed, in order: empty when the first try connected. */
  retries: string[];
}

export interface RetryOptions {
  window: HandshakeWindow;
  policy?: RetryPolicy;
  /** The try's timeout: a handshake that took more than half of it is a sign of load. */
  timeoutMs: number;
  /** Wait ms, or less if the run is stopped meanwhile: true when it was. */
  pause: (ms: number) => Promise<boolean>;
}

/** Delay before retry n (1-based): base * 2^(n-1), capped, times a jitter in [0.5, 1.5) so that
 * hosts turned away together do not all come back together. */
export function backoffMs(n: number, p: RetryPolicy): number {
  const exp = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (n - 1));
  return Math.round(exp * (0.5 + p.random()));
}

export function isTransient(err: unknown): err is UnreachableError {
  return err instanceof UnreachableError && err.kind === 'transient';
}

export async function connectWithRetry(connectOnce: () => Promise<HostSession>, o: RetryOptions): Promise<Connected> {
  const policy = o.policy ?? DEFAULT_RETRY;
  const retries: string[] = [];
  for (;;) {
    const first = retries.length === 0;
    // Timed from the moment the window lets this handshake start: the time spent waiting for a
    // place says how many hosts are queued, not how the handshake fared (counted from before the
    // wait, every handshake past the first thousand hosts looked slow and the window sank to
    // its minimum: N = 1000 light hosts 2.56x the floor's wall, 1.09x without).
    const release = await o.window.acquire();
    const started = performance.now();
    // A handshake still going at half its timeout is judged slow then and gives its place up:
    // a host that never answers (or slow-walks its handshake) would otherwise hold a place for
    // its whole timeout, each try, and 32 such hosts at the head of an inventory kept the other
    // 968 waiting 286 s instead of 7 (simulated, 200 ms handshakes). Only a host's first try
    // may shrink the window: its retries say nothing new about load, and let one dead host
    // halve it four times.
    const bad = (s: HandshakeSignal): HandshakeSignal => (first ? s : 'neutral');
    const stalled = setTimeout(() => release(bad('slow')), o.timeoutMs / 2);
    try {
      const session = await connectOnce();
      release(performance.now() - started > o.timeoutMs / 2 ? bad('slow') : 'fast');
      return { session, retries };
    } catch (err) {
      release(isTransient(err) ? bad('congested') : 'neutral');
      if (!isTransient(err)) throw err;
      const reason = err.reason ?? err.message;
      if (retries.length >= policy.retries) throw exhausted(err, retries.length + 1);
      retries.push(reason);
      if (await o.pause(backoffMs(retries.length, policy))) throw err;
    } finally {
      clearTimeout(stalled);
    }
  }
}

/** The last try's error, saying how many tries there were. */
function exhausted(err: UnreachableError, tries: number): UnreachableError {
  return new UnreachableError(err.host, `${err.message} (${tries} tries)`, { kind: err.kind, reason: err.reason });
}
