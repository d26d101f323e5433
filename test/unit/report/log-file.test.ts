// The log file: NDJSON appended run after run, each line stamped and redacted, rotated by size.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEventLog, LOG_KEEP } from '../../../src/report/log-file.js';
import { Redactor } from '../../../src/report/redact.js';

const dir = mkdtempSync(join(tmpdir(), 'fleet-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lines = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe('event log', () => {
  it('appends runs as NDJSON with time, run id and the command, secrets redacted, mode 0600', () => {
    const file = join(dir, 'sub', 'fleet.log');
    for (const word of ['first', 'second']) {
      const redactor = new Redactor();
      const log = openEventLog({ file, maxBytes: 1e6, redactor, command: ['run', 'all', '-e', 'db_password=hunter2hunter2'] });
      redactor.add('hunter2hunter2');
      log.onEvent({ type: 'task_start' });
      log.onEvent({ type: 'result', host: 'h1', stdout: `${word} hunter2hunter2` } as { type: string });
      log.close();
    }
    const all = lines(file);
    expect(all.map((l) => l.type)).toEqual(['command', 'result', 'command', 'result']);
    expect(all[0].argv).toEqual(['run', 'all', '-e', 'db_password=********']);
    expect(all[1]).toMatchObject({ type: 'result', host: 'h1', stdout: 'first ********' });
    expect(all[0].run).toBe(all[1].run);
    expect(all[2].run).not.toBe(all[0].run);
    expect(Date.parse(all[3].ts)).toBeGreaterThan(0);
    expect(readFileSync(file, 'utf8')).not.toContain('hunter2');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('rotates past the size limit: FILE.1 is the newest old log, at most LOG_KEEP are kept', () => {
    const file = join(dir, 'rot.log');
    for (let run = 0; run < LOG_KEEP + 3; run++) {
      const log = openEventLog({ file, maxBytes: 600, redactor: new Redactor(), command: [`run-${run}`] });
      for (let i = 0; i < 5; i++) log.onEvent({ type: 'task', n: i, pad: 'x'.repeat(60) } as { type: string });
      log.close();
    }
    expect(statSync(file).size).toBeLessThanOrEqual(600);
    for (let i = 1; i <= LOG_KEEP; i++) expect(existsSync(`${file}.${i}`)).toBe(true);
    expect(existsSync(`${file}.${LOG_KEEP + 1}`)).toBe(false);
    // newest first: the live file holds the last run's tail, FILE.1 what came just before
    const live = lines(file);
    expect(live.at(-1)).toMatchObject({ type: 'task', n: 4 });
    const older = lines(`${file}.2`);
    const prev = lines(`${file}.1`);
    expect(Date.parse(prev.at(-1).ts)).toBeLessThanOrEqual(Date.parse(live[0].ts));
    expect(Date.parse(older.at(-1).ts)).toBeLessThanOrEqual(Date.parse(prev[0].ts));
    // nothing was lost between the files: the last run's lines are all there, in order
    const lastRun = [...prev, ...live].filter((l) => l.run === live.at(-1).run).map((l) => l.n ?? l.type);
    expect(lastRun).toEqual(['command', 0, 1, 2, 3, 4].slice(-lastRun.length));
    for (let i = 1; i <= LOG_KEEP; i++) expect(statSync(`${file}.${i}`).size).toBeLessThanOrEqual(600);
  });
});
