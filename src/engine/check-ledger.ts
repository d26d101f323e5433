// Check mode's memory of what would change, so later tasks that depend on it say
// "will change (after: X)" instead of a false ok or a spurious failure.
export class CheckLedger {
  private readonly pending: { task: string; resources: Set<string> }[] = [];

  add(task: string, resources: string[]): void {
    this.pending.push({ task, resources: new Set(resources) });
  }

  /** The most recent pending change, if any. */
  last(): string | undefined {
    return this.pending[this.pending.length - 1]?.task;
  }

  /** The most recent pending change that touches one of these resources. */
  touching(resources: string[]): string | undefined {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const p = this.pending[i];
      if (resources.some((r) => p.resources.has(r))) return p.task;
    }
    return undefined;
  }
}
