import { describe, expect, it } from 'vitest';
import { formatRecap } from '../../../src/report/recap.js';
import { RunState } from '../../../src/report/state.js';
import { createStyle, stripAnsi, useColor } from '../../../src/report/style.js';
import type { FleetEvent, RecapEvent } from '../../../src/model/events.js';
import { applyRun, checkRun } from './fixtures.js';

function recapOf(events: FleetEvent[], color = false): string {
  const state = new RunState();
  let recap: RecapEvent | undefined;
  for (const e of events) {
    state.apply(e);
    if (e.type === 'recap') recap = e;
  }
  return formatRecap(recap!, state, createStyle(color));
}

describe('recap', () => {
  it('has one row per host with each status count and the round trips', () => {
    const text = recapOf(applyRun());
    expect(text).toContain(
      [
        'host    ok  changed  failed  skipped  unreachable  round trips',
        'web1     0        2       0        0            0            2',
        'db1      1        0       1        0            0            2',
        'relay3   0        0       0        0            1            0',
      ].join('\n'),
    );
    expect(text).toContain('1 host changed, 1 host failed, 1 host unreachable');
  });

  it('lists the values tasks published, per host, under the variable that reads them', () => {
    const events = applyRun().map((e) =>
      e.type === 'recap' ? { ...e, outputs: { web1: { 'tor_onion.addresses.web': 'abc.onion', 'tor_onion.addresses.ssh': 'def.onion' }, db1: { 'tor_onion.addresses.db': 'ghi.onion' } } } : e,
    );
    const text = recapOf(events);
    expect(text).toContain(['OUTPUTS', 'web1  tor_onion.addresses.web = abc.onion', '      tor_onion.addresses.ssh = def.onion', 'db1   tor_onion.addresses.db = ghi.onion'].join('\n'));
    expect(recapOf(applyRun())).not.toContain('OUTPUTS');
  });

  it('details every failure: host, task, location, command, exit code, last 20 lines of stderr', () => {
    const text = recapOf(applyRun());
    const failure = text.slice(text.indexOf('FAILURES (2)'));
    expect(failure).toContain('db1 | base : install packages\n  at roles/base/tasks.yml:12\n  error: apt-get install exited 100');
    expect(failure).toContain('  command: apt-get install -y nosuchpkg # token ');
    expect(failure).toContain('  exit code: 100\n  stderr (last 20 lines, 6 earlier omitted):\n    W: noise line 7\n');
    expect(failure).toContain('    E: Unable to locate package nosuchpkg');
    expect(failure).not.toContain('noise line 6\n');
    expect(failure).toContain('relay3 | connect\n  at inventory/hosts.yml:8\n  error: connect ETIMEDOUT');
    expect(text).not.toMatch(/MODULE FAILURE/i);
  });

  it('puts a multi-line command under its label and never prints a bare failure', () => {
    const text = recapOf([
      {
        type: 'recap', mode: 'apply', durationMs: 10, hosts: { h: { ok: 0, changed: 0, failed: 1, skipped: 0, unreachable: 0 } },
        failures: [{ host: 'h', task: 't', role: 'r', location: 'roles/r/tasks.yml:4', msg: '', cmd: 'set -e\nsshd -t', rc: 255, stderr: '' }],
      },
    ]);
    expect(text).toContain('h | r : t\n  at roles/r/tasks.yml:4\n  error: failed without a message\n  command:\n    set -e\n    sshd -t\n  exit code: 255');
    expect(text).not.toContain('stderr');
  });

  it('gives tasks of unknown outcome a column and a headline of their own, only when there are some', () => {
    const counts = { ok: 1, changed: 0, failed: 0, skipped: 0, unreachable: 0 };
    const r: RecapEvent = { type: 'recap', mode: 'apply', durationMs: 10, failures: [], hosts: { a: { ...counts, unknown: 1 }, b: counts } };
    const text = recapOf([r]);
    expect(text).toContain('1 host with a task of unknown outcome (run fleet check to see the real state)');
    expect(text).toMatch(/host +ok +changed +failed +skipped +unreachable +unknown +round trips\na +1 +0 +0 +0 +0 +1 +-\nb +1 +0 +0 +0 +0 +0 +-/);
    expect(recapOf([{ ...r, hosts: { b: counts } }])).not.toContain('unknown');
  });

  it('says what check mode would do', () => {
    expect(recapOf(checkRun())).toContain('RECAP (check, 800 ms)\n1 host would change\n');
    const calm: RecapEvent = {
      type: 'recap', mode: 'check', durationMs: 5, failures: [],
      hosts: { a: { ok: 3, changed: 0, failed: 0, skipped: 0, unreachable: 0 } },
    };
    expect(recapOf([calm])).toContain('\nnothing to change\n');
    const busy: RecapEvent = { ...calm, hosts: { a: { ...calm.hosts.a, changed: 1 }, b: { ...calm.hosts.a, changed: 4 } } };
    expect(recapOf([busy])).toContain('\n2 hosts would change\n');
  });

  it('says the run was interrupted and which hosts did not finish', () => {
    const events = applyRun().filter((e) => !(e.type === 'host' && e.host !== 'web1'));
    const recap = events.pop() as RecapEvent;
    const text = recapOf([...events, { ...recap, interrupted: true }]);
    expect(text).toContain('Interrupted (Ctrl-C): the run was stopped; these hosts did not finish: db1, relay3');
    expect(text).toMatch(/\ndb1 +1 +0 +1 +0 +0 +-\n/);
  });

  it('colours only when asked, and the colours hide no text', () => {
    const plain = recapOf(applyRun(), false);
    const coloured = recapOf(applyRun(), true);
    expect(plain).not.toMatch(/\u001b\[/);
    expect(coloured).toMatch(/\u001b\[31m/);
    expect(stripAnsi(coloured)).toBe(plain);
  });

  it('colour needs a TTY and no NO_COLOR', () => {
    expect(useColor(true, {})).toBe(true);
    expect(useColor(false, {})).toBe(false);
    expect(useColor(true, { NO_COLOR: '1' })).toBe(false);
    expect(useColor(true, { NO_COLOR: '' })).toBe(true);
  });
});

describe('recap of a big run', () => {
  it('past the row limit lists only the hosts that went wrong, the rest as counts', async () => {
    const { RECAP_MAX_ROWS } = await import('../../../src/report/recap.js');
    const n = RECAP_MAX_ROWS + 10;
    const names = Array.from({ length: n }, (_, i) => `h${i + 1}`);
    const counts = (over: Partial<Record<'ok' | 'changed' | 'failed' | 'unreachable', number>>) => ({ ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, ...over });
    const hosts = Object.fromEntries(names.map((h, i) => [h, i === 3 ? counts({ failed: 1 }) : i === 7 ? counts({ unreachable: 1 }) : i % 2 ? counts({ changed: 1 }) : counts({ ok: 1 })]));
    const recap: RecapEvent = { type: 'recap', mode: 'apply', hosts, failures: [], durationMs: 1000, interrupted: false };
    const text = recapOf([{ type: 'run', mode: 'apply', playbook: 'p.yml', hosts: names }, recap]);
    const rows = text.split('\n').filter((l) => /^h\d+ /.test(l));
    expect(rows.map((l) => l.split(' ')[0])).toEqual(['h4', 'h8']);
    // 58 others: h2, h6, h10... (odd indexes but h8) changed.
    const changed = names.filter((_, i) => i % 2 === 1 && i !== 3 && i !== 7).length;
    expect(text).toContain(`${n - 2} more hosts not listed (over ${RECAP_MAX_ROWS} hosts, only those that went wrong are): ${changed} changed, ${n - 2 - changed} unchanged; --json has every host`);
  });
});
