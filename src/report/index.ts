// The report layer: picks a renderer for the run and makes sure every event passes through
// the redactor before any renderer sees it, and, for the human views, through terminalSafe
// (text from hosts may hold escape sequences meant for the operator's terminal).
import type { FleetEvent } from '../model/events.js';
import { deferredSink, type Sink } from './deferred-sink.js';
import { ndjsonLine } from './ndjson.js';
import { PlainRenderer } from './plain.js';
import { Redactor } from './redact.js';
import { createStyle, useColor } from './style.js';
import { terminalSafe, terminalSafeValue } from './terminal-safe.js';

export { Redactor } from './redact.js';
export { formatRecap, formatFailure } from './recap.js';
export { formatDiff } from './diff-format.js';
export { openEventLog, type EventLog } from './log-file.js';
export { createStyle, type Style } from './style.js';
export { terminalSafe, terminalSafeValue } from './terminal-safe.js';

export interface Reporter {
  onEvent(e: FleetEvent): void;
  /** Resolves once everything has been written and flushed. */
  close(): Promise<void>;
}

export interface ReporterOptions {
  /** NDJSON on `out`, one event per line. */
  json: boolean;
  /** `out` is a terminal: live view. Otherwise plain lines. */
  tty: boolean;
  /** Print diffs the engine attached to task events (human modes). */
  diff: boolean;
  /** Colour the human view; default: on a terminal unless NO_COLOR is set. */
  color?: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  redactor: Redactor;
}

export function createReporter(opts: ReporterOptions): Reporter {
  const sink = createSink(opts);
  let closed: Promise<void> | undefined;
  return {
    onEvent(e) {
      if (closed) return;
      // --json leaves task_start out (ndjson.ts): not redacted (a deep copy) just to be dropped.
      if (opts.json && e.type === 'task_start') return;
      const safe = opts.redactor.redactEvent(e);
      // Traces (FLEET_TRACE=1) go to stderr in every mode, beside the view, not in it.
      // They are for people in every mode, so they are made terminal-safe even beside --json.
      if (safe.type === 'trace') opts.err.write(terminalSafe(`[trace] ${safe.host}: ${safe.msg}`) + '\n');
      else sink.onEvent(opts.json ? safe : terminalSafeValue(safe));
    },
    close() {
      closed ??= sink.close().then(() => Promise.all([flush(opts.out), flush(opts.err)])).then(() => undefined);
      return closed;
    },
  };
}

function createSink(opts: ReporterOptions): Sink {
  const write = (text: string) => {
    opts.out.write(text);
  };
  if (opts.json) {
    const lines = new LineBatch(write);
    return {
      onEvent: (e) => {
        const line = ndjsonLine(e);
        if (line) lines.add(line);
      },
      close: async () => lines.close(),
    };
  }
  const style = createStyle(opts.color ?? useColor(opts.tty));
  if (opts.tty) return deferredSink(async () => import('./live.js').then((m) => new m.LiveRenderer(opts.out, opts.err, style, opts.diff)));
  const plain = new PlainRenderer(write, style, opts.diff);
  return { onEvent: (e) => plain.onEvent(e), close: async () => undefined };
}

/** Lines written together: all those of one turn of the event loop (a run of 1000 hosts emits
 * 35 000 task events: one write each was one system call each on a pipe, and on a loopback
 * reader one wake-up each), at most BATCH_BYTES at a time. Order is kept; nothing waits
 * longer than the current turn; a process.exit (the third Ctrl-C) still writes them. */
const BATCH_BYTES = 64 * 1024;

class LineBatch {
  private pending: string[] = [];
  private bytes = 0;
  private scheduled = false;
  private readonly onExit = () => this.flush();

  constructor(private readonly write: (text: string) => void) {
    process.on('exit', this.onExit);
  }

  add(line: string): void {
    this.pending.push(line);
    this.bytes += line.length;
    if (this.bytes >= BATCH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  flush(): void {
    if (!this.pending.length) return;
    const text = this.pending.join('');
    this.pending = [];
    this.bytes = 0;
    this.write(text);
  }

  close(): void {
    this.flush();
    process.off('exit', this.onExit);
  }
}

/** Resolves when everything written so far has been handed to the OS (or the stream died). */
function flush(stream: NodeJS.WritableStream): Promise<void> {
  const s = stream as NodeJS.WritableStream & { writableEnded?: boolean; destroyed?: boolean };
  if (s.writableEnded || s.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    try {
      s.write('', () => resolve());
    } catch {
      resolve();
    }
  });
}
