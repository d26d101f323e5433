// A task is prepared (params rendered and validated, templates rendered, its probe written)
// first in a round trip's speculation, with the last run's facts and guesses for what this
// run has not registered yet, and again when it runs, with the real ones. At 200 hosts the
// second was a third of the controller's own work, and it almost always gives the same
// result. The memo keeps the first and gives it back only when every input it read is the
// same: the values of the variables it reads (template/'s snapshot of each reference), the
// facts its module read, and the files it read (templates, copy sources, by stamp). A task
// whose reads cannot be known (hostvars, any variable) or compared is prepared afresh. When
// only the facts differ (none at a first contact without a last run), the params are kept and
// only the probe, the one part that reads facts, is written again.
// The checks before contact hand over what they prepared (preflight-handoff.ts): the first
// preparation of a task takes those params when everything they read is the same.
import type { Vars } from '../model/inventory.js';
import type { HostFacts } from '../model/module.js';
import type { Task } from '../model/playbook.js';
import { ANY_VARIABLE, logReads, readsUnchanged, type ReadLog, type VarRef } from '../template/index.js';
import { prepareTask, withFacts, type PreparedTask } from './prepare-task.js';
import { refsText, type HostSeeds } from './preflight-handoff.js';
import { sharedPrepare } from './prepare-share.js';
import { snapshotOf } from './shared-results.js';
import type { Unit } from './program.js';
import { taskReads } from './task-reads.js';

interface Entry {
  /** Each reference's value when it was prepared. */
  values: string[];
  /** The facts its module read (none, for every module today), as JSON. */
  facts: Map<string, string> | 'any';
  hadFacts: boolean;
  files: ReadLog;
  prepared: PreparedTask;
}

/** How the memo fared (tests and the benchmark's profile read it). */
export interface MemoStats {
  reused: number;
  prepared: number;
  /** Params taken from the checks before contact (counted in neither of the above). */
  seeded: number;
}

/** Over every memo of the process (tests of whole runs read it). */
export const memoTotals: MemoStats = { reused: 0, prepared: 0, seeded: 0 };

export class PrepareMemo {
  private readonly entries = new Map<Unit, Map<number, Entry>>();
  readonly stats: MemoStats = { reused: 0, prepared: 0, seeded: 0 };

  /** `seeds`: the host's params prepared before contact, each taken at most once. */
  constructor(private readonly seeds?: HostSeeds) {}

  /** The unit's item (`item`: its index, 0 without a loop) prepared in `ctx` with `facts`:
   * what an earlier call prepared, if nothing it read differs now, else a new one. `take`:
   * the caller runs it (its params are then its own): the entry is dropped; otherwise it is
   * kept for a later call. */
  prepare(unit: Unit, item: number, ctx: Vars, facts: HostFacts | undefined, take: boolean): PreparedTask {
    const refs = memoReads(unit);
    const values = refs && snapshotOf(refs, ctx);
    if (!values) {
      this.stats.prepared++;
      memoTotals.prepared++;
      return prepareTask(unit.task, ctx, facts);
    }
    const byItem = this.entries.get(unit);
    const old = byItem?.get(item);
    if (old && sameRender(old, values)) {
      let prepared = old.prepared;
      if (!sameFacts(old, facts)) {
        // Prepared without the facts (a host's first contact, no last run's) or with stale
        // ones: the params stand (what they read is the same), only the probe is written again.
        const read = factReads(facts);
        prepared = withFacts(prepared, read.facts);
        if (!take) byItem!.set(item, { ...old, facts: read.keys, hadFacts: facts !== undefined, prepared });
      }
      this.stats.reused++;
      memoTotals.reused++;
      if (take) byItem!.delete(item);
      return prepared;
    }
    return this.fresh(unit, item, ctx, facts, refs, values, take);
  }

  private fresh(unit: Unit, item: number, ctx: Vars, facts: HostFacts | undefined, refs: VarRef[], values: string[], take: boolean): PreparedTask {
    const byItem = this.entries.get(unit);
    const read = factReads(facts);
    const seed = this.seeds?.take(unit.task, item);
    let prepared: PreparedTask;
    let log: ReadLog;
    if (seed && seed.refs === refsText(refs) && sameRender({ values: seed.values, files: seed.files }, values)) {
      // Prepared before contact from the same values and files: only the probe is written.
      this.stats.seeded++;
      memoTotals.seeded++;
      prepared = withFacts(seed.params, read.facts);
      log = seed.files;
    } else {
      this.stats.prepared++;
      memoTotals.prepared++;
      ({ value: prepared, log } = logReads(() => sharedPrepare(unit.task, values, ctx, read.facts)));
    }
    if (take) byItem?.delete(item);
    else {
      const entry: Entry = { values, facts: read.keys, hadFacts: facts !== undefined, files: log, prepared };
      if (byItem) byItem.set(item, entry);
      else this.entries.set(unit, new Map([[item, entry]]));
    }
    return prepared;
  }

  /** Forget everything (the play ended; the host is done). */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    let n = 0;
    for (const m of this.entries.values()) n += m.size;
    return n;
  }
}

/** The params would render the same: the variables and files they read are unchanged. */
function sameRender(e: Pick<Entry, 'values' | 'files'>, values: string[]): boolean {
  if (e.values.length !== values.length || e.values.some((v, i) => v !== values[i])) return false;
  return readsUnchanged(e.files);
}

/** The module would write the same probe: the facts it read are the same. */
function sameFacts(e: Entry, facts: HostFacts | undefined): boolean {
  if (e.hadFacts !== (facts !== undefined)) return false;
  if (e.facts === 'any') return false;
  for (const [k, v] of e.facts) if (json((facts as unknown as Record<string, unknown>)[k]) !== v) return false;
  return true;
}

const readsByTask = new WeakMap<Task, { reads: ReturnType<typeof taskReads>; refs: VarRef[] | undefined }>();

/** What preparing the unit reads: its params, loop, template file and task-level guards
 * (task-reads.ts); undefined when that cannot be known (or reaches other hosts). */
export function memoReads(unit: Pick<Unit, 'task' | 'roleWhen'>): VarRef[] | undefined {
  const reads = taskReads(unit);
  const hit = readsByTask.get(unit.task);
  if (hit && hit.reads.render === reads.render) return hit.refs;
  const refs = reads.render.some((r) => r.name === ANY_VARIABLE || r.name === 'hostvars') ? undefined : dedupe(reads.render);
  readsByTask.set(unit.task, { reads, refs });
  return refs;
}

/** The snapshot of what preparing the task reads in `ctx` (undefined: not comparable). */
export function readValues(unit: Pick<Unit, 'task' | 'roleWhen'>, ctx: Vars): string[] | undefined {
  const refs = memoReads(unit);
  return refs && snapshotOf(refs, ctx);
}

function dedupe(refs: VarRef[]): VarRef[] {
  const seen = new Map<string, VarRef>();
  for (const r of refs) seen.set([r.name, ...r.path].join('\0'), r);
  return [...seen.values()];
}

const json = (v: unknown): string => JSON.stringify(v) ?? 'undefined';

/** The facts as the module sees them, recording each one it reads. */
function factReads(facts: HostFacts | undefined): { facts: HostFacts | undefined; keys: Map<string, string> | 'any' } {
  if (!facts) return { facts, keys: new Map() };
  const read: { keys: Map<string, string> | 'any' } = { keys: new Map() };
  const all = (): void => void (read.keys = 'any');
  const proxy = new Proxy(facts, {
    get(t, k, r) {
      const v = Reflect.get(t, k, r);
      if (typeof k !== 'string') all();
      else if (read.keys !== 'any' && !read.keys.has(k)) read.keys.set(k, json(v));
      return v;
    },
    has(t, k) {
      all();
      return Reflect.has(t, k);
    },
    ownKeys(t) {
      all();
      return Reflect.ownKeys(t);
    },
    getOwnPropertyDescriptor(t, k) {
      all();
      return Reflect.getOwnPropertyDescriptor(t, k);
    },
  });
  return {
    facts: proxy,
    get keys() {
      return read.keys;
    },
  };
}
