// listr2's default renderer, adapted to a view of many rows fed by a fast event stream.
import { DefaultRenderer } from 'listr2';

/**
 * - nonTTY: listr2 decides "is this a terminal?" from process.stdout; the CLI has already
 *   decided for the stream we write to, so the default renderer must be usable anywhere.
 * - Coalesced redraws: listr2 redraws on every title or state change, and a redraw measures
 *   the width of every row (milliseconds at 50 hosts). Events come in bursts from all hosts
 *   at once, so at most one redraw per `redrawMs`, on the same event loop as the engine.
 */
export function rowsRenderer(redrawMs: number): typeof DefaultRenderer {
  return class HostRowsRenderer extends DefaultRenderer {
    static override nonTTY = true;
    private pending?: NodeJS.Timeout;

    override update(): void {
      if (this.pending) return;
      this.pending = setTimeout(() => {
        this.pending = undefined;
        super.update();
      }, redrawMs);
    }

    override end(): void {
      clearTimeout(this.pending);
      this.pending = undefined;
      super.end();
    }
  };
}
