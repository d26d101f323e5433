// The checks before contact (preflight.ts) prepare every task of every host: params rendered
// and validated, templates rendered. The first round trip's speculation then prepared each
// again (prepare-memo.ts), with the last run's facts and guesses: at N = 100 each took about
// 270 ms of the controller's CPU for the same params. Preflight now hands each host's params
// to its runner's memo, with what they read (the snapshot of each variable, the files by
// stamp); the memo takes one only when every read is the same in the run's context (the
// memo's own test), and writes the probe, the one part that reads the host's facts. A task
// whose reads cannot be compared, or whose render read the controller's state or made a
// value at random, is not handed over.
import type { Vars } from '../model/inventory.js';
import type { Task } from '../model/playbook.js';
import { logReads, type ReadLog, type VarRef } from '../template/index.js';
import { sharedParams } from './prepare-share.js';
import { withFacts, type PreparedParams, type PreparedTask } from './prepare-task.js';
import { snapshotOf } from './shared-results.js';

/** One task's params as prepared before contact, with what preparing them read. */
export interface Seed {
  /** What the params read (memoReads), as a text: the run must read the same references. */
  refs: string;
  values: string[];
  files: ReadLog;
  params: PreparedParams;
}

/** One host's seeds, by task and loop item (its index; 0 without a loop). */
export class HostSeeds {
  private readonly byTask = new Map<Task, Map<number, Seed>>();

  /** `budget`: how many more seeds the whole handoff may hold (shared by its hosts). */
  constructor(private readonly budget: { left: number } = { left: Infinity }) {}

  put(task: Task, item: number, seed: Seed): void {
    if (this.budget.left <= 0) return;
    this.budget.left--;
    let m = this.byTask.get(task);
    if (!m) this.byTask.set(task, (m = new Map()));
    m.set(item, seed);
  }

  /** The seed for this task and item, removed: each is taken once. */
  take(task: Task, item: number): Seed | undefined {
    const m = this.byTask.get(task);
    const seed = m?.get(item);
    if (seed) m!.delete(item);
    return seed;
  }

  get size(): number {
    let n = 0;
    for (const m of this.byTask.values()) n += m.size;
    return n;
  }
}

/** Seeds held at most (about 1.1 KB each on the bench's workload): they wait for each host's
 * first round trip, and at N = 1000 the hosts at the back of the handshake window wait long.
 * Hosts past it prepare in their first round trip, as without a handoff. */
export const MAX_SEEDS = 10_000;

/** Every host's seeds, from the checks before contact to the run (each host's taken once). */
export class PreflightHandoff {
  private readonly byHost = new Map<string, HostSeeds>();
  private readonly budget: { left: number };

  constructor(maxSeeds = MAX_SEEDS) {
    this.budget = { left: maxSeeds };
  }

  forHost(host: string): HostSeeds {
    let s = this.byHost.get(host);
    if (!s) this.byHost.set(host, (s = new HostSeeds(this.budget)));
    return s;
  }

  /** The host's seeds, no longer held here. */
  take(host: string): HostSeeds | undefined {
    const s = this.byHost.get(host);
    this.byHost.delete(host);
    return s;
  }
}

const refsTexts = new WeakMap<readonly VarRef[], string>();

/** The references as a text: equal for the same reads, whichever run computed them. */
export function refsText(refs: readonly VarRef[]): string {
  let t = refsTexts.get(refs);
  if (t === undefined) {
    t = JSON.stringify(refs.map((r) => [r.name, r.path]));
    refsTexts.set(refs, t);
  }
  return t;
}

/** The task prepared for `ctx` without facts (as sharedPrepare), its params kept in `seeds`
 * under `item` when what they read can be compared later. */
export function prepareAndSeed(seeds: HostSeeds | undefined, task: Task, item: number, refs: readonly VarRef[] | undefined, ctx: Vars): PreparedTask {
  const values = refs && snapshotOf(refs, ctx);
  if (!seeds || !refs || !values) return withFacts(sharedParams(task, values, ctx), undefined);
  const { value: params, log } = logReads(() => sharedParams(task, values, ctx));
  if (!log.external && !log.random) seeds.put(task, item, { refs: refsText(refs), values, files: log, params });
  return withFacts(params, undefined);
}
