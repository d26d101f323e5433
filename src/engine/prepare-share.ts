// Across hosts: a task whose variables have the same values on two hosts prepares the same
// params (rendered, validated, templates and copy sources read). At N light hosts of the bench
// workload every template and param of a no-change run reads only values every host shares,
// so each task was rendered N times (once before contact, once per host by speculation) for
// one result. Here the result is kept per task and per snapshot of the values it reads
// (prepare-memo.ts's snapshot, which never compares a Proxy: hostvars, secrets) and given to
// the next host when those values and every file the render read (by stamp) are the same. A
// render that read the controller's state (lookup('env'|'file'|'template')) or made a value at
// random (password_hash's salt) is never shared. The probe, which reads the host's facts, is
// written for each host.
import type { Vars } from '../model/inventory.js';
import type { HostFacts } from '../model/module.js';
import type { Task } from '../model/playbook.js';
import { logReads, noteFileRead, readsUnchanged, type ReadLog } from '../template/index.js';
import { prepareParams, prepareTask, withFacts, type PreparedParams, type PreparedTask } from './prepare-task.js';

/** Past this many different snapshots a task reads per-host values: it is no longer kept. */
const MAX_SNAPSHOTS = 16;

interface Shared {
  log: ReadLog;
  prepared: PreparedParams;
}

const byTask = new WeakMap<Task, Map<string, Shared> | 'per-host'>();

/** How sharing fared over the process (tests read it). */
export const shareTotals = { shared: 0, prepared: 0 };

/** The task prepared for `ctx` and `facts`. `values`: the snapshot of what it reads in `ctx`
 * (undefined: not comparable, prepared here). The params returned may be another host's: they
 * are never modified (as with the memo's). */
export function sharedPrepare(task: Task, values: readonly string[] | undefined, ctx: Vars, facts: HostFacts | undefined): PreparedTask {
  const known = byTask.get(task);
  if (!values || known === 'per-host') {
    shareTotals.prepared++;
    return prepareTask(task, ctx, facts);
  }
  // Each value with its length: no two lists of values give the same key.
  const key = values.map((v) => `${v.length}:${v}`).join('');
  const hit = known?.get(key);
  if (hit && readsUnchanged(hit.log)) {
    // The caller's own log (the memo's) must see the files this render read.
    for (const [file, stamp] of hit.log.files) noteFileRead(file, stamp);
    shareTotals.shared++;
    return withFacts(hit.prepared, facts);
  }
  shareTotals.prepared++;
  const { value: prepared, log } = logReads(() => prepareParams(task, ctx));
  if (!log.external && !log.random) {
    const map = known ?? new Map<string, Shared>();
    map.set(key, { log, prepared });
    byTask.set(task, map.size > MAX_SNAPSHOTS ? 'per-host' : map);
  }
  return withFacts(prepared, facts);
}
