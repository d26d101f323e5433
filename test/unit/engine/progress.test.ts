// BatchProgress releases waiters exactly when the straightforward version (the minimum over
// every host recomputed on each reach, every host waiter checked on each reach) did, over
// random interleavings; and reaching a task costs no scan of the batch when nobody waits.
import { describe, expect, it } from 'vitest';
import { BatchProgress } from '../../../src/engine/progress.js';

/** The version before: the semantics the faster one must keep. */
class Reference {
  private readonly at = new Map<string, number>();
  private readonly waiters: { index: number; resolve: () => void }[] = [];
  private readonly hostWaiters: { check: () => boolean; resolve: () => void }[] = [];
  constructor(hosts: string[]) {
    for (const h of hosts) this.at.set(h, 0);
  }
  reach(host: string, index: number): void {
    this.at.set(host, index);
    for (let i = this.hostWaiters.length - 1; i >= 0; i--) if (this.hostWaiters[i].check()) this.hostWaiters.splice(i, 1)[0].resolve();
    const min = Math.min(...this.at.values());
    for (let i = this.waiters.length - 1; i >= 0; i--) if (min >= this.waiters[i].index) this.waiters.splice(i, 1)[0].resolve();
  }
  done(host: string): void {
    this.reach(host, Number.POSITIVE_INFINITY);
  }
  waitAll(index: number): Promise<void> {
    if (Math.min(...this.at.values()) >= index) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ index, resolve }));
  }
  waitPast(host: string, index: number): Promise<void> {
    if (!this.at.has(host)) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => (this.at.get(host) ?? Number.POSITIVE_INFINITY) > index;
      if (check()) return resolve();
      this.hostWaiters.push({ check, resolve });
    });
  }
}

/** A small deterministic generator, so a failure replays. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('BatchProgress', () => {
  it('releases the same waiters at the same steps as the reference, over random runs', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rand = rng(seed);
      const hosts = Array.from({ length: 2 + Math.floor(rand() * 6) }, (_, i) => `h${i}`);
      const fast = new BatchProgress(hosts);
      const ref = new Reference(hosts);
      const released: { fast: Set<number>; ref: Set<number> } = { fast: new Set(), ref: new Set() };
      let id = 0;
      const pos = new Map(hosts.map((h) => [h, 0]));
      for (let step = 0; step < 60; step++) {
        const r = rand();
        const h = hosts[Math.floor(rand() * hosts.length)];
        if (r < 0.5) {
          const next = rand() < 0.1 ? Number.POSITIVE_INFINITY : pos.get(h)! + Math.floor(rand() * 3);
          pos.set(h, next);
          if (next === Number.POSITIVE_INFINITY) {
            fast.done(h);
            ref.done(h);
          } else {
            fast.reach(h, next);
            ref.reach(h, next);
          }
        } else if (r < 0.75) {
          const n = id++;
          const index = Math.floor(rand() * 12);
          void fast.waitAll(index).then(() => released.fast.add(n));
          void ref.waitAll(index).then(() => released.ref.add(n));
        } else {
          const n = id++;
          const index = Math.floor(rand() * 12);
          const who = rand() < 0.1 ? 'not-in-batch' : h;
          void fast.waitPast(who, index).then(() => released.fast.add(n));
          void ref.waitPast(who, index).then(() => released.ref.add(n));
        }
        await flush();
        expect([...released.fast].sort(), `seed ${seed} step ${step}`).toEqual([...released.ref].sort());
      }
      for (const h of hosts) {
        fast.done(h);
        ref.done(h);
      }
      await flush();
      expect(released.fast.size, `seed ${seed}: every waiter released once all are done`).toBe(id);
      expect(released.ref.size).toBe(id);
    }
  });

  it('does not scan the batch when a host reaches a task and nobody waits', () => {
    const hosts = Array.from({ length: 1000 }, (_, i) => `h${i}`);
    const p = new BatchProgress(hosts);
    let reads = 0;
    const at = (p as unknown as { at: Map<string, number> }).at;
    const values = at.values.bind(at);
    at.values = () => {
      reads++;
      return values();
    };
    for (let t = 1; t <= 35; t++) for (const h of hosts) p.reach(h, t);
    expect(reads).toBe(0);
    // A waiter makes the next reach look at the batch, once.
    void p.waitAll(40);
    expect(reads).toBe(1);
    p.reach('h0', 36);
    expect(reads).toBe(2);
  });
});
