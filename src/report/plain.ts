// Plain lines for CI logs and pipes: one line per result, greppable by host or status,
// nothing redrawn, then the recap.
import { retryNote } from './retry-note.js';
import type { FleetEvent, TaskEvent } from '../model/events.js';
import { formatDiff } from './diff-format.js';
import { formatRecap } from './recap.js';
import { RunState, oneLine, plural, taskName } from './state.js';
import type { Style } from './style.js';

export function taskLine(e: TaskEvent): string {
  const parts = [e.host, e.status.toUpperCase(), taskName(e)];
  const msg = e.msg ?? e.failure?.msg;
  if (msg && oneLine(msg)) parts.push(oneLine(msg));
  if (e.after) parts.push(`after: ${e.after}`);
  return parts.join(' | ');
}

export class PlainRenderer {
  private readonly state = new RunState();
  /** Hosts already reported unreachable by a task line, so the host line does not repeat it. */
  private readonly unreachableShown = new Set<string>();

  constructor(
    private readonly write: (text: string) => void,
    private readonly style: Style,
    private readonly showDiff: boolean,
  ) {}

  onEvent(e: FleetEvent): void {
    this.state.apply(e);
    switch (e.type) {
      case 'run':
        this.write(`RUN ${e.mode} ${e.playbook} | ${plural(e.hosts.length, 'host')}\n`);
        break;
      case 'play':
        this.write(
          `PLAY ${e.play} | ${plural(e.hosts.length, 'host')}${e.batch !== undefined ? ` | batch ${e.batch}` : ''}\n`,
        );
        break;
      case 'task':
        if (e.status === 'unreachable') this.unreachableShown.add(e.host);
        this.write(this.paint(e, taskLine(e)) + '\n');
        if (this.showDiff && e.diff) this.write(formatDiff(e.diff, this.style) + '\n');
        break;
      case 'host':
        if (e.status === 'unreachable' && !this.unreachableShown.has(e.host)) {
          this.write(this.style.red(`${e.host} | UNREACHABLE`) + '\n');
        }
        break;
      case 'warning':
        this.write(this.style.yellow(`WARNING${e.host ? ` | ${e.host}` : ''} | ${oneLine(e.msg)}`) + '\n');
        break;
      case 'recap':
        this.write(formatRecap(e, this.state, this.style));
        break;
      case 'connect':
        // A host that needed retries is worth a line: it was slow or turned us away at first.
        if (e.retries?.length) this.write(this.style.yellow(`${e.host} | ${retryNote(e.retries)}`) + '\n');
        break;
      case 'task_start':
        // Progress, not results: the live view shows them, a log does not need them.
        break;
    }
  }

  private paint(e: TaskEvent, line: string): string {
    if (e.status === 'failed' || e.status === 'unreachable' || e.status === 'unknown') return this.style.red(line);
    if (e.status === 'changed') return this.style.yellow(line);
    if (e.status === 'ok') return this.style.green(line);
    return this.style.dim(line);
  }
}
