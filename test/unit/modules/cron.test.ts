// cron (Ansible's): the edits on crontabs as Ansible writes and reads them ("#Ansible: NAME"
// above each job), the cron_file cycle in a real shell (probe, plan, apply, ok), check-mode
// honesty (plan writes nothing, says what and shows the diff), Ansible's parameter checks.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cron, cronProblem } from '../../../src/modules/cron.js';
import { cronLines, editCron, renderCron, type CronEntry } from '../../../src/modules/lib/crontab.js';
import { converge, isValid, params, planOf, runApply, tempDir } from './helpers.js';

let t: { dir: string; cleanup: () => void };
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

const base: CronEntry = { name: 'backup', state: 'present', job: '/usr/local/bin/backup', minute: '0', hour: '5', day: '*', month: '*', weekday: '*', disabled: false, env: false };
const edit = (text: string, e: Partial<CronEntry>) => {
  const r = editCron(cronLines(text), { ...base, ...e });
  return { text: renderCron(r.lines), changed: r.changed };
};

/** A user crontab as Ansible leaves it after two cron tasks, with a line of the operator's. */
const ANSIBLE_WRITTEN = 'MAILTO=""\n#Ansible: backup\n0 5 * * * /usr/local/bin/backup\n@hourly /usr/bin/mine\n#Ansible: rotate\n@daily /usr/sbin/logrotate-now\n';

describe('cron: the lines Ansible writes', () => {
  it('a crontab Ansible wrote is recognised: the same job is ok, a new time updates it in place', () => {
    expect(edit(ANSIBLE_WRITTEN, {})).toEqual({ text: ANSIBLE_WRITTEN, changed: false });
    expect(edit(ANSIBLE_WRITTEN, { name: 'rotate', special_time: 'daily', job: '/usr/sbin/logrotate-now' }).changed).toBe(false);
    const moved = edit(ANSIBLE_WRITTEN, { hour: '6' });
    expect(moved.changed).toBe(true);
    expect(moved.text).toBe(ANSIBLE_WRITTEN.replace('0 5 * * *', '0 6 * * *'));
  });

  it('a new job is appended under its comment; disabled is a # before the line; absent removes both lines', () => {
    expect(edit('', {}).text).toBe('#Ansible: backup\n0 5 * * * /usr/local/bin/backup\n');
    expect(edit('@hourly x', { name: 'n', special_time: 'reboot', job: 'y' }).text).toBe('@hourly x\n#Ansible: n\n@reboot y\n');
    expect(edit(ANSIBLE_WRITTEN, { disabled: true }).text).toContain('#Ansible: backup\n#0 5 * * * /usr/local/bin/backup\n');
    const gone = edit(ANSIBLE_WRITTEN, { state: 'absent' });
    expect(gone).toEqual({ text: 'MAILTO=""\n@hourly /usr/bin/mine\n#Ansible: rotate\n@daily /usr/sbin/logrotate-now\n', changed: true });
    expect(edit(gone.text, { state: 'absent' }).changed).toBe(false);
  });

  it('an identical job without the comment gets it (Ansible migrates unnamed jobs) and counts as a change', () => {
    expect(edit('0 5 * * * /usr/local/bin/backup\n', {})).toEqual({ text: '#Ansible: backup\n0 5 * * * /usr/local/bin/backup\n', changed: true });
  });

  it('env: NAME="value" at the top (or after/before another variable); updated in place; absent removes it', () => {
    expect(edit(ANSIBLE_WRITTEN, { env: true, name: 'PATH', job: '/usr/bin:/bin' }).text).toBe(`PATH="/usr/bin:/bin"\n${ANSIBLE_WRITTEN}`);
    expect(edit(ANSIBLE_WRITTEN, { env: true, name: 'MAILTO', job: '' })).toEqual({ text: ANSIBLE_WRITTEN, changed: false });
    expect(edit(ANSIBLE_WRITTEN, { env: true, name: 'MAILTO', job: 'ops@example.org' }).text).toMatch(/^MAILTO="ops@example.org"\n#Ansible: backup/);
    expect(edit(ANSIBLE_WRITTEN, { env: true, name: 'SHELL', job: '/bin/bash', insertafter: 'MAILTO' }).text).toMatch(/^MAILTO=""\nSHELL="\/bin\/bash"\n/);
    expect(() => edit(ANSIBLE_WRITTEN, { env: true, name: 'X', job: '1', insertbefore: 'NOPE' })).toThrow("Variable named 'NOPE' not found.");
    expect(edit(ANSIBLE_WRITTEN, { env: true, name: 'MAILTO', state: 'absent' }).text).toBe(ANSIBLE_WRITTEN.replace('MAILTO=""\n', ''));
  });

  it('a cron_file line carries the user', () => {
    expect(edit('', { fileUser: 'www-data', special_time: 'hourly' }).text).toBe('#Ansible: backup\n@hourly www-data /usr/local/bin/backup\n');
  });
});

describe('cron module', () => {
  it('cron_file: created 0644, then ok; check mode (plan) writes nothing and shows the diff; the last entry absent removes the file', () => {
    const f = join(t.dir, 'fleet-backup');
    const p = params(cron, { name: 'backup', user: 'root', minute: 0, hour: 5, job: '/usr/local/bin/backup', cron_file: f });
    const plan = planOf(cron, p);
    expect(plan).toMatchObject({ kind: 'change', summary: `set job backup in ${f}` });
    expect(existsSync(f)).toBe(false);
    if (plan.kind === 'change') expect(plan.diff).toContain('+0 5 * * * root /usr/local/bin/backup');
    const r = runApply(cron, { ...p, cron_file: f }, plan);
    // chown root may fail as a normal user: the test runs as root in CI and here.
    expect(r.rc, r.stderr).toBe(0);
    expect(readFileSync(f, 'utf8')).toBe('#Ansible: backup\n0 5 * * * root /usr/local/bin/backup\n');
    expect(planOf(cron, p).kind).toBe('ok');
    // Drift: the hour changed on the host.
    writeFileSync(f, '#Ansible: backup\n0 7 * * * root /usr/local/bin/backup\n');
    const drift = planOf(cron, p);
    expect(drift.kind === 'change' && drift.diff).toMatch(/-0 7 \* \* \* root.*\n\+0 5 \* \* \* root/);
    converge(cron, p);
    const absent = params(cron, { name: 'backup', state: 'absent', cron_file: f });
    expect(planOf(cron, absent)).toMatchObject({ kind: 'change', summary: expect.stringContaining(`remove ${f}`) });
    converge(cron, absent);
    expect(existsSync(f)).toBe(false);
  });

  it("a user's crontab: read with crontab -l -u, written with crontab -u USER -; a missing user is blocked", () => {
    const p = params(cron, { name: 'backup', user: 'app', job: '/bin/true' });
    expect(cron.probe(p)).toContain('crontab -l -u app');
    expect(cron.plan(p, 'user=absent\n')).toMatchObject({ kind: 'blocked', reason: 'user app does not exist' });
    const plan = cron.plan(p, 'exists=0\n');
    expect(plan).toMatchObject({ kind: 'change', summary: 'set job backup in crontab of app' });
    if (plan.kind === 'change') expect(cron.apply(p, plan)).toContain('crontab -u app -');
    const written = Buffer.from('#Ansible: backup\n* * * * * /bin/true\n').toString('base64');
    expect(cron.plan(p, `exists=1\ntext_b64=${written}\n`).kind).toBe('ok');
  });

  it("Ansible's parameter checks; bad values refused by the schema", () => {
    const problem = (raw: Record<string, unknown>) => cronProblem(params(cron, raw));
    expect(problem({ name: 'a', job: 'x', special_time: 'daily', hour: 5 })).toBe('You must specify time and date fields or special time.');
    expect(problem({ name: 'a', job: 'x', cron_file: 'f' })).toBe('To use cron_file=... parameter you must specify user=... as well');
    expect(problem({ name: 'a' })).toBe("You must specify 'job' to install a new cron job or variable");
    expect(problem({ name: 'a', job: 'x', insertafter: 'B' })).toBe('Insertafter and insertbefore parameters are valid only with env=yes');
    expect(problem({ name: 'a b', job: 'x', env: true })).toBe('Invalid name for environment variable');
    expect(problem({ name: 'a', state: 'absent', cron_file: 'f' })).toBeUndefined();
    expect(isValid(cron, { name: 'a', job: 'x', special_time: 'fortnightly' })).toBe(false);
    expect(isValid(cron, { name: 'a', job: 'x', user: 'bad user' })).toBe(false);
    expect(isValid(cron, { name: 'a', job: 'x', minute: '0 5' })).toBe(false);
    expect(isValid(cron, { name: 'a\nb', job: 'x' })).toBe(false);
  });
});
