// The live TTY view: one listr2 row per host (never per task, so 50 hosts stay readable),
// titled with the task running now and the host's counters. Rows are driven by events only:
// a host's row settles when its `host` event arrives. More hosts than the terminal has rows:
// a summary instead (summary-view.ts), as rows past the screen's height cannot be redrawn.
import { Listr, ListrDefaultRendererLogLevels, ListrLogger, ProcessOutput, type DefaultRenderer, type ListrTaskWrapper } from 'listr2';
import type { FleetEvent, HostEvent, RecapEvent } from '../model/events.js';
import { formatDiff } from './diff-format.js';
import { hostTitle } from './host-title.js';
import { formatRecap } from './recap.js';
import { rowsRenderer } from './rows-renderer.js';
import { RunState, oneLine, taskName } from './state.js';
import { SummaryView, terminalSize } from './summary-view.js';
import type { Style } from './style.js';

export { hostTitle } from './host-title.js';

type Renderer = typeof DefaultRenderer;

interface Row {
  wrapper?: ListrTaskWrapper<unknown, Renderer, Renderer>;
  /** What the row's listr task returns: settles when the host is done. */
  promise: Promise<void>;
  settle: (done: HostEvent | null, interrupted: boolean) => void;
  settled: boolean;
  notRun?: boolean;
}

export interface LiveOptions {
  /** No spinner; redraw only on changes (tests). */
  lazy?: boolean;
  /** At most one redraw per this many ms (default 100). */
  redrawMs?: number;
}

export class LiveRenderer {
  private readonly state = new RunState();
  private readonly rows = new Map<string, Row>();
  private width = 0;
  private listr?: Promise<unknown>;
  private summary?: SummaryView;
  private finishing?: Promise<void>;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly err: NodeJS.WritableStream,
    private readonly style: Style,
    private readonly showDiff: boolean,
    private readonly options: LiveOptions = {},
  ) {}

  onEvent(e: FleetEvent): void {
    if (this.finishing) return;
    this.state.apply(e);
    if (e.type === 'run') this.start(e.hosts);
    if (this.summary) {
      if (e.type === 'recap') this.finishing = this.finish(e);
      else this.summary.onEvent(e);
      return;
    }
    switch (e.type) {
      case 'run':
        break;
      case 'connect':
      case 'task_start':
      case 'task':
        this.retitle(e.host);
        break;
      case 'host':
        this.retitle(e.host);
        this.rows.get(e.host)?.settle(e, false);
        break;
      case 'recap':
        this.finishing = this.finish(e);
        break;
      case 'play':
      case 'warning':
        // Plays only matter to the rows through their hosts; warnings are printed after the
        // view so the next redraw does not overwrite them.
        break;
    }
  }

  close(): Promise<void> {
    this.finishing ??= this.finish(null);
    return this.finishing;
  }

  private start(hosts: string[]): void {
    if (this.listr || this.summary) return;
    // One row per host and a line to spare, or the summary.
    if (hosts.length > terminalSize(this.out).rows - 1) {
      this.summary = new SummaryView(this.out, this.state, this.style, this.options.redrawMs ?? 100);
      return;
    }
    this.width = Math.max(0, ...hosts.map((h) => h.length));
    const logger = new ListrLogger<ListrDefaultRendererLogLevels>({
      useIcons: true,
      processOutput: new ProcessOutput(this.out as NodeJS.WriteStream, this.err as NodeJS.WriteStream),
    });
    const renderer = rowsRenderer(this.options.redrawMs ?? 100);
    const listr = new Listr<unknown, Renderer, Renderer>(
      hosts.map((host) => ({
        title: this.titleOf(host),
        task: (_ctx, wrapper) => this.rowTask(host, wrapper),
      })),
      {
        concurrent: true,
        exitOnError: false,
        // Ctrl-C belongs to the CLI (it aborts the engine, which still sends a recap);
        // listr2's own handler would exit the process before the recap is printed.
        registerSignalListeners: false,
        renderer,
        fallbackRenderer: renderer,
        rendererOptions: {
          logger,
          lazy: this.options.lazy ?? false,
          formatOutput: 'truncate',
          collapseErrors: true,
          showErrorMessage: true,
          ...(this.style.enabled ? {} : { color: noColors() }),
        },
      },
    );
    for (const host of hosts) this.rows.set(host, this.pendingRow(host));
    this.listr = listr.run().catch(() => undefined);
  }

  private pendingRow(host: string): Row {
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // The host may finish before listr2 (which starts asynchronously) picks its row up; mark
    // the rejection handled now, listr2 still sees it when it awaits the promise.
    promise.catch(() => undefined);
    const row: Row = {
      promise,
      settled: false,
      settle: (done, interrupted) => {
        if (row.settled) return;
        row.settled = true;
        // A failed row's error message replaces its title (collapseErrors), so the error
        // carries the final title.
        if (done && done.status !== 'ok') reject(new Error(this.titleOf(host)));
        else if (!done && interrupted) reject(new Error(`${this.titleOf(host)}  ${this.style.red('did not finish')}`));
        else {
          // The run ended without this host ever reporting (a play stopped early, say).
          row.notRun = !done;
          if (row.notRun) row.wrapper?.skip(this.notRunTitle(host));
          resolve();
        }
      },
    };
    return row;
  }

  private rowTask(host: string, wrapper: NonNullable<Row['wrapper']>): Promise<void> {
    const row = this.rows.get(host) as Row;
    row.wrapper = wrapper;
    if (row.notRun) wrapper.skip(this.notRunTitle(host));
    else wrapper.title = this.titleOf(host);
    return row.promise;
  }

  private notRunTitle(host: string): string {
    return `${host.padEnd(this.width)}  not run`;
  }

  private titleOf(host: string): string {
    return hostTitle(host, this.width, this.state.host(host), this.style);
  }

  private retitle(host: string): void {
    const row = this.rows.get(host);
    if (row?.wrapper && !row.settled) row.wrapper.title = this.titleOf(host);
  }

  /** End the view (settling rows the engine never finished), then print what must stay. */
  private async finish(recap: RecapEvent | null): Promise<void> {
    const interrupted = recap ? recap.interrupted === true : true;
    for (const row of this.rows.values()) row.settle(null, interrupted);
    await this.listr;
    this.summary?.end();
    const text: string[] = [];
    for (const w of this.state.warnings) {
      text.push(this.style.yellow(`WARNING${w.host ? ` | ${w.host}` : ''} | ${oneLine(w.msg)}`));
    }
    if (this.showDiff) text.push(...this.diffsByHost());
    if (text.length) this.out.write('\n' + text.join('\n') + '\n');
    if (recap) this.out.write(formatRecap(recap, this.state, this.style));
  }

  private diffsByHost(): string[] {
    const lines: string[] = [];
    for (const host of this.state.order) {
      const diffs = this.state.diffs.filter((d) => d.host === host);
      if (!diffs.length) continue;
      lines.push('', this.style.bold(`── ${host} ──`));
      for (const d of diffs) {
        lines.push(`  ${d.status === 'changed' ? this.style.yellow(taskName(d)) : taskName(d)}`);
        lines.push(formatDiff(d.diff ?? '', this.style));
      }
    }
    return lines;
  }
}

/** listr2 colours its icons from process.stdout; without colour we hand it identity styles. */
function noColors(): Record<ListrDefaultRendererLogLevels, (s?: string) => string> {
  const id = (s?: string) => s ?? '';
  return Object.fromEntries(Object.values(ListrDefaultRendererLogLevels).map((l) => [l, id])) as Record<
    ListrDefaultRendererLogLevels,
    (s?: string) => string
  >;
}
