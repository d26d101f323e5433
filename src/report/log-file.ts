// The log file: every run's events appended as NDJSON, each stamped with the time and a run
// id (runs of several commands interleave in one file), secrets redacted like every other
// output, and rotated by size (FILE.1 is the newest old log) so it never fills a disk.
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import type { Redactor } from './redact.js';

/** Rotated files kept besides the live one. */
export const LOG_KEEP = 5;

export interface EventLog {
  onEvent(e: { type: string }): void;
  close(): void;
}

export interface EventLogOptions {
  file: string;
  maxBytes: number;
  redactor: Redactor;
  /** Written as the first line of the run: which command, from where. */
  command: string[];
}

export function openEventLog(opts: EventLogOptions): EventLog {
  mkdirSync(dirname(opts.file), { recursive: true });
  const run = randomBytes(6).toString('hex');
  let fd = -1;
  let size = 0;
  const open = (full = false): void => {
    if (full || (existsSync(opts.file) && statSync(opts.file).size >= opts.maxBytes)) rotate(opts.file);
    fd = openSync(opts.file, 'a', 0o600);
    size = fstatSync(fd).size;
  };
  const write = (obj: Record<string, unknown>): void => {
    const line = JSON.stringify(obj) + '\n';
    if (size > 0 && size + Buffer.byteLength(line) > opts.maxBytes) {
      closeSync(fd);
      open(true);
    }
    size += writeSync(fd, line);
  };
  open();
  let started = false;
  return {
    onEvent(e) {
      if (fd < 0 || e.type === 'task_start') return;
      // Written with the first event, once the run has told the redactor its secrets (an -e
      // password on the command line).
      if (!started) {
        started = true;
        write({ ts: new Date().toISOString(), run, type: 'command', argv: opts.redactor.redactEvent(opts.command), cwd: process.cwd(), pid: process.pid });
      }
      const { type, ...rest } = opts.redactor.redactEvent(e) as { type: string };
      write({ ts: new Date().toISOString(), run, type, ...rest });
    },
    close() {
      if (fd >= 0) closeSync(fd);
      fd = -1;
    },
  };
}

/** FILE -> FILE.1 -> FILE.2 ... ; the oldest beyond LOG_KEEP is dropped. */
function rotate(file: string): void {
  rmSync(`${file}.${LOG_KEEP}`, { force: true });
  for (let i = LOG_KEEP - 1; i >= 1; i--) if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`);
  renameSync(file, `${file}.1`);
}
