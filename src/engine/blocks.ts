// Ansible's block/rescue/always over a flat program: each unit carries the blocks around it
// (Task.blocks, outermost first). A failure in a block's tasks skips the rest of them and runs
// its rescue; a failure in a rescue (or in a block without one) skips to the always part and,
// once the block ends, goes on to the block around it, or fails the host. The always part runs
// either way. A rescued failure does not fail the host (Ansible's recap counts it `rescued`).
import type { BlockFrame } from '../model/playbook.js';

/** rescuing: its rescue runs; failed: only its always runs, then the failure goes outward;
 * dead: its always part failed too, nothing more of it runs. */
type State<F> = { kind: 'rescuing' } | { kind: 'failed' | 'dead'; failure: F };

export interface Caught<F> {
  /** The failure a rescue now handles (ansible_failed_task / ansible_failed_result). */
  failure: F;
}

export class BlockTracker<F> {
  private readonly states = new Map<string, State<F>>();
  /** The frames of the unit seen last: blocks are left when a unit is outside them. */
  private open: BlockFrame[] = [];

  /** Before a unit: the blocks it is outside of end (innermost first). Returns whether the
   * unit runs, what a rescue caught on the way, and whether a failure left every block (the
   * host fails). */
  enter(frames: readonly BlockFrame[]): { run: boolean; caught: Caught<F>[]; hostFails?: F } {
    let common = 0;
    while (common < this.open.length && common < frames.length && this.open[common].id === frames[common].id) common++;
    const caught: Caught<F>[] = [];
    let hostFails: F | undefined;
    for (let k = this.open.length - 1; k >= common; k--) {
      const s = this.states.get(this.open[k].id);
      this.states.delete(this.open[k].id);
      if (s && s.kind !== 'rescuing') {
        const r = this.fail(this.open.slice(0, k), s.failure);
        if (r.caught) caught.push({ failure: s.failure });
        if (r.host) hostFails = s.failure;
      }
    }
    this.open = [...frames];
    return { run: hostFails === undefined && this.runs(frames), caught, hostFails };
  }

  /** The open blocks, outermost first, down to the innermost one holding a failure (only its
   * always part runs; once it ends, the failure goes outward: a rescue, or the host fails). */
  held(): BlockFrame[] | undefined {
    for (let k = this.open.length - 1; k >= 0; k--) {
      const s = this.states.get(this.open[k].id);
      if (s && s.kind !== 'rescuing') return this.open.slice(0, k + 1);
    }
    return undefined;
  }

  /** The end of the play: every open block ends. */
  finish(): { caught: Caught<F>[]; hostFails?: F } {
    return this.enter([]);
  }

  /** A task failed (not ignored) inside `frames`. `rescued`: some enclosing block's rescue will
   * handle it (now or once the inner blocks' always parts ran); `caught`: the innermost block's
   * rescue starts now; `host`: no block is around it, the host fails now. */
  fail(frames: readonly BlockFrame[], failure: F): { rescued: boolean; caught: boolean; host: boolean } {
    const rescued = frames.some((f) => f.part === 'block' && f.hasRescue && !this.states.has(f.id));
    if (frames.length === 0) return { rescued, caught: false, host: true };
    const inner = frames[frames.length - 1];
    if (inner.part === 'block' && inner.hasRescue && !this.states.has(inner.id)) {
      this.states.set(inner.id, { kind: 'rescuing' });
      return { rescued, caught: true, host: false };
    }
    this.states.set(inner.id, { kind: inner.part === 'always' ? 'dead' : 'failed', failure });
    return { rescued, caught: false, host: false };
  }

  private runs(frames: readonly BlockFrame[]): boolean {
    return frames.every((f) => {
      const s = this.states.get(f.id);
      if (!s) return f.part !== 'rescue';
      if (s.kind === 'rescuing') return f.part !== 'block';
      return s.kind === 'failed' && f.part === 'always';
    });
  }
}
