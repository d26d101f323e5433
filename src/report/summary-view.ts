// The live view for more hosts than the terminal has rows: a block of a few lines redrawn in
// place (summary-lines.ts), and above it one line per host that went wrong, printed once when
// it happens so it stays in the scrollback. No listr2 rows: a thousand of them cost memory
// and a redraw measures every one.
import type { FleetEvent } from '../model/events.js';
import { failureLine, hostPhase, summaryBlock, type HostPhase } from './summary-lines.js';
import type { RunState } from './state.js';
import type { Style } from './style.js';

const CURSOR_HIDE = '\u001b[?25l';
const CURSOR_SHOW = '\u001b[?25h';
/** A terminal that does not say its size is taken as the classic 80x24. */
export const DEFAULT_SIZE = { rows: 24, columns: 80 };

type Terminal = NodeJS.WritableStream & { rows?: number; columns?: number };

/** The terminal's rows and columns, as the stream reports them now. */
export function terminalSize(out: NodeJS.WritableStream): { rows: number; columns: number } {
  const t = out as Terminal;
  return { rows: t.rows || DEFAULT_SIZE.rows, columns: t.columns || DEFAULT_SIZE.columns };
}

export class SummaryView {
  /** When each running host connected; removed when it is done (memory stays per running host). */
  private readonly since = new Map<string, number>();
  private readonly shownWrong = new Set<string>();
  private pending: string[] = [];
  /** Lines of the block on the screen now, to move back over at the next redraw. */
  private drawn = 0;
  private timer?: NodeJS.Timeout;
  private ended = false;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly state: RunState,
    private readonly style: Style,
    private readonly redrawMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    out.write(CURSOR_HIDE);
  }

  /** After state.apply(e). */
  onEvent(e: FleetEvent): void {
    if (this.ended) return;
    const { columns } = terminalSize(this.out);
    if (e.type === 'connect') this.since.set(e.host, this.now());
    if (e.type === 'task' && !e.ignored && !e.rescued && (e.status === 'failed' || e.status === 'unreachable' || e.status === 'unknown')) {
      this.shownWrong.add(e.host);
      this.pending.push(failureLine(e, columns, this.style));
    }
    if (e.type === 'host') {
      this.since.delete(e.host);
      if (e.status !== 'ok' && !this.shownWrong.has(e.host)) this.pending.push(this.style.red(`✖ ${e.host} ${e.status}`));
    }
    this.schedule();
  }

  /** The last frame (final counts), left on the screen above what follows. */
  end(): void {
    if (this.ended) return;
    clearTimeout(this.timer);
    this.draw();
    this.ended = true;
    this.out.write(CURSOR_SHOW);
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, this.redrawMs);
  }

  private draw(): void {
    if (this.ended) return;
    const { rows, columns } = terminalSize(this.out);
    const counts: Record<HostPhase, number> = { waiting: 0, running: 0, unchanged: 0, changed: 0, failed: 0, unreachable: 0 };
    const running: { host: string; since: number; current?: string }[] = [];
    for (const [host, h] of this.state.hosts) {
      const phase = hostPhase(h);
      counts[phase]++;
      if (phase === 'running') running.push({ host, since: this.since.get(host) ?? this.now(), current: h.current });
    }
    const block = summaryBlock({ mode: this.state.mode, total: this.state.hosts.size, counts, running, now: this.now(), rows, columns }, this.style);
    // Back to the block's first line, erase to the end of the screen, print what happened
    // since (it scrolls up and stays), then the block again.
    const back = this.drawn > 0 ? `\u001b[${this.drawn}A\r\u001b[J` : '';
    this.out.write(back + this.pending.map((l) => l + '\n').join('') + block.join('\n') + '\n');
    this.pending = [];
    this.drawn = block.length;
  }
}
