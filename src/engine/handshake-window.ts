// How many SSH handshakes may be in flight at once, adapted to how they fare (AIMD, as TCP
// does with its window): each handshake that completes briskly widens the window a little,
// each one that times out, is turned away (MaxStartups) or takes more than half its timeout
// halves it. A fixed number is either too small for a fast network or too large for a
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

  async run<T>(fn: () => Promise<T>, judge: (r: { ok: true; value: T } | { ok: false; error: unknown }) => HandshakeSignal): Promise<T> {
    const release = await this.acquire();
    try {
      const value = await fn();
      release(judge({ ok: true, value }));
      return value;
    } catch (error) {
      release(judge({ ok: false, error }));
      throw error;
    }
  }

  private adapt(signal: HandshakeSignal, epoch: number): void {
    if (signal === 'fast') this.window = Math.min(this.o.max, this.window + 1 / Math.max(1, this.size));
    else if ((signal === 'slow' || signal === 'congested') && epoch === this.epoch) {
      this.window = Math.max(this.o.min, this.window / 2);
      this.epoch++;
    }
  }

  /** Wake as many waiters as the window now has room for. */
  private wake(): void {
    let room = this.size - this.active;
    while (room-- > 0 && this.waiting.length > 0) this.waiting.shift()!();
  }
}
