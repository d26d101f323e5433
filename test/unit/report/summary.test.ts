import { describe, expect, it } from 'vitest';
import { LiveRenderer } from '../../../src/report/live.js';
import { createStyle, stripAnsi } from '../../../src/report/style.js';
import { summaryBlock, type HostPhase } from '../../../src/report/summary-lines.js';
import type { FleetEvent } from '../../../src/model/events.js';
import { capture } from './fixtures.js';

const plain = createStyle(false);
const tick = (ms = 15) => new Promise((r) => setTimeout(r, ms));
const zero: Record<HostPhase, number> = { waiting: 0, running: 0, unchanged: 0, changed: 0, failed: 0, unreachable: 0 };

/** A terminal of the given size: what the view reads from a real TTY stream. */
function terminal(rows: number, columns: number) {
  const c = capture();
  Object.assign(c.stream, { rows, columns });
  return c;
}

const hostNames = (n: number) => Array.from({ length: n }, (_, i) => `node${String(i + 1).padStart(3, '0')}`);

describe('summary lines', () => {
  it('count hosts per state and list the hosts running longest, longest first', () => {
    const lines = summaryBlock(
      {
        mode: 'apply',
        total: 1000,
        counts: { ...zero, waiting: 900, running: 3, unchanged: 90, changed: 5, failed: 1, unreachable: 1 },
        running: [
          { host: 'b', since: 9000, current: 'base : sysctl' },
          { host: 'a', since: 1000, current: 'app : write app.conf' },
          { host: 'c', since: 5000 },
        ],
        now: 10_000,
        rows: 40,
        columns: 200,
      },
      plain,
    );
    expect(lines).toEqual([
      '97/1000 hosts done · 3 running · 900 connecting or waiting · 90 unchanged · 5 changed · 1 failed · 1 unreachable',
      'running longest:',
      '  a    9.0 s  › app : write app.conf',
      '  c    5.0 s',
      '  b    1.0 s  › base : sysctl',
    ]);
  });

  it('fit a small terminal: no line as wide as it, no more slow hosts than rows allow', () => {
    const running = hostNames(20).map((host, i) => ({ host, since: i, current: 'a task with a rather long name that goes on' }));
    const lines = summaryBlock({ mode: 'check', total: 20, counts: { ...zero, running: 20 }, running, now: 100, rows: 6, columns: 40 }, plain);
    // rows 6: the counts, the heading and 3 hosts (a line to spare for the cursor).
    expect(lines).toHaveLength(5);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(39);
    expect(lines[0]).toBe('0/20 hosts done · 20 running · 0 conne…');
    expect(lines.slice(2).map((l) => l.trim().split(' ')[0])).toEqual(['node001', 'node002', 'node003']);
    // Too few rows for any host: the counts alone.
    expect(summaryBlock({ mode: 'check', total: 20, counts: { ...zero, running: 20 }, running, now: 100, rows: 3, columns: 40 }, plain)).toHaveLength(1);
  });
});

describe('live view beyond the terminal height', () => {
  async function run(n: number, rows: number) {
    const hosts = hostNames(n);
    const out = terminal(rows, 130);
    const view = new LiveRenderer(out.stream, capture().stream, plain, false, { lazy: true, redrawMs: 5 });
    const send = async (e: FleetEvent) => {
      view.onEvent(e);
      await tick(10);
    };
    await send({ type: 'run', mode: 'apply', playbook: 'site.yml', hosts });
    for (const host of hosts.slice(0, 3)) await send({ type: 'connect', host, connectMs: 20 });
    await send({ type: 'task_start', host: 'node002', play: 'p', role: 'base', task: 'sysctl' });
    const midRun = stripAnsi(out.text());
    // A failure is printed when it happens, with its reason, not only in the recap.
    await send({
      type: 'task', host: 'node003', play: 'p', role: '', task: 'connect', status: 'unreachable', durationMs: 0,
      msg: 'no answer to the TCP connect within 1.5 s',
      failure: { host: 'node003', task: 'connect', role: '', location: '127.0.0.3:22', msg: 'no answer to the TCP connect within 1.5 s' },
    });
    await send({ type: 'host', host: 'node003', roundTrips: 0, connectMs: 0, status: 'unreachable' });
    const afterFailure = stripAnsi(out.text());
    for (const host of hosts.filter((h) => h !== 'node003')) {
      view.onEvent({ type: 'task', host, play: 'p', role: 'base', task: 'sysctl', status: host === 'node001' ? 'changed' : 'ok', durationMs: 1 });
      view.onEvent({ type: 'host', host, roundTrips: 1, connectMs: 20, status: 'ok' });
    }
    const counts = Object.fromEntries(hosts.map((h) => [h, { ok: h === 'node003' ? 0 : 1, changed: 0, failed: 0, skipped: 0, unreachable: h === 'node003' ? 1 : 0 }]));
    view.onEvent({ type: 'recap', mode: 'apply', durationMs: 5000, hosts: counts, failures: [{ host: 'node003', task: 'connect', role: '', location: '127.0.0.3:22', msg: 'no answer to the TCP connect within 1.5 s' }] });
    await view.close();
    return { midRun, afterFailure, all: stripAnsi(out.text()), raw: out.text() };
  }

  it('summarises 1000 hosts on a 24-row terminal, prints failures as they happen, then the recap', async () => {
    const { midRun, afterFailure, all } = await run(1000, 24);
    expect(midRun).toContain('0/1000 hosts done · 3 running · 997 connecting or waiting · 0 unchanged');
    expect(midRun).toMatch(/running longest:\n {2}node001 .*\n {2}node002 .*› base : sysctl\n {2}node003 /);
    expect(afterFailure).toContain('✖ node003 unreachable | connect | no answer to the TCP connect within 1.5 s\n');
    // Printed once: the host event of a host already shown does not repeat it.
    expect(all.match(/✖ node003/g)).toHaveLength(1);
    // No row per host: the hosts that never ran longest are never named.
    expect(all).not.toContain('node500');
    const beforeRecap = all.slice(0, all.indexOf('RECAP'));
    expect(beforeRecap.trimEnd().split('\n').at(-1)?.replace('\r', '')).toBe('1000/1000 hosts done · 0 running · 0 connecting or waiting · 998 unchanged · 1 changed · 0 failed · 1 unreachable');
    // The recap lists the failure in full and the rest as counts.
    expect(all).toContain('1 host unreachable');
    expect(all).toContain('999 more hosts not listed');
  });

  it('redraws in place: each frame moves the cursor back over the previous block only', async () => {
    const { raw } = await run(30, 10);
    // Every move back is over the block last drawn (1 line of counts, or counts + heading + hosts).
    const moves = [...raw.matchAll(/\u001b\[(\d+)A/g)].map((m) => Number(m[1]));
    expect(moves.length).toBeGreaterThan(2);
    for (const m of moves) expect([1, 3, 4, 5]).toContain(m);
  });

  it('keeps one row per host when they fit the terminal', async () => {
    const out = terminal(40, 100);
    const view = new LiveRenderer(out.stream, capture().stream, plain, false, { lazy: true, redrawMs: 0 });
    view.onEvent({ type: 'run', mode: 'apply', playbook: 'site.yml', hosts: hostNames(30) });
    await tick(300);
    view.onEvent({ type: 'recap', mode: 'apply', durationMs: 1, hosts: {}, failures: [] });
    await view.close();
    const text = stripAnsi(out.text());
    expect(text).toContain('node030');
    expect(text).not.toContain('hosts done');
  });
});
