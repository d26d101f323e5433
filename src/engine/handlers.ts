// Handlers run once at the end of a play when a task that notifies them changed; run_once
// tasks run on the first host of the batch still standing, and the others take its result.
import type { Outcome } from './outcome.js';
import type { PlayProgram, Unit } from './program.js';
import type { BatchContext } from './run-shared.js';

/** The handler names this host's changed tasks notified in the current play. */
export class Notifications {
  private names = new Set<string>();

  notify(names: readonly string[]): void {
    for (const n of names) this.names.add(n);
  }

  /** The notified handlers of the play, in the order they are written, as units at `at` (after
   * its tasks, or where a flush_handlers is); forgets the notifications. */
  take(program: PlayProgram, at: number = program.units.length): Unit[] {
    const units = this.peek(program, [], at);
    this.names = new Set();
    return units;
  }

  /** The handlers that would run if the play ended now, with `more` notified too (the changes
   * of a round trip in flight): their probes can ride in that round trip. */
  peek(program: PlayProgram, more: Iterable<string> = [], at: number = program.units.length): Unit[] {
    const notified = new Set([...this.names, ...more]);
    if (notified.size === 0) return [];
    return program.handlers
      .filter(({ handler }) => handler.listen.some((n) => notified.has(n)))
      .map(({ handler, roleRef }) => ({ task: handler, roleRef, index: at, roleWhen: roleRef?.when }));
  }
}

/** The handlers may ride after `unit`'s last script (host-runner.ts carried): they run next
 * whenever that script's action succeeds. It ends its play (as its loop's last item, which
 * runs only when no item before it failed), on this host, outside any block (none of which
 * could fail the host at the play's end) and any any_errors_fatal wait, with no rule over its
 * output that could fail it after the script, and it notifies nothing (a handler it notifies
 * may have to run before those already notified). */
export function handlersNext(program: PlayProgram, unit: Unit, lastItem: boolean): boolean {
  const t = unit.task;
  if (unit.index !== program.units.length - 1 || (t.loop !== undefined && !lastItem) || 'listen' in t) return false;
  if (unit.fatal || t.blocks?.length || t.notify.length || t.runOnce || t.delegateTo !== undefined) return false;
  // changed_when too: an expression that cannot be evaluated fails the task.
  return t.failedWhen === undefined && t.until === undefined && t.changedWhen === undefined;
}

/** run_once: wait until every host of the batch got here; the first runs it, the others get
 * its registered result (skipped when it failed there). */
export async function runOnce(unit: Unit, batch: BatchContext, host: string, execute: () => Promise<Outcome>): Promise<Outcome> {
  await batch.progress.waitAll(unit.index);
  const ran = batch.runOnce.get(unit.index);
  if (!ran) {
    const mine = execute().then((outcome) => ({ outcome, host }));
    batch.runOnce.set(unit.index, mine);
    return (await mine).outcome;
  }
  const { outcome, host: ranOn } = await ran;
  return { status: outcome.status === 'failed' ? 'skipped' : 'ok', msg: `ran once on ${ranOn}`, registered: outcome.registered };
}
