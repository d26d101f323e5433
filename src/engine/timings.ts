// Where one host's time went, for the host event (--json) and the benchmark's profile.
export type Phase = 'probeMs' | 'planMs' | 'applyMs' | 'renderMs';

export class Timings {
  connectMs = 0;
  private readonly spent: Record<Phase, number> = { probeMs: 0, planMs: 0, applyMs: 0, renderMs: 0 };

  /** Run fn and add its duration to the phase (also when it throws). */
  measure<T>(phase: Phase, fn: () => T): T {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.spent[phase] += performance.now() - t0;
    }
  }

  async measureAsync<T>(phase: Phase, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.spent[phase] += performance.now() - t0;
    }
  }

  rounded(): { connectMs: number; probeMs: number; planMs: number; applyMs: number; renderMs: number } {
    const s = this.spent;
    return {
      connectMs: Math.round(this.connectMs),
      probeMs: Math.round(s.probeMs),
      planMs: Math.round(s.planMs),
      applyMs: Math.round(s.applyMs),
      renderMs: Math.round(s.renderMs),
    };
  }
}
