// Where each host of a batch is in the play's task list, so a task that reads another
// host's values (hostvars, run_once) can wait until every host got past the tasks before it.
// Every host reports every task it reaches, so reaching is O(1) when nobody waits: the
// minimum over the batch is computed only for waiters (it was computed on every reach: N
// hosts x T tasks x N, 35 million steps for the 1000-host bench).
export class BatchProgress {
  private readonly at = new Map<string, number>();
  private readonly waiters: { index: number; resolve: () => void }[] = [];
  private readonly hostWaiters: { host: string; index: number; resolve: () => void }[] = [];

  constructor(hosts: string[]) {
    for (const h of hosts) this.at.set(h, 0);
  }

  /** The host is about to run task `index` (or is done with the play: Infinity). */
  reach(host: string, index: number): void {
    this.at.set(host, index);
    if (this.hostWaiters.length || this.waiters.length) this.wake(host);
  }

  done(host: string): void {
    this.reach(host, Number.POSITIVE_INFINITY);
  }

  /** Every host of the batch but `host` is done with the play. */
  othersDone(host: string): boolean {
    for (const [h, v] of this.at) if (h !== host && v !== Number.POSITIVE_INFINITY) return false;
    return true;
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
      if (this.past(host, index)) return resolve();
      this.hostWaiters.push({ host, index, resolve });
    });
  }

  private past(host: string, index: number): boolean {
    return (this.at.get(host) ?? Number.POSITIVE_INFINITY) > index;
  }

  private min(): number {
    let m = Number.POSITIVE_INFINITY;
    for (const v of this.at.values()) m = Math.min(m, v);
    return m;
  }

  /** `moved` reached a new task: only its own waiters can be released by it. */
  private wake(moved: string): void {
    for (let i = this.hostWaiters.length - 1; i >= 0; i--) {
      const w = this.hostWaiters[i];
      if (w.host === moved && this.past(w.host, w.index)) {
        this.hostWaiters.splice(i, 1);
        w.resolve();
      }
    }
    if (!this.waiters.length) return;
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
