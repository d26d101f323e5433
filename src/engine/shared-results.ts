// Results shared across hosts: what a render gives depends only on the values it reads and
// the files it read, so a host whose values are the same as another's can take that one's.
// Kept per key (a task, a template file) and per snapshot of those values (template/'s
// snapshot: plain data only, never a Proxy such as hostvars or secrets), given out only while
// every file the render read has its stamp, and with those files noted in the caller's read
// log (the memo's). A render that read the controller's state (lookup('env'|'file'|
// 'template')) or made a value at random (password_hash's salt) is never kept.
import type { Vars } from '../model/inventory.js';
import { logReads, noteFileRead, readsUnchanged, valueSnapshot, type ReadLog, type VarRef } from '../template/index.js';

/** Past this many different snapshots a key reads per-host values: it is no longer kept. */
const MAX_SNAPSHOTS = 16;

interface Kept<V> {
  log: ReadLog;
  value: V;
}

type Slot<V> = Map<string, Kept<V>> | 'per-host';

/** How sharing fared over the process (tests read it). */
export const shareTotals = { shared: 0, made: 0 };

export class SharedResults<K, V> {
  constructor(private readonly byKey: { get(k: K): Slot<V> | undefined; set(k: K, v: Slot<V>): unknown }) {}

  /** `make()`'s value, or the one kept for `key` and these `values` (undefined: not comparable).
   * `stamped`: a file the caller stamped just now (readsUnchanged's). */
  get(key: K, values: readonly string[] | undefined, make: () => V, stamped?: { file: string; stamp: string }): V {
    const known = this.byKey.get(key);
    if (!values || known === 'per-host') {
      shareTotals.made++;
      return make();
    }
    // Each value with its length: no two lists of values give the same text.
    const text = values.map((v) => `${v.length}:${v}`).join('');
    const hit = known?.get(text);
    if (hit && readsUnchanged(hit.log, stamped)) {
      for (const [file, read] of hit.log.files) noteFileRead(file, read.stamp, read.digest);
      shareTotals.shared++;
      return hit.value;
    }
    shareTotals.made++;
    const { value, log } = logReads(make);
    if (!log.external && !log.random) {
      const map = known ?? new Map<string, Kept<V>>();
      map.set(text, { log, value });
      this.byKey.set(key, map.size > MAX_SNAPSHOTS ? 'per-host' : map);
    }
    return value;
  }
}

/** Each reference's value in `ctx`; undefined when one cannot be compared. */
export function snapshotOf(refs: readonly VarRef[], ctx: Vars): string[] | undefined {
  const out: string[] = [];
  for (const r of refs) {
    const s = valueSnapshot(ctx, r.name, r.path);
    if (s === undefined) return undefined;
    out.push(s);
  }
  return out;
}
