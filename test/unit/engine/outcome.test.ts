// The outcome rules, in one place: changed_when / failed_when over any module's verdict,
// ignore_errors, loops, "will change (after: X)", and what register keeps.
import { describe, expect, it } from 'vitest';
import { combineLoop, ignoreErrors, judge, registeredOf, unlessPending, willChangeAfter, type Evaluate, type Verdict } from '../../../src/engine/outcome.js';
import { evalExpression } from '../../../src/template/index.js';

const src = { file: 'roles/t/tasks.yml', line: 3 };
/** Conditions evaluated for real, over these variables plus the rule's own. */
const evaluate =
  (vars: Record<string, unknown> = {}): Evaluate =>
  (cond, extra) =>
    evalExpression(cond, { ...vars, ...extra }, src);

const copied: Verdict = { changed: true, failed: false, msg: 'update /etc/x: content', diff: '--- /etc/x\n' };
const commandRan: Verdict = { changed: true, failed: false, msg: 'run: ls', result: { rc: 0, stdout: 'a\nb', stderr: '', stdout_lines: ['a', 'b'] } };
const commandFailed: Verdict = {
  changed: true,
  failed: true,
  msg: 'command exited 3',
  failure: { msg: 'command exited 3', cmd: 'false', rc: 3, stderr: 'boom' },
  result: { rc: 3, stdout: '', stderr: 'boom' },
};

describe('judge: changed_when and failed_when, for every module', () => {
  it('without rules the verdict stands, and register keeps changed, failed and the module\'s result', () => {
    expect(judge({}, copied, evaluate())).toEqual({ status: 'changed', msg: copied.msg, diff: copied.diff, registered: { changed: true, failed: false } });
    expect(judge({}, commandRan, evaluate()).registered).toEqual({ rc: 0, stdout: 'a\nb', stderr: '', stdout_lines: ['a', 'b'], changed: true, failed: false });
    expect(judge({}, { changed: false, failed: false, msg: '/x exists' }, evaluate())).toEqual({ status: 'ok', msg: '/x exists', registered: { changed: false, failed: false } });
  });

  it('changed_when: false on a copy that changed reports ok, as in Ansible', () => {
    const o = judge({ changedWhen: false }, copied, evaluate());
    expect(o.status).toBe('ok');
    expect(o.diff).toBeUndefined();
    expect(o.registered).toMatchObject({ changed: false, failed: false });
  });

  it('changed_when: true on a task with nothing to do reports changed', () => {
    expect(judge({ changedWhen: 'true' }, { changed: false, failed: false }, evaluate()).status).toBe('changed');
  });

  it('the rules see the result under the register name and at the top', () => {
    expect(judge({ register: 'r', changedWhen: "'b' in r.stdout_lines" }, commandRan, evaluate()).status).toBe('changed');
    expect(judge({ changedWhen: 'rc == 1' }, commandRan, evaluate()).status).toBe('ok');
    expect(judge({ failedWhen: "r.stdout == 'a\\nb'", register: 'r' }, commandRan, evaluate()).status).toBe('failed');
  });

  it('failed_when: false keeps a failed command from failing; it changed, as it ran', () => {
    const o = judge({ failedWhen: false }, commandFailed, evaluate());
    expect(o.status).toBe('changed');
    expect(o.registered).toMatchObject({ rc: 3, changed: true, failed: false });
  });

  it('failed_when true fails a module that succeeded, naming the condition; a failed verdict keeps its own detail', () => {
    const o = judge({ failedWhen: 'changed' }, copied, evaluate());
    expect(o).toMatchObject({ status: 'failed', failure: { msg: 'failed_when is true (changed)' }, registered: { changed: false, failed: true } });
    expect(judge({}, commandFailed, evaluate())).toMatchObject({ status: 'failed', msg: 'command exited 3', failure: { rc: 3, stderr: 'boom', cmd: 'false' } });
  });

  it('a condition that cannot be evaluated fails the task with the reason', () => {
    const o = judge({ changedWhen: 'nope.stdout == 1' }, copied, evaluate());
    expect(o.status).toBe('failed');
    expect(o.msg).toMatch(/nope/);
  });

  it('conditions also see the task\'s variables', () => {
    expect(judge({ changedWhen: 'expected == 2' }, copied, evaluate({ expected: 2 })).status).toBe('changed');
  });
});

describe('the other rules', () => {
  it('ignore_errors keeps the failure in the message and marks it ignored; other outcomes pass through', () => {
    const failedOutcome = judge({}, commandFailed, evaluate());
    expect(ignoreErrors({ ignoreErrors: true }, failedOutcome)).toMatchObject({ status: 'failed', ignored: true, msg: 'ignored error: command exited 3' });
    expect(ignoreErrors({ ignoreErrors: false }, failedOutcome).ignored).toBeUndefined();
    const ok = judge({}, copied, evaluate());
    expect(ignoreErrors({ ignoreErrors: true }, ok)).toBe(ok);
  });

  it('check mode: "will change (after: X)" replaces a failure only when a change is pending', () => {
    expect(willChangeAfter('install tor')).toEqual({ status: 'changed', after: 'install tor', msg: 'will change (after: install tor)' });
    const f = { status: 'failed' as const, msg: 'unit tor.service not found' };
    expect(unlessPending('install tor', f)).toEqual(willChangeAfter('install tor'));
    expect(unlessPending(undefined, f)).toBe(f);
  });

  it('a loop fails at its first failure, changes when an item changed, is skipped only when every item was', () => {
    const ok = judge({}, { changed: false, failed: false }, evaluate());
    const ch = judge({}, copied, evaluate());
    const bad = judge({}, commandFailed, evaluate());
    expect(combineLoop([ok, ch]).status).toBe('changed');
    expect(combineLoop([ok, ch]).registered).toEqual({ results: [ok.registered, ch.registered], changed: true });
    expect(combineLoop([ch, bad]).status).toBe('failed');
    expect(combineLoop([{ status: 'skipped' }, { status: 'skipped' }]).status).toBe('skipped');
    expect(combineLoop([]).status).toBe('ok');
  });

  it('register keeps an outcome without a result as its status flags', () => {
    expect(registeredOf({ status: 'skipped' })).toEqual({ changed: false, failed: false, skipped: true });
    expect(registeredOf({ status: 'ok', registered: { rc: 0 } })).toEqual({ rc: 0 });
  });
});
