// `fleet backup status`: parsing what a host's fleet-backups script prints, and the rules
// that make the command fail.
import { describe, expect, it } from 'vitest';
import { formatAge, formatBytes, judge, parseDuration, parseStatus } from '../../../src/cli/commands/backup-status.js';
import { restoreScript, runScript } from '../../../src/cli/commands/backup-scripts.js';

const NOW = 1_800_000_000;
const status = (extra: string) =>
  parseStatus(`configured=1\nnow=${NOW}\nmax_age_hours=26\nrepository='sftp:fleet-backups-repository:/repo'\nrunning=inactive\n${extra}`);
const good = `last_run_start=${NOW - 3600}\nlast_run_end=${NOW - 3500}\nlast_run_result=ok\nlast_run_message=''\nlast_snapshot_id='3555bf74'\nlast_snapshot_time=${NOW - 3600}\nlast_snapshot_bytes=2048\nlast_snapshot_added=100\nlast_snapshot_files=3\n`;

describe('backup status', () => {
  it('parses the status file, sh quoting included', () => {
    const s = status(`${good}last_run_message='it'\\''s "fine"'\n`);
    expect(s).toMatchObject({ configured: true, snapshotId: '3555bf74', snapshotBytes: 2048, snapshotFiles: 3, maxAgeSeconds: 26 * 3600, lastRunMessage: `it's "fine"`, repository: 'sftp:fleet-backups-repository:/repo' });
  });

  it('keeps a message with a carriage return in it (ssh ends its errors with CR LF)', () => {
    const s = status(`${good}last_run_message='the repository cannot be opened (ssh: connect to host 10.0.0.3 port 22: Connection refused\r )'\n`);
    expect(s.lastRunMessage).toBe('the repository cannot be opened (ssh: connect to host 10.0.0.3 port 22: Connection refused\r )');
  });

  it('a recent snapshot and a good last run pass; age is by the host clock', () => {
    expect(judge(status(good), {})).toEqual({ ok: true, problems: [], ageSeconds: 3600 });
  });

  it('fails when the last snapshot is older than the host threshold or --max-age', () => {
    const old = good.replace(`last_snapshot_time=${NOW - 3600}`, `last_snapshot_time=${NOW - 27 * 3600}`);
    expect(judge(status(old), {}).problems).toEqual(['last snapshot is 1d 3h old (limit 1d 2h)']);
    expect(judge(status(good), { maxAgeSeconds: 60 }).problems).toEqual(['last snapshot is 1h old (limit 1m)']);
  });

  it('fails when the last run failed, even with a recent snapshot', () => {
    const v = judge(status(good.replace('last_run_result=ok', 'last_run_result=failed').replace("last_run_message=''", "last_run_message='the repository cannot be opened: Fatal: x'")), {});
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toMatch(/^last run failed 58m ago: the repository cannot be opened: Fatal: x$/);
  });

  it('fails with no snapshot at all, and for a host that is not set up unless its inventory turns backups off', () => {
    expect(judge(status('last_run_result=failed\nlast_run_message=boom\n'), {}).problems).toEqual(['no snapshot yet', 'last run failed: boom']);
    expect(judge(parseStatus('configured=0\n'), {}).ok).toBe(false);
    expect(judge(parseStatus('configured=0\n'), { disabled: true }).ok).toBe(true);
  });

  it('durations, ages and sizes', () => {
    expect(parseDuration('26h')).toBe(93600);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('2d')).toBe(172800);
    expect(() => parseDuration('26')).toThrow(/not a duration/);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
    expect(formatAge(59)).toBe('59s');
    expect(formatAge(3 * 3600 + 120)).toBe('3h 2m');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
  });
});

describe('backup scripts', () => {
  it('restore quotes every argument and restores databases after files', () => {
    const s = restoreScript({ snapshot: 'latest', paths: ["/srv/it's here"], to: '/tmp/x', databases: ['app'] });
    expect(s).toContain(`/usr/local/sbin/fleet-backups restore --snapshot latest --include '/srv/it'\\''s here' --target /tmp/x\n`);
    expect(s.indexOf('restore-db')).toBeGreaterThan(s.indexOf('restore --snapshot'));
    expect(restoreScript({ snapshot: 'latest', paths: [], databases: ['app'] })).not.toContain('restore --snapshot');
    expect(restoreScript({ snapshot: 'abcd1234', paths: [], databases: [] })).toContain('restore --snapshot abcd1234\n');
    // Anything a shell would read specially is quoted.
    expect(restoreScript({ snapshot: 'x;rm -rf /', paths: [], databases: [] })).toContain("restore --snapshot 'x;rm -rf /'\n");
  });

  it('run starts the timer\'s own service and reports its status', () => {
    expect(runScript()).toMatch(/systemctl start fleet-backups\.service\nrc=\$\?\n\/usr\/local\/sbin\/fleet-backups status\nexit \$rc/);
  });
});
