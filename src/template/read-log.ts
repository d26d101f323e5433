// What a render read besides its variables: files (by the stamp they had when read) and the
// controller's state (lookup('env'), lookup('file')'s search). The engine keeps a task's
// prepared form from the first round trip's speculation and uses it again when the task runs
// only if nothing it read has changed since: this log is how it knows what was read.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

export interface ReadLog {
  /** Each file read, with its stamp (device, inode, size, times) when read, and the digest of
   * what was read when the stamp alone cannot tell (racy: see isRacy). */
  files: Map<string, { stamp: string; digest?: string }>;
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

/** How recent a file's times may be for its stamp not to prove it unchanged: a filesystem
 * whose times are coarse (FAT 2 s; ext4 with small inodes, HFS+, many NFS/SMB mounts 1 s; a
 * kernel clock tick) gives a write in the same tick as the last stat the same mtime and ctime,
 * and an edit of the same size (or a rename onto a reused inode) the same stamp. Git's
 * "racily clean" rule: such a file is compared by content. Generous, for clocks that differ. */
export const RACY_MS = 10_000;

/** Were these times set so recently (or in the future) that the next write may not change them? */
export function isRacy(st: { mtimeMs: number; ctimeMs: number }, now = Date.now()): boolean {
  return Math.max(st.mtimeMs, st.ctimeMs) > now - RACY_MS;
}

export const digestOf = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Is a read being logged (is the digest of a racy file worth computing)? */
export function logging(): boolean {
  return open.length > 0;
}

/** A file was read as it was at `stamp` (and with this content digest, when racy). */
export function noteFileRead(file: string, stamp: string, digest?: string): void {
  for (const log of open) if (!log.files.has(file)) log.files.set(file, { stamp, digest });
}

/** A value was made at random. */
export function noteRandom(): void {
  for (const log of open) log.random = true;
}

/** Something without a stamp was read. */
export function noteExternalRead(): void {
  for (const log of open) log.external = true;
}

/** Every file of the log still has the stamp it was read with, and the content when the stamp
 * was racy (and nothing external was read). `known`: a file the caller has just stamped (its
 * stamp is not taken twice). */
export function readsUnchanged(log: ReadLog, known?: { file: string; stamp: string }): boolean {
  if (log.external) return false;
  for (const [file, read] of log.files) {
    try {
      const stamp = known?.file === file ? known.stamp : fileStamp(statSync(file));
      if (stamp !== read.stamp) return false;
      // The stamp was taken too close to the file's last write to prove anything: its content does.
      if (read.digest !== undefined && digestOf(readFileSync(file)) !== read.digest) return false;
    } catch {
      return false;
    }
  }
  return true;
}
