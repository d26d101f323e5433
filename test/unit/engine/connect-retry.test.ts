// Retrying connects and the adaptive handshake window, over a fake transport: each host's
// connect fails as scripted (transient, no answer, final), then succeeds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { selectHosts } from '../../../src/config/index.js';
import { backoffMs, connectWithRetry, DEFAULT_RETRY, type RetryPolicy } from '../../../src/engine/connect-retry.js';
import { HandshakeWindow } from '../../../src/engine/handshake-window.js';
import { run } from '../../../src/engine/index.js';
import type { ConnectEvent, FleetEvent } from '../../../src/model/events.js';
import type { Host } from '../../../src/model/inventory.js';
import { UnreachableError, type ConnectFailureKind, type HostSession } from '../../../src/model/transport.js';
import { Redactor } from '../../../src/report/index.js';
import { formatRecap } from '../../../src/report/recap.js';
import { RunState } from '../../../src/report/state.js';
import { host, inventory, play, playbook, task } from './fixtures.js';
import { LocalSession } from './local-session.js';

const noWait: RetryPolicy = { retries: 3, baseDelayMs: 1, maxDelayMs: 1, random: () => 0 };
const fail = (kind: ConnectFailureKind, reason: string) => new UnreachableError('h', `h: cannot connect to 192.0.2.1:22: ${reason}`, { kind, reason });
const fakeSession = { roundTrips: 0, connectMs: 1, run: async () => ({ rc: 0, stdout: '', stderr: '' }), close() {} } as HostSession;

/** A connect that fails with these errors in turn, then succeeds. */
function scripted(errors: UnreachableError[]): { connect: () => Promise<HostSession>; tries: () => number } {
  let n = 0;
  return {
    connect: async () => {
      const e = errors[n++];
      if (e) throw e;
      return fakeSession;
    },
    tries: () => n,
  };
}

const opts = (window = new HandshakeWindow()) => ({ window, policy: noWait, timeoutMs: 10_000, pause: async () => false });

describe('connectWithRetry', () => {
  it('retries transient failures and says why each try failed', async () => {
    const s = scripted([fail('transient', 'connected, but no SSH banner within 10 s'), fail('transient', 'connection closed by the server before its SSH banner')]);
    const r = await connectWithRetry(s.connect, opts());
    expect(r.session).toBe(fakeSession);
    expect(r.retries).toEqual(['connected, but no SSH banner within 10 s', 'connection closed by the server before its SSH banner']);
    expect(s.tries()).toBe(3);
  });

  it('does not retry a host that answered no (refused) or a final failure (authentication)', async () => {
    for (const e of [fail('no-answer', 'connection refused'), fail('final', 'authentication failed as root')]) {
      const s = scripted([e]);
      await expect(connectWithRetry(s.connect, opts())).rejects.toBe(e);
      expect(s.tries()).toBe(1);
    }
  });

  it('gives up after the bounded number of tries, saying how many there were', async () => {
    const s = scripted(Array.from({ length: 10 }, () => fail('transient', 'no answer to the TCP connect within 10 s')));
    const err = await connectWithRetry(s.connect, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as Error).message).toBe('h: cannot connect to 192.0.2.1:22: no answer to the TCP connect within 10 s (4 tries)');
    expect(s.tries()).toBe(4);
  });

  it('stops retrying when the run is stopped during the wait', async () => {
    const e = fail('transient', 'connected, but no SSH banner within 10 s');
    const s = scripted([e, e]);
    await expect(connectWithRetry(s.connect, { ...opts(), pause: async () => true })).rejects.toBe(e);
    expect(s.tries()).toBe(1);
  });

  it('backs off exponentially, capped, with jitter between half and one and a half times', () => {
    const p = (random: number): RetryPolicy => ({ ...DEFAULT_RETRY, random: () => random });
    expect([1, 2, 3].map((n) => backoffMs(n, p(0.5)))).toEqual([500, 1000, 2000]);
    expect(backoffMs(1, p(0))).toBe(250);
    expect(backoffMs(1, p(0.999))).toBe(750);
    expect(backoffMs(10, p(0.5))).toBe(8000);
  });
});

describe('HandshakeWindow', () => {
  it('never has more handshakes in flight than its window', async () => {
    const w = new HandshakeWindow({ initial: 3, min: 1, max: 3 });
    let inFlight = 0;
    let peak = 0;
    const one = async () => {
      const release = await w.acquire();
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      release('fast');
    };
    await Promise.all(Array.from({ length: 20 }, one));
    expect(peak).toBe(3);
  });

  it('halves once for a burst of congestion, then grows back by one per window of fast handshakes', async () => {
    const w = new HandshakeWindow({ initial: 16, min: 2, max: 64 });
    // 8 handshakes started together all time out: one halving, not eight.
    const releases = await Promise.all(Array.from({ length: 8 }, () => w.acquire()));
    for (const r of releases) r('congested');
    expect(w.size).toBe(8);
    // A later burst halves again, but a lone bad handshake is no burst: it takes a quarter of
    // the window (at least two) going badly together.
    (await w.acquire())('congested');
    expect(w.size).toBe(8);
    (await w.acquire())('slow');
    expect(w.size).toBe(4);
    for (let i = 0; i < 4; i++) (await w.acquire())('fast');
    expect(w.size).toBe(5);
    // Neutral outcomes (a refused connection says nothing about load) leave it alone.
    (await w.acquire())('neutral');
    expect(w.size).toBe(5);
  });

  it('judges a handshake by its own time, not by its wait for a place in the window', async () => {
    const w = new HandshakeWindow({ initial: 2, min: 1, max: 2 });
    const quick = async () => {
      await new Promise((r) => setTimeout(r, 5));
      return fakeSession;
    };
    // 400 hosts, 2 at a time: the last wait a second or more for a place (over half the
    // timeout); each handshake itself takes about 5 ms, so none is slow and the window holds.
    await Promise.all(Array.from({ length: 400 }, () => connectWithRetry(quick, { ...opts(w), timeoutMs: 1000 })));
    expect(w.size).toBe(2);
  });

  it('does not shrink below its minimum nor grow above its maximum', async () => {
    const w = new HandshakeWindow({ initial: 2, min: 2, max: 3 });
    (await w.acquire())('slow');
    (await w.acquire())('slow');
    expect(w.size).toBe(2);
    for (let i = 0; i < 20; i++) (await w.acquire())('fast');
    expect(w.size).toBe(3);
  });
});

describe('HandshakeWindow against hosts that stall their handshakes', () => {
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  const policy: RetryPolicy = { retries: 3, baseDelayMs: 500, maxDelayMs: 8000, random: () => 0.5 };
  /** n hosts, 100 at a time, each handshake 200 ms but those in `dead`, which time out (10 s)
   * every try; when the last live host connected, in virtual seconds, and the smallest window. */
  async function fleetOf(n: number, dead: Set<number>): Promise<{ lastLive: number; minSize: number }> {
    vi.useFakeTimers();
    try {
      const w = new HandshakeWindow();
      const t0 = Date.now();
      let lastLive = 0;
      let minSize = w.size;
      const one = async (i: number) => {
        const connect = async () => {
          if (!dead.has(i)) return sleep(200).then(() => fakeSession);
          await sleep(10_000);
          throw fail('transient', 'no answer to the TCP connect within 10 s');
        };
        await connectWithRetry(connect, { window: w, policy, timeoutMs: 10_000, pause: (ms) => sleep(ms).then(() => false) }).catch(
          () => undefined,
        );
        minSize = Math.min(minSize, w.size);
        if (!dead.has(i)) lastLive = Math.max(lastLive, Date.now() - t0);
      };
      let next = 0;
      const done = Promise.all(
        Array.from({ length: 100 }, async () => {
          while (next < n) await one(next++);
        }),
      );
      await vi.runAllTimersAsync();
      await done;
      return { lastLive: lastLive / 1000, minSize };
    } finally {
      vi.useRealTimers();
    }
  }

  it('one host that never answers does not shrink the window, however often it is tried', async () => {
    const r = await fleetOf(300, new Set([150]));
    expect(r.minSize).toBe(16);
  });

  it("counts only a host's first try against the window: its retries say nothing new about load", async () => {
    const w = new HandshakeWindow({ initial: 16, min: 2, max: 16 });
    const s = scripted(Array.from({ length: 4 }, () => fail('transient', 'no answer to the TCP connect within 10 s')));
    await expect(connectWithRetry(s.connect, opts(w))).rejects.toBeInstanceOf(UnreachableError);
    expect(s.tries()).toBe(4);
    expect(w.size).toBe(16);
  });

  it('hosts that never answer give their place up at half their timeout, and do not starve the others', async () => {
    const base = await fleetOf(600, new Set());
    // 16 dead hosts first: before, they held the whole window 10 s a try and sank it to 2.
    const r = await fleetOf(616, new Set(Array.from({ length: 16 }, (_, i) => i)));
    expect(base.lastLive).toBeLessThan(5);
    expect(r.lastLive).toBeLessThan(base.lastLive * 2.5);
  });
});

describe('engine: connects that fail at first', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'fleet-retry-'));
    process.env.XDG_CACHE_HOME = join(base, 'cache');
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('converges a slow host after retries, reports the dead one unreachable with its reason, and the recap names the retried host', async () => {
    const failures: Record<string, UnreachableError[]> = {
      slow: [fail('transient', 'connected, but no SSH banner within 1 s'), fail('transient', 'connected, but no SSH banner within 1 s')],
      dead: Array.from({ length: 10 }, () => fail('transient', 'no answer to the TCP connect within 1 s')),
      gone: [fail('no-answer', 'connection refused')],
    };
    const tries = new Map<string, number>();
    const connect = async (h: Host): Promise<HostSession> => {
      const n = tries.get(h.name) ?? 0;
      tries.set(h.name, n + 1);
      const e = failures[h.name]?.[n];
      if (e) throw new UnreachableError(h.name, e.message.replace(/^h:/, `${h.name}:`), { kind: e.kind, reason: e.reason });
      return new LocalSession();
    };
    const events: FleetEvent[] = [];
    const recap = await run({
      mode: 'apply',
      inventory: inventory(['fine', 'slow', 'dead', 'gone'].map((n) => host(n))),
      playbook: playbook([play([task('mark', 'command', { cmd: `touch ${base}/{{ inventory_hostname }}` }, { creates: `${base}/{{ inventory_hostname }}` })])]),
      forks: 10,
      extraVars: {},
      diff: false,
      acceptNewHostKeys: false,
      emit: (e) => events.push(e),
      redactor: new Redactor(),
      retryPolicy: noWait,
      deps: { connect, setHostVar: () => undefined, selectHosts },
    });
    expect(recap.hosts.fine).toMatchObject({ changed: 1, unreachable: 0 });
    expect(recap.hosts.slow).toMatchObject({ changed: 1, unreachable: 0 });
    expect(recap.hosts.dead).toMatchObject({ changed: 0, unreachable: 1 });
    expect(recap.hosts.gone).toMatchObject({ changed: 0, unreachable: 1 });
    expect(tries.get('dead')).toBe(4);
    expect(tries.get('gone')).toBe(1);
    const connects = events.filter((e): e is ConnectEvent => e.type === 'connect');
    expect(connects.find((e) => e.host === 'slow')?.retries).toEqual(['connected, but no SSH banner within 1 s', 'connected, but no SSH banner within 1 s']);
    expect(connects.find((e) => e.host === 'fine')).not.toHaveProperty('retries');
    const msgs = recap.failures.map((f) => f.msg).join('\n');
    expect(msgs).toContain('dead: cannot connect to 192.0.2.1:22: no answer to the TCP connect within 1 s (4 tries)');
    expect(msgs).toContain('gone: cannot connect to 192.0.2.1:22: connection refused');
    expect(msgs).not.toContain('gone: cannot connect to 192.0.2.1:22: connection refused (');

    const state = new RunState();
    for (const e of events) state.apply(e);
    const plainStyle = { bold: (s: string) => s, red: (s: string) => s, yellow: (s: string) => s, green: (s: string) => s, dim: (s: string) => s, cyan: (s: string) => s };
    const text = formatRecap(recap, state, plainStyle as never);
    expect(text).toContain('CONNECTED AFTER RETRIES (1)\nslow: connected after 2 retries (connected, but no SSH banner within 1 s)');
  });
});
