// What the human reporters remember of a run: enough to draw rows and the recap, nothing more.
import type { FleetEvent, HostCounts, HostEvent, TaskEvent, WarningEvent } from '../model/events.js';

export function emptyCounts(): HostCounts {
  return { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0 };
}

export interface HostState {
  counts: HostCounts;
  /** Title of the task running now (from task_start), cleared when it reports. */
  current?: string;
  done?: HostEvent;
  connectMs?: number;
  /** Why the first connection tries failed, when some did (the recap names these hosts). */
  retries?: string[];
}

export class RunState {
  mode: 'apply' | 'check' = 'apply';
  /** Hosts in the order the engine announced them. */
  readonly order: string[] = [];
  readonly hosts = new Map<string, HostState>();
  readonly diffs: TaskEvent[] = [];
  readonly warnings: WarningEvent[] = [];

  host(name: string): HostState {
    let h = this.hosts.get(name);
    if (!h) {
      h = { counts: emptyCounts() };
      this.hosts.set(name, h);
      this.order.push(name);
    }
    return h;
  }

  apply(e: FleetEvent): void {
    switch (e.type) {
      case 'run':
        this.mode = e.mode;
        for (const h of e.hosts) this.host(h);
        break;
      case 'play':
        for (const h of e.hosts) this.host(h);
        break;
      case 'connect':
        this.host(e.host).connectMs = e.connectMs;
        if (e.retries?.length) this.host(e.host).retries = e.retries;
        break;
      case 'task_start':
        this.host(e.host).current = taskName(e);
        break;
      case 'task': {
        const h = this.host(e.host);
        h.counts[e.status] = (h.counts[e.status] ?? 0) + 1;
        h.current = undefined;
        if (e.diff) this.diffs.push(e);
        break;
      }
      case 'host':
        this.host(e.host).done = e;
        this.host(e.host).current = undefined;
        break;
      case 'warning':
        this.warnings.push(e);
        break;
      case 'recap':
        this.mode = e.mode;
        break;
    }
  }
}

export function taskName(e: { role: string; task: string; handler?: boolean }): string {
  const name = e.role ? `${e.role} : ${e.task}` : e.task;
  return e.handler ? `${name} (handler)` : name;
}

/** A multi-line message on one line, for line-oriented output. */
export function oneLine(s: string): string {
  return s
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' / ');
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
