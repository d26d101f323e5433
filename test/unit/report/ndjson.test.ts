import { describe, expect, it } from 'vitest';
import { createReporter, Redactor } from '../../../src/report/index.js';
import type { FleetEvent } from '../../../src/model/events.js';
import { capture, checkRun } from './fixtures.js';

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
