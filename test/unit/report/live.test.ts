import { describe, expect, it } from 'vitest';
import { LiveRenderer, hostTitle } from '../../../src/report/live.js';
import { createStyle, stripAnsi } from '../../../src/report/style.js';
import { emptyCounts } from '../../../src/report/state.js';
import type { FleetEvent } from '../../../src/model/events.js';
import { applyRun, capture } from './fixtures.js';
import { render } from './helpers.js';

const CURSOR_SHOW = '\u001b[?25h';
const tick = (ms = 15) => new Promise((r) => setTimeout(r, ms));

/** Run the live view (listr2's default renderer) on a PassThrough; return the frames it drew
 * and what it printed after the view ended. */
async function live(events: FleetEvent[], opts: { diff?: boolean; close?: boolean } = {}) {
  const out = capture();
  const err = capture();
  const view = new LiveRenderer(out.stream, err.stream, createStyle(false), opts.diff ?? false, { lazy: true, redrawMs: 0 });
  for (const e of events) {
    view.onEvent(e);
    // listr2 loads its renderer asynchronously on first run: let the first frame appear.
    await tick(e.type === 'run' ? 300 : 15);
  }
  await view.close();
  const raw = out.text();
  const end = raw.lastIndexOf(CURSOR_SHOW);
  expect(end).toBeGreaterThan(0);
  const during = stripAnsi(raw.slice(0, end));
  return { during, after: raw.slice(end + CURSOR_SHOW.length), err: err.text() };
}

function lastRows(during: string, n: number): string[] {
  return during.trimEnd().split('\n').slice(-n);
}

describe('live view', () => {
  it('shows one row per host with its current task, then final counts and figures', async () => {
    const { during, after } = await live(applyRun(), { diff: true });
    // Title updates from task_start reach the screen.
    expect(during).toMatch(/web1 {4}ok 0 {2}changed 0 {2}failed 0 {2}skipped 0 {2}› app : write app\.conf/);
    expect(during).toMatch(/db1 {5}ok 1 {2}changed 0 {2}failed 0 {2}skipped 0 {2}› base : install packages/);
    expect(lastRows(during, 3)).toEqual([
      '✔ web1    ok 0  changed 2  failed 0  skipped 0  connect 85 ms, 2 round trips',
      '✖ db1     ok 1  changed 0  failed 1  skipped 0  connect 92 ms, 2 round trips',
      '✖ relay3  unreachable',
    ]);
    // No per-task rows: every rendered line is a host row.
    for (const line of during.split('\n').filter((l) => l.trim())) expect(line).toMatch(/^[◼❯✔✖] (web1|db1|relay3) /);
    // After the view: warnings, diffs grouped by host, then the recap, last.
    expect(after).toContain('WARNING | web1 | deprecated param in body');
    expect(after).toContain('── web1 ──\n  app : write app.conf\n    --- /etc/app/app.conf');
    expect(after.indexOf('── web1 ──')).toBeLessThan(after.indexOf('RECAP (apply, 2.4 s)'));
    expect(after.trimEnd().endsWith('error: connect ETIMEDOUT 203.0.113.7:22 after 10 s')).toBe(true);
  });

  it('stays one line per host at 50 hosts on a terminal that has the rows', async () => {
    const hosts = Array.from({ length: 50 }, (_, i) => `node${String(i + 1).padStart(2, '0')}`);
    const events: FleetEvent[] = [{ type: 'run', mode: 'apply', playbook: 'site.yml', hosts }];
    for (const host of hosts) {
      events.push({ type: 'task', host, play: 'p', role: 'base', task: 'sysctl', status: 'ok', durationMs: 1 });
      events.push({ type: 'host', host, roundTrips: 1, connectMs: 20, status: 'ok' });
    }
    const out = capture();
    Object.assign(out.stream, { rows: 60, columns: 120 });
    const view = new LiveRenderer(out.stream, capture().stream, createStyle(false), false, { lazy: true, redrawMs: 0 });
    for (const e of events) view.onEvent(e);
    await view.close();
    const raw = out.text();
    const finalFrame = stripAnsi(raw.slice(0, raw.lastIndexOf(CURSOR_SHOW))).trimEnd().split('\n').slice(-50);
    expect(finalFrame).toEqual(hosts.map((h) => `✔ ${h}  ok 1  changed 0  failed 0  skipped 0  connect 20 ms, 1 round trip`));
  });

  it('coalesces a burst of events into one redraw', async () => {
    const out = capture();
    const view = new LiveRenderer(out.stream, capture().stream, createStyle(false), false, { lazy: true, redrawMs: 40 });
    view.onEvent({ type: 'run', mode: 'apply', playbook: 'site.yml', hosts: ['a', 'b'] });
    await tick(300);
    const before = out.text().length;
    for (let i = 0; i < 30; i++) {
      view.onEvent({ type: 'task_start', host: i % 2 ? 'a' : 'b', play: 'p', role: 'r', task: `t${i}` });
    }
    await tick(150);
    const frames = stripAnsi(out.text().slice(before)).split('\n').filter((l) => l.startsWith('❯ a ') && l.includes('› r :'));
    expect(frames).toEqual(['❯ a  ok 0  changed 0  failed 0  skipped 0  › r : t29']);
    await view.close();
  });

  it('works when out and err are the same stream', async () => {
    const out = capture();
    const view = new LiveRenderer(out.stream, out.stream, createStyle(false), false, { lazy: true, redrawMs: 0 });
    for (const e of applyRun()) view.onEvent(e);
    await view.close();
    const text = stripAnsi(out.text());
    expect(text).toContain('✖ relay3  unreachable');
    expect(text).toContain('RECAP (apply, 2.4 s)');
  });

  it('shows hosts the run never reached as not run', async () => {
    const events = applyRun().filter((e) => !(e.type === 'host' && e.host === 'relay3'));
    const { during } = await live(events);
    expect(lastRows(during, 1)).toEqual(['↓ relay3  not run']);
  });

  it('prints no diffs without --diff', async () => {
    const { after } = await live(applyRun(), { diff: false });
    expect(after).not.toContain('── web1 ──');
    expect(after).not.toContain('+password');
  });

  it('marks hosts that never finished when the run is interrupted', async () => {
    const events = applyRun().filter((e) => e.type !== 'host' && e.type !== 'recap');
    const { during } = await live(events);
    const rows = lastRows(during, 3);
    expect(rows[0]).toBe('✖ web1    ok 0  changed 2  failed 0  skipped 0  did not finish');
    expect(rows[2]).toBe('✖ relay3  connecting…  did not finish');
  });

  it('is what createReporter uses on a TTY, with colours unless NO_COLOR', async () => {
    const saved = process.env.NO_COLOR;
    try {
      delete process.env.NO_COLOR;
      const coloured = await render(applyRun(), { tty: true, diff: true, gapMs: 5 });
      expect(coloured.out).toMatch(/\u001b\[32m\+password/);
      expect(stripAnsi(coloured.out)).toContain('✖ relay3  unreachable');
      process.env.NO_COLOR = '1';
      const mono = await render(applyRun(), { tty: true, diff: true, gapMs: 5 });
      expect(mono.out.slice(mono.out.lastIndexOf(CURSOR_SHOW))).not.toMatch(/\u001b\[3\dm/);
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
  });
});

describe('hostTitle', () => {
  const style = createStyle(false);
  it('reads as the host progresses', () => {
    const h = { counts: emptyCounts() } as Parameters<typeof hostTitle>[2];
    expect(hostTitle('web1', 6, h, style)).toBe('web1    connecting…');
    h.connectMs = 40;
    expect(hostTitle('web1', 6, h, style)).toBe('web1    ok 0  changed 0  failed 0  skipped 0  connected in 40 ms');
    h.current = 'ssh : harden sshd';
    expect(hostTitle('web1', 6, h, style)).toBe('web1    ok 0  changed 0  failed 0  skipped 0  › ssh : harden sshd');
    h.current = undefined;
    h.counts.changed = 1;
    expect(hostTitle('web1', 6, h, style)).toBe('web1    ok 0  changed 1  failed 0  skipped 0');
    h.done = { type: 'host', host: 'web1', roundTrips: 3, connectMs: 1500, status: 'ok' };
    expect(hostTitle('web1', 6, h, style)).toBe('web1    ok 0  changed 1  failed 0  skipped 0  connect 1.5 s, 3 round trips');
  });
  it('paints failed and unreachable hosts red', () => {
    const h = { counts: { ...emptyCounts(), failed: 1 }, done: { type: 'host', host: 'x', roundTrips: 1, connectMs: 5, status: 'failed' } } as Parameters<typeof hostTitle>[2];
    expect(hostTitle('x', 1, h, createStyle(true))).toMatch(/^\u001b\[31mx/);
    const u = { counts: emptyCounts(), done: { type: 'host', host: 'x', roundTrips: 0, connectMs: 0, status: 'unreachable' } } as Parameters<typeof hostTitle>[2];
    expect(hostTitle('x', 1, u, createStyle(true))).toBe('\u001b[31mx  unreachable\u001b[39m');
  });
});
