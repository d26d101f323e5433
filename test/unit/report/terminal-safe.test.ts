// Text from hosts never reaches the operator's terminal raw: control characters are shown
// escaped in every human view; --json keeps the exact text.
import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../../src/model/events.js';
import { AdhocReporter, type AdhocEvent } from '../../../src/report/adhoc.js';
import { createStyle, Redactor } from '../../../src/report/index.js';
import { terminalSafe } from '../../../src/report/terminal-safe.js';
import { capture } from './fixtures.js';
import { render } from './helpers.js';

const ESC = '\u001b';
const BEL = '\u0007';
const OSC52 = `${ESC}]52;c;ZWNobyBwd25lZA==${BEL}`; // writes the clipboard
const OSC0 = `${ESC}]0;innocent title${BEL}`; // retitles the window
const OSC8 = `${ESC}]8;;https://evil.example/${ESC}\\click${ESC}]8;;${ESC}\\`; // a hidden link
const CSI = `${ESC}[2K${ESC}[1A`; // erase line, cursor up

/** No raw control character but \n, \t and \r\n line ends (fleet's own colours are off in these views). */
function expectInert(text: string): void {
  expect(text).not.toMatch(/\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/);
}

describe('terminalSafe', () => {
  it('shows escape sequences, lone \\r, DEL, C1 and bidi overrides escaped, not stripped', () => {
    expect(terminalSafe(`a${OSC0}b`)).toBe('a\\x1b]0;innocent title\\x07b');
    expect(terminalSafe(OSC52)).toBe('\\x1b]52;c;ZWNobyBwd25lZA==\\x07');
    expect(terminalSafe('ok\rFAKE')).toBe('ok\\rFAKE');
    expect(terminalSafe('\x7f\x00\x9b31m\u202etxt.exe')).toBe('\\x7f\\x00\\x9b31m\\u202etxt.exe');
  });

  it('keeps newlines, tabs, CRLF line ends and ordinary Unicode as they are', () => {
    const text = 'line 1\r\n\tline 2 — é 日本 🚀\n';
    expect(terminalSafe(text)).toBe(text);
  });

  it('is idempotent (a view that applies it twice shows the same)', () => {
    const once = terminalSafe(`${OSC8}${CSI}\r`);
    expect(terminalSafe(once)).toBe(once);
  });
});

function hostileRun(): FleetEvent[] {
  const stderr = `boom${OSC0}\nnext${OSC8}\nred ${ESC}[31mtext${ESC}[0m`;
  const failure = { host: 'h2', task: 'cmd', role: '', location: 'site.yml:3', msg: `exited 1 ${CSI}`, cmd: 'cat x', rc: 1, stderr };
  return [
    { type: 'run', mode: 'apply', playbook: 'site.yml', hosts: ['h1', 'h2'] },
    { type: 'play', play: 'p', hosts: ['h1', 'h2'] },
    {
      type: 'task',
      host: 'h1',
      play: 'p',
      role: '',
      task: 'conf',
      status: 'changed',
      durationMs: 1,
      msg: 'update /etc/x',
      diff: `--- /etc/x\n+++ /etc/x\n@@ -1 +1 @@\n-old${OSC52}\rOK\n+new`,
    },
    { type: 'task', host: 'h2', play: 'p', role: '', task: 'cmd', status: 'failed', durationMs: 1, msg: failure.msg, failure },
    { type: 'trace', host: 'h2', msg: `round trip 1, section 1: stdout:\n    ${OSC0}` },
    { type: 'host', host: 'h1', roundTrips: 1, connectMs: 1, status: 'ok' },
    { type: 'host', host: 'h2', roundTrips: 1, connectMs: 1, status: 'failed' },
    {
      type: 'recap',
      mode: 'apply',
      durationMs: 10,
      hosts: {
        h1: { ok: 0, changed: 1, failed: 0, skipped: 0, unreachable: 0 },
        h2: { ok: 0, changed: 0, failed: 1, skipped: 0, unreachable: 0 },
      },
      failures: [failure],
      outputs: { h1: { 'onion.address': `x${OSC0}.onion` } },
    },
  ] as FleetEvent[];
}

describe('human views show what hosts sent escaped', () => {
  it("plain: diffs (old content), task lines, the recap's failures and outputs, and traces", async () => {
    const { out, err } = await render(hostileRun(), { diff: true });
    expectInert(out);
    expectInert(err);
    expect(out).toContain('    -old\\x1b]52;c;ZWNobyBwd25lZA==\\x07\\rOK');
    expect(out).toContain('h2 | FAILED | cmd | exited 1 \\x1b[2K\\x1b[1A');
    expect(out).toContain('    boom\\x1b]0;innocent title\\x07');
    expect(out).toContain('    next\\x1b]8;;https://evil.example/\\x1b\\click');
    // A host's own colour codes are shown, not silently stripped.
    expect(out).toContain('    red \\x1b[31mtext\\x1b[0m');
    expect(out).toContain('onion.address = x\\x1b]0;innocent title\\x07.onion');
    expect(err).toContain('[trace] h2: round trip 1, section 1: stdout:\n    \\x1b]0;innocent title\\x07');
  });

  it("live (TTY): the same, and fleet's own colours still work", async () => {
    const { out } = await render(hostileRun(), { tty: true, diff: true });
    expect(out).toContain('-old\\x1b]52;c;ZWNobyBwd25lZA==\\x07\\rOK');
    expect(out).not.toContain(OSC52);
    expect(out).not.toContain(OSC0);
    expect(out).not.toContain(`${ESC}]8;`);
    expect(out).not.toContain('\rOK');
  });

  it('--json keeps the exact text, JSON-escaped', async () => {
    const { out, err } = await render(hostileRun(), { json: true });
    expectInert(out);
    const events = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as FleetEvent);
    const task = events.find((e) => e.type === 'task' && e.host === 'h1') as Extract<FleetEvent, { type: 'task' }>;
    expect(task.diff).toContain(`-old${OSC52}\rOK`);
    const recap = events.find((e) => e.type === 'recap') as Extract<FleetEvent, { type: 'recap' }>;
    expect(recap.failures[0].stderr).toContain(OSC0);
    // Traces are for people even beside --json.
    expectInert(err);
  });

  it('fleet run: grouped and streamed output, and the recap', () => {
    const events: AdhocEvent[] = [
      { type: 'run', mode: 'run', command: 'cat f', hosts: ['h1', 'h2'], become: false },
      { type: 'output', host: 'h1', stream: 'stdout', text: `one${OSC0}\r\ntwo\rTHREE\n` },
      { type: 'output', host: 'h1', stream: 'stderr', text: `err${OSC52}\n` },
      { type: 'result', host: 'h1', status: 'ok', rc: 0, stdout: `one${OSC0}\r\ntwo\rTHREE\n`, stderr: `err${OSC52}\n`, durationMs: 1 },
      { type: 'result', host: 'h2', status: 'failed', rc: 1, stdout: '', stderr: '', msg: `bad${CSI}`, durationMs: 1 },
      {
        type: 'recap',
        mode: 'run',
        hosts: { h1: { ok: 1, changed: 0, failed: 0, skipped: 0, unreachable: 0, status: 'ok', rc: 0 } },
        durationMs: 1,
      },
    ];
    for (const mode of ['grouped', 'stream'] as const) {
      const out = capture();
      const err = capture();
      const r = new AdhocReporter({ mode, out: out.stream, err: err.stream, style: createStyle(false), redactor: new Redactor() });
      for (const e of events) r.onEvent(e);
      expectInert(out.text());
      expectInert(err.text());
      expect(out.text()).toContain('one\\x1b]0;innocent title\\x07');
      expect(out.text()).toContain('two\\rTHREE');
      expect(out.text() + err.text()).toContain('err\\x1b]52;c;ZWNobyBwd25lZA==\\x07');
    }
    const json = capture();
    const r = new AdhocReporter({
      mode: 'json',
      out: json.stream,
      err: capture().stream,
      style: createStyle(false),
      redactor: new Redactor(),
    });
    for (const e of events) r.onEvent(e);
    const result = json
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; stdout?: string })[1];
    expect(result.stdout).toBe(`one${OSC0}\r\ntwo\rTHREE\n`);
  });

  it('fleet run --stream: a host that never ends its line is shown in bounded pieces, not buffered whole', () => {
    const out = capture();
    const r = new AdhocReporter({
      mode: 'stream',
      out: out.stream,
      err: capture().stream,
      style: createStyle(false),
      redactor: new Redactor(),
    });
    r.onEvent({ type: 'run', mode: 'run', command: 'x', hosts: ['h1'], become: false });
    for (let i = 0; i < 100; i++) r.onEvent({ type: 'output', host: 'h1', stream: 'stdout', text: 'z'.repeat(10_000) });
    // Shown while it streams, not held back until the line ends.
    expect(out.text().length).toBeGreaterThan(900_000);
    r.onEvent({ type: 'result', host: 'h1', status: 'ok', rc: 0, stdout: '', stderr: '', durationMs: 1 });
    expect(out.text().replace(/h1 \| |\n/g, '')).toBe('z'.repeat(1_000_000));
  });
});
