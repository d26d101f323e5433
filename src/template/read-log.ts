// What a render read besides its variables: files (by the stamp they had when read) and the
// controller's state (lookup('env'), lookup('file')'s search). The engine keeps a task's
// prepared form from the first round trip's speculation and uses it again when the task runs
// only if nothing it read has changed since: this log is how it knows what was read.
import { statSync } from 'node:fs';

export interface ReadLog {
  /** Each file read, with its stamp (device, inode, size, times) when read. */
  files: Map<string, string>;
  /** Something was read that has no stamp (the environment, a file search): never reusable. */
  external: boolean;
  /** A value made anew at each render (password_hash's random salt): the same on a host's two
   * preparations (prepare-memo.ts), never shared with another host (prepare-share.ts). */
  random: boolean;
}

const open: ReadLog[] = [];

/** `fn`'s result and what it read (files, the controller's state). Nested logs each see it. */
export function logReads<T>(fn: () => T): { value: T; log: ReadLog } {
  const log: ReadLog = { files: new Map(), external: false, random: false };
  open.push(log);
  try {
    return { value: fn(), log };
  } finally {
    open.pop();
  }
}

export function fileStamp(st: { dev: number; ino: number; size: number; mtimeMs: number; ctimeMs: number }): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

/** A file was read as it was at `stamp`. */
export function noteFileRead(file: string, stamp: string): void {
  for (const log of open) if (!log.files.has(file)) log.files.set(file, stamp);
}

/** A value was made at random. */
export function noteRandom(): void {
  for (const log of open) log.random = true;
}

/** Something without a stamp was read. */
export function noteExternalRead(): void {
  for (const log of open) log.external = true;
}

/** Every file of the log still has the stamp it was read with (and nothing external was read). */
export function readsUnchanged(log: ReadLog): boolean {
  if (log.external) return false;
  for (const [file, stamp] of log.files) {
    let now: string;
    try {
      now = fileStamp(statSync(file));
    } catch {
      return false;
    }
    if (now !== stamp) return false;
  }
  return true;
}
