// A lock file so two `fleet lab up` (or an up and a down) never race on one instance.
// The file holds the owner's pid; a lock whose owner is dead is taken over.
import fs from 'node:fs';
import path from 'node:path';
import { sleep } from './exec.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function withLock<T>(
  file: string,
  fn: () => Promise<T>,
  opts: { timeoutMs?: number; onWait?: (pid: number) => void } = {},
): Promise<T> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + (opts.timeoutMs ?? 20 * 60_000);
  let told = false;
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(fs.readFileSync(file, 'utf8').trim());
      if (!owner || !alive(owner)) {
        // Stale (its owner died) or half-written: remove and retry; wx makes the retake atomic.
        fs.rmSync(file, { force: true });
        continue;
      }
      // A live owner, this process included (two resets at once): wait for it.
      if (Date.now() > deadline) throw new Error(`lab: ${file} is held by pid ${owner}; gave up waiting`, { cause: e });
      if (!told) opts.onWait?.(owner);
      told = true;
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(file, { force: true });
  }
}
