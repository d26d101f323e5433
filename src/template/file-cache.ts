// Role files (templates, copy sources) read once while unchanged: every host of a run reads
// the same ones for every task (5 templates and 5 files per host in the bench workload); a
// stat says whether the text kept is still the file's.
import { readFileSync, statSync } from 'node:fs';
import { digestOf, fileStamp, isRacy, logging, noteFileRead } from './read-log.js';

/** Larger files are read each time: the cache must not hold big payloads for the run. */
const MAX_CACHED = 1 << 20;

const cache = new Map<string, { stamp: string; data: Buffer; text?: string }>();

/** The file's bytes (shared: callers must not modify them). Throws as readFileSync does. */
export function readFileCached(file: string): Buffer {
  return entry(file).data;
}

/** The file as UTF-8 text. Throws as readFileSync does. */
export function readTextCached(file: string): string {
  const e = entry(file);
  return (e.text ??= e.data.toString('utf8'));
}

function entry(file: string): { data: Buffer; text?: string } {
  const st = statSync(file);
  const stamp = fileStamp(st);
  // A file written within RACY_MS may be written again without its stamp changing: not kept,
  // and logged with its content's digest (read-log.ts).
  const racy = isRacy(st);
  const hit = cache.get(file);
  if (hit && hit.stamp === stamp) {
    noteFileRead(file, stamp);
    return hit;
  }
  const data = readFileSync(file);
  noteFileRead(file, stamp, racy && logging() ? digestOf(data) : undefined);
  // Stamped before the read: a change meanwhile gives a newer stamp next time.
  const e = { stamp, data };
  if (st.isFile() && data.length <= MAX_CACHED && !racy) cache.set(file, e);
  else cache.delete(file);
  return e;
}
