// Where each host of a batch is in the play's task list, so a task that reads another
// host's values (hostvars, run_once) can wait until every host got past the tasks before it.
export class BatchProgress {
  private readonly at = new Map<string, number>();
  private readonly waiters: { index: number; resolve: () => void }[] = [];

  constructor(hosts: string[]) {
    for (const h of hosts) this.at.set(h, 0);
  }

  /** The host is about to run task `index` (or is done with the play: Infinity). */
  reach(host: string, index: number): void {
    this.at.set(host, index);
    this.wake();
  }

  done(host: string): void {
    this.reach(host, Number.POSITIVE_INFINITY);
  }

  /** Resolves once every host has reached at least `index`. */
  waitAll(index: number): Promise<void> {
    if (this.min() >= index) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ index, resolve }));
  }

  /** Resolves once `host` is past task `index` (or done, or not in this batch). */
  waitPast(host: string, index: number): Promise<void> {
    if (!this.at.has(host)) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => (this.at.get(host) ?? Number.POSITIVE_INFINITY) > index;
      if (check()) return resolve();
      this.hostWaiters.push({ check, resolve });
    });
  }

  private readonly hostWaiters: { check: () => boolean; resolve: () => void }[] = [];

  private min(): number {
    let m = Number.POSITIVE_INFINITY;
    for (const v of this.at.values()) m = Math.min(m, v);
    return m;
  }

  private wake(): void {
    for (let i = this.hostWaiters.length - 1; i >= 0; i--) {
      if (this.hostWaiters[i].check()) this.hostWaiters.splice(i, 1)[0].resolve();
    }
    const min = this.min();
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (min >= w.index) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }
}
