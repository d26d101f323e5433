// The live view's sink is made once its module has loaded (report/deferred-sink.ts): events
// that come before must reach it, in order, and close() must wait for it.
import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../../src/model/events.js';
import { deferredSink, type Sink } from '../../../src/report/deferred-sink.js';

const warning = (msg: string): FleetEvent => ({ type: 'warning', msg }) as FleetEvent;

function recording(): { sink: Sink; seen: string[]; closed: () => boolean } {
  const seen: string[] = [];
  let closed = false;
  return {
    seen,
    closed: () => closed,
    sink: {
      onEvent: (e) => seen.push((e as { msg: string }).msg),
      close: async () => {
        closed = true;
      },
    },
  };
}

describe('deferredSink', () => {
  it('hands the events that came while loading to the sink, in order, then the later ones', async () => {
    const r = recording();
    let resolve!: (s: Sink) => void;
    const d = deferredSink(async () => new Promise<Sink>((res) => (resolve = res)));
    d.onEvent(warning('a'));
    d.onEvent(warning('b'));
    expect(r.seen).toEqual([]);
    resolve(r.sink);
    await new Promise((res) => setImmediate(res));
    expect(r.seen).toEqual(['a', 'b']);
    d.onEvent(warning('c'));
    expect(r.seen).toEqual(['a', 'b', 'c']);
    await d.close();
    expect(r.closed()).toBe(true);
  });

  it('close() waits for the load and closes the sink, even with no event yet', async () => {
    const r = recording();
    const d = deferredSink(async () => new Promise<Sink>((res) => setTimeout(() => res(r.sink), 20)));
    d.onEvent(warning('only'));
    await d.close();
    expect(r.seen).toEqual(['only']);
    expect(r.closed()).toBe(true);
  });

  it('a load that fails is reported by close()', async () => {
    const d = deferredSink(async () => Promise.reject(new Error('no view')));
    d.onEvent(warning('lost'));
    await expect(d.close()).rejects.toThrow('no view');
  });
});
