import { describe, expect, it } from 'vitest';
import { createReporter, Redactor } from '../../../src/report/index.js';
import type { FleetEvent } from '../../../src/model/events.js';
import { capture, checkRun } from './fixtures.js';
import { ndjsonLine } from '../../../src/report/ndjson.js';

async function ndjson(events: FleetEvent[]): Promise<string[]> {
  const out = capture();
  const err = capture();
  const rep = createReporter({ json: true, tty: false, diff: false, out: out.stream, err: err.stream, redactor: new Redactor() });
  for (const e of events) rep.onEvent(e);
  await rep.close();
  expect(err.text()).toBe('');
  return out.text().split('\n');
}

describe('NDJSON reporter', () => {
  it('prints one JSON object per event, type first, exactly the event fields', async () => {
    const lines = await ndjson(checkRun());
    expect(lines).toEqual([
      '{"type":"run","mode":"check","playbook":"playbooks/site.yml","hosts":["web1","db1"]}',
      '{"type":"play","play":"web","hosts":["web1","db1"],"batch":1}',
      '{"type":"task","host":"web1","play":"web","role":"nginx","task":"install nginx","status":"changed","durationMs":5,"msg":"install nginx"}',
      '{"type":"task","host":"web1","play":"web","role":"nginx","task":"start nginx","status":"changed","durationMs":1,"msg":"will change","after":"install nginx"}',
      '{"type":"task","host":"db1","play":"web","role":"nginx","task":"install nginx","status":"ok","durationMs":5}',
      '{"type":"task","host":"db1","play":"web","role":"nginx","task":"open port","status":"skipped","durationMs":0,"msg":"when: open_port is false"}',
      '{"type":"host","host":"web1","roundTrips":1,"connectMs":50,"status":"ok"}',
      '{"type":"host","host":"db1","roundTrips":1,"connectMs":60,"status":"ok"}',
      '{"type":"recap","mode":"check","durationMs":800,"failures":[],"hosts":{"web1":{"ok":0,"changed":2,"failed":0,"skipped":0,"unreachable":0},"db1":{"ok":1,"changed":0,"failed":0,"skipped":1,"unreachable":0}}}',
      '',
    ]);
  });

  it('puts type first even when the engine built the object in another order', async () => {
    const e = { host: 'web1', connectMs: 7, type: 'connect' } as FleetEvent;
    expect(await ndjson([e])).toEqual(['{"type":"connect","host":"web1","connectMs":7}', '']);
  });

  it('leaves out task_start and keeps diffs only when the engine sent them', async () => {
    const lines = await ndjson([
      { type: 'task_start', host: 'a', play: 'p', role: 'r', task: 't' },
      { type: 'task', host: 'a', play: 'p', role: 'r', task: 't', status: 'changed', durationMs: 1, diff: '+x' },
      { type: 'task', host: 'a', play: 'p', role: 'r', task: 'u', status: 'changed', durationMs: 1 },
    ]);
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => (l ? JSON.parse(l).type : ''))).toEqual(['task', 'task', '']);
    expect(JSON.parse(lines[0]).diff).toBe('+x');
    expect('diff' in JSON.parse(lines[1])).toBe(false);
  });

  it('every line parses back to the event it came from', async () => {
    const events = checkRun();
    const lines = (await ndjson(events)).filter(Boolean);
    expect(lines.map((l) => JSON.parse(l))).toEqual(events);
  });
});

describe('NDJSON reporter, batched writes', () => {
  const task = (i: number): FleetEvent => ({ type: 'task', host: `h${i % 7}`, play: 'p', role: 'r', task: `t${i}`, status: 'ok', durationMs: i });

  function counted() {
    const out = capture();
    let writes = 0;
    const write = out.stream.write.bind(out.stream) as (...a: unknown[]) => boolean;
    out.stream.write = ((...a: unknown[]) => {
      if (a[0] !== '') writes++;
      return write(...a);
    }) as typeof out.stream.write;
    return { out, writes: () => writes };
  }

  it('writes the events of one turn together, byte for byte the lines of one write per event, in order', async () => {
    const { out, writes } = counted();
    const rep = createReporter({ json: true, tty: false, diff: false, out: out.stream, err: capture().stream, redactor: new Redactor() });
    const events = Array.from({ length: 3000 }, (_, i) => task(i));
    for (const e of events) {
      rep.onEvent({ type: 'task_start', host: e.type === 'task' ? e.host : '', play: 'p', role: 'r', task: 'x' });
      rep.onEvent(e);
    }
    await rep.close();
    expect(out.text()).toBe(events.map((e) => ndjsonLine(e)).join(''));
    // ~280 KB: a few writes of at most 64 KiB each, not 3000.
    expect(writes()).toBeGreaterThan(1);
    expect(writes()).toBeLessThanOrEqual(6);
  });

  it('does not hold a line past the current turn (a live reader sees it at once)', async () => {
    const { out, writes } = counted();
    const rep = createReporter({ json: true, tty: false, diff: false, out: out.stream, err: capture().stream, redactor: new Redactor() });
    rep.onEvent(task(1));
    expect(writes()).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(out.text()).toBe(ndjsonLine(task(1)));
    rep.onEvent(task(2));
    await new Promise((r) => setImmediate(r));
    expect(out.text()).toBe(ndjsonLine(task(1))! + ndjsonLine(task(2))!);
    expect(writes()).toBe(2);
    await rep.close();
  });

  it('still redacts every event it writes', async () => {
    const redactor = new Redactor();
    redactor.add('s3cr3t-value');
    const out = capture();
    const rep = createReporter({ json: true, tty: false, diff: false, out: out.stream, err: capture().stream, redactor });
    rep.onEvent({ type: 'task', host: 'a', play: 'p', role: 'r', task: 't', status: 'failed', durationMs: 1, msg: 'got s3cr3t-value' });
    await rep.close();
    expect(out.text()).not.toContain('s3cr3t-value');
    expect(out.text()).toContain('got ');
  });
});
