// Output of ad-hoc commands (`fleet run`): each host's output in one block when it finishes,
// or every line as it arrives with the host in front (--stream), or NDJSON (--json); then a
// recap with each host's exit status. Every line passes the redactor first, and in the human
// modes terminalSafe (a host's output may hold escape sequences meant for the terminal).
import type { HostCounts } from '../model/events.js';
import type { Redactor } from './redact.js';
import { formatMs, plural } from './state.js';
import type { Style } from './style.js';
import { terminalSafe, terminalSafeValue } from './terminal-safe.js';

export type AdhocStatus = 'ok' | 'failed' | 'unreachable' | 'interrupted';

export interface AdhocStartEvent {
  type: 'run';
  mode: 'run';
  command: string;
  hosts: string[];
  become: boolean | 'inventory';
}

export interface AdhocOutputEvent {
  type: 'output';
  host: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface AdhocResultEvent {
  type: 'result';
  host: string;
  status: AdhocStatus;
  rc?: number;
  stdout: string;
  stderr: string;
  /** Bytes of output not kept (a line in stdout/stderr says where), when any were dropped. */
  dropped?: { stdout: number; stderr: number };
  msg?: string;
  connectMs?: number;
  durationMs: number;
}

export interface AdhocRecapEvent {
  type: 'recap';
  mode: 'run';
  /** Per host: its status and exit code, plus the counts every recap carries (one command = one task). */
  hosts: Record<string, HostCounts & { status: AdhocStatus; rc?: number }>;
  durationMs: number;
  interrupted?: boolean;
}

export type AdhocEvent = AdhocStartEvent | AdhocOutputEvent | AdhocResultEvent | AdhocRecapEvent;

export interface AdhocReporterOptions {
  mode: 'grouped' | 'stream' | 'json';
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  style: Style;
  redactor: Redactor;
}

/** --stream: the longest unfinished line kept while waiting for its end. */
const MAX_PARTIAL_LINE = 64 * 1024;

export class AdhocReporter {
  /** --stream: the unfinished last line of each host's stream, printed once it ends. */
  private readonly partial = new Map<string, string>();
  private width = 0;

  constructor(private readonly o: AdhocReporterOptions) {}

  onEvent(raw: AdhocEvent): void {
    const redacted = this.o.redactor.redactEvent(raw);
    if (this.o.mode === 'json') {
      if (redacted.type === 'output') return; // the result event carries it, already split by stream
      const { type, ...rest } = redacted;
      this.o.out.write(JSON.stringify({ type, ...rest }) + '\n');
      return;
    }
    const e = terminalSafeValue(redacted);
    switch (e.type) {
      case 'run':
        this.width = Math.max(0, ...e.hosts.map((h) => h.length));
        break;
      case 'output':
        // Output arrives in chunks; redaction and prefixes need whole lines.
        this.streamLines(raw as AdhocOutputEvent);
        break;
      case 'result':
        if (this.o.mode === 'stream') {
          this.flushPartial(e.host);
          if (e.status !== 'ok') this.o.out.write(this.headline(e) + '\n');
        } else this.block(e);
        break;
      case 'recap':
        this.o.out.write(this.recap(e));
        break;
    }
  }

  private streamLines(e: AdhocOutputEvent): void {
    const key = `${e.host}\0${e.stream}`;
    const text = (this.partial.get(key) ?? '') + e.text;
    const lines = text.split('\n');
    let rest = lines.pop()!;
    // A host that never ends its line must not grow this buffer without bound: past a bound,
    // the unfinished line is shown in pieces.
    if (rest.length > MAX_PARTIAL_LINE) {
      lines.push(rest);
      rest = '';
    }
    this.partial.set(key, rest);
    for (const l of lines) this.prefixed(e.host, e.stream, l);
  }

  private flushPartial(host: string): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const key = `${host}\0${stream}`;
      const rest = this.partial.get(key);
      if (rest) this.prefixed(host, stream, rest);
      this.partial.delete(key);
    }
  }

  private prefixed(host: string, stream: 'stdout' | 'stderr', line: string): void {
    const s = this.o.style;
    const prefix = host.padEnd(this.width);
    // A line that ended in \r\n: the \r belongs to the line ending, not to the text.
    const text = terminalSafe(this.o.redactor.redact(line.endsWith('\r') ? line.slice(0, -1) : line));
    if (stream === 'stdout') this.o.out.write(`${s.cyan(prefix)} | ${text}\n`);
    else this.o.err.write(`${s.cyan(prefix)} ! ${text}\n`);
  }

  private headline(e: AdhocResultEvent): string {
    const s = this.o.style;
    const label = e.status.toUpperCase();
    const what = e.rc !== undefined ? `rc=${e.rc}` : (e.msg ?? '');
    const line = `${e.host} | ${label} | ${what}`;
    return e.status === 'ok' ? s.green(line) : e.status === 'interrupted' ? s.yellow(line) : s.red(line);
  }

  private block(e: AdhocResultEvent): void {
    const out: string[] = [this.headline(e) + (e.rc !== undefined ? ' >>' : '')];
    if (e.stdout) out.push(e.stdout.replace(/\n$/, ''));
    if (e.stderr.trim()) out.push(this.o.style.dim(e.stderr.replace(/\n$/, '')));
    if (e.rc !== undefined && e.msg) out.push(e.msg);
    this.o.out.write(out.join('\n') + '\n');
  }

  private recap(r: AdhocRecapEvent): string {
    const s = this.o.style;
    const hosts = Object.keys(r.hosts);
    const by = (st: AdhocStatus) => hosts.filter((h) => r.hosts[h].status === st).length;
    const parts = [s.green(`${plural(by('ok'), 'host')} ok`)];
    if (by('failed')) parts.push(s.red(`${by('failed')} failed`));
    if (by('unreachable')) parts.push(s.red(`${by('unreachable')} unreachable`));
    if (by('interrupted')) parts.push(s.yellow(`${by('interrupted')} interrupted`));
    const lines = ['', s.bold(`RECAP (run, ${formatMs(r.durationMs)})`) + ' ' + parts.join(', ')];
    const w = Math.max(4, ...hosts.map((h) => h.length));
    lines.push(s.dim(`${'host'.padEnd(w)}  ${'status'.padEnd(11)}  rc`));
    for (const h of hosts) {
      const c = r.hosts[h];
      const line = `${h.padEnd(w)}  ${c.status.padEnd(11)}  ${c.rc ?? '-'}`;
      lines.push(c.status === 'ok' ? line : c.status === 'interrupted' ? s.yellow(line) : s.red(line));
    }
    if (r.interrupted) lines.push(s.yellow('Interrupted (Ctrl-C): hosts not started were left alone; commands in flight were cut off'));
    return lines.join('\n') + '\n';
  }
}

/** The recap's per-host entry for one result. */
export function adhocCounts(o: { status: AdhocStatus; rc?: number }): HostCounts & { status: AdhocStatus; rc?: number } {
  return {
    ok: o.status === 'ok' ? 1 : 0,
    changed: 0,
    failed: o.status === 'failed' ? 1 : 0,
    skipped: o.status === 'interrupted' ? 1 : 0,
    unreachable: o.status === 'unreachable' ? 1 : 0,
    status: o.status,
    ...(o.rc !== undefined ? { rc: o.rc } : {}),
  };
}
