// How many SSH handshakes may be in flight at once, adapted to how they fare (AIMD, as TCP
// does with its window): each handshake that completes briskly widens the window a little,
// a burst of them that time out, are turned away (MaxStartups) or take more than half their
// timeout halves it. A fixed number is either too small for a fast network or too large for a
// saturated two-core controller, where it turned slow handshakes into false "unreachable".

export type HandshakeSignal = 'fast' | 'slow' | 'congested' | 'neutral';

export interface WindowOptions {
  initial: number;
  min: number;
  max: number;
}

export const DEFAULT_WINDOW: WindowOptions = { initial: 16, min: 2, max: 128 };

export class HandshakeWindow {
  private window: number;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** Bumped at each decrease: handshakes that started before it were in the same burst, and
   * one burst of failures halves the window once, not once per failure (TCP: once per RTT). */
  private epoch = 0;
  /** Bad outcomes seen in the current epoch: one host that never answers is not congestion. */
  private bad = 0;
  /** The largest number in flight at once, for the benchmark and tests. */
  peak = 0;

  constructor(private readonly o: WindowOptions = DEFAULT_WINDOW) {
    this.window = o.initial;
  }

  get size(): number {
    return Math.floor(this.window);
  }

  get inFlight(): number {
    return this.active;
  }

  /** Wait for a place; the caller must call the returned function once, with how it went. */
  async acquire(): Promise<(signal: HandshakeSignal) => void> {
    while (this.active >= this.size) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    this.peak = Math.max(this.peak, this.active);
    const epoch = this.epoch;
    let released = false;
    return (signal) => {
      if (released) return;
      released = true;
      this.active--;
      this.adapt(signal, epoch);
      this.wake();
    };
  }

  private adapt(signal: HandshakeSignal, epoch: number): void {
    if (signal === 'fast') this.window = Math.min(this.o.max, this.window + 1 / Math.max(1, this.size));
    else if ((signal === 'slow' || signal === 'congested') && epoch === this.epoch) {
      // A burst is several handshakes going badly together (a quarter of the window, at least
      // two): a lone dead or slow-walking host halved it each time, and 8 of them among 1000
      // hosts with 2 s handshakes took the run from 66 s to 152 s (simulated).
      if (++this.bad < Math.max(2, Math.ceil(this.size / 4))) return;
      this.window = Math.max(this.o.min, this.window / 2);
      this.epoch++;
      this.bad = 0;
    }
  }

  /** Wake as many waiters as the window now has room for. */
  private wake(): void {
    let room = this.size - this.active;
    while (room-- > 0 && this.waiting.length > 0) this.waiting.shift()!();
  }
}
