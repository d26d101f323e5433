import { describe, expect, it } from 'vitest';
import { taskLine } from '../../../src/report/plain.js';
import { applyRun, checkRun } from './fixtures.js';
import { render } from './helpers.js';

describe('plain reporter', () => {
  it('prints one line per task result, diffs below, warnings, plays, then the recap', async () => {
    const { out, err } = await render(applyRun(), { diff: true, secrets: ['hunter2-Sup3rSecret'] });
    expect(err).toBe('');
    const lines = out.split('\n');
    expect(lines.slice(0, 14)).toEqual([
      'RUN apply playbooks/site.yml | 3 hosts',
      'PLAY base | 3 hosts',
      'web1 | CHANGED | app : write app.conf | update /etc/app/app.conf',
      '    --- /etc/app/app.conf',
      '    +++ /etc/app/app.conf',
      '    @@ -1,2 +1,2 @@',
      '     listen = 0.0.0.0',
      '    -********', // the old value: the new side holds a secret
      '    +password = ********',
      'db1 | OK | app : write app.conf',
      'db1 | FAILED | base : install packages | apt-get install exited 100',
      'web1 | CHANGED | app : restart app (handler) | restart app.service',
      'WARNING | web1 | deprecated param in body cGFzc3dvcmQ9********Ao=',
      'relay3 | UNREACHABLE',
    ]);
    // The recap comes last.
    expect(lines[15]).toBe('RECAP (apply, 2.4 s)');
    expect(out.trimEnd().endsWith('error: connect ETIMEDOUT 203.0.113.7:22 after 10 s')).toBe(true);
    // Plain output is for logs: no escape codes.
    expect(out).not.toMatch(/\u001b\[/);
  });

  it('shows check-mode dependencies and skips, and no diffs unless asked', async () => {
    const { out } = await render(checkRun());
    expect(out.split('\n').slice(0, 6)).toEqual([
      'RUN check playbooks/site.yml | 2 hosts',
      'PLAY web | 2 hosts | batch 1',
      'web1 | CHANGED | nginx : install nginx | install nginx',
      'web1 | CHANGED | nginx : start nginx | will change | after: install nginx',
      'db1 | OK | nginx : install nginx',
      'db1 | SKIPPED | nginx : open port | when: open_port is false',
    ]);
    const noDiff = await render(applyRun(), { diff: false });
    expect(noDiff.out).not.toContain('+password');
  });

  it('does not repeat an unreachable host the engine already reported as a task', async () => {
    const { out } = await render([
      { type: 'task', host: 'r', play: 'p', role: '', task: 'connect', status: 'unreachable', durationMs: 1, msg: 'timed out' },
      { type: 'host', host: 'r', roundTrips: 0, connectMs: 0, status: 'unreachable' },
    ]);
    expect(out).toBe('r | UNREACHABLE | connect | timed out\n');
  });

  it('formats a task line: multi-line messages on one line, failure message as fallback', () => {
    expect(
      taskLine({
        type: 'task', host: 'h', play: 'p', role: 'r', task: 't', status: 'failed', durationMs: 1,
        failure: { host: 'h', task: 't', role: 'r', location: 'roles/r/tasks.yml:3', msg: 'first\n\n second ' },
      }),
    ).toBe('h | FAILED | r : t | first / second');
  });
});
