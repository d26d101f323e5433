// The PrepareMemo and the role-file cache against a template edited mid-run, on a filesystem
// whose timestamps are coarse (FAT: 2 s; ext4 with 128-byte inodes, HFS+, many NFS and SMB
// mounts: 1 s; kernels before multigrain timestamps: a clock tick). Simulated here by
// truncating what stat reports to 2 s: an edit of the same size in the same tick as the
// speculation's read leaves device, inode, size, mtime and ctime all as they were. The memo
// must still prepare the task again, and the cache must give the new text.
import * as fs from 'node:fs';
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

const TICK = 2000;
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const coarse = (st: fs.Stats) => {
    const t = (ms: number) => Math.floor(ms / TICK) * TICK;
    return Object.assign(Object.create(Object.getPrototypeOf(st)), st, { mtimeMs: t(st.mtimeMs), ctimeMs: t(st.ctimeMs) });
  };
  const statSync = ((p: fs.PathLike, o?: fs.StatSyncOptions) => {
    const st = real.statSync(p, o as never) as fs.Stats | undefined;
    return st && coarse(st);
  }) as typeof real.statSync;
  return { ...real, default: { ...real, statSync }, statSync };
});

const { PrepareMemo } = await import('../../../src/engine/prepare-memo.js');
const { readTextCached } = await import('../../../src/template/index.js');
const { task } = await import('./fixtures.js');
const { assignVars } = await import('../../../src/template/index.js');

/** Wait for the start of a tick, so that what follows (a few ms) happens within it. */
async function startOfTick(): Promise<void> {
  while (Date.now() % TICK > 100) await new Promise((r) => setTimeout(r, 20));
}

const roleDir = mkdtempSync(join(tmpdir(), 'fleet-memo-stamp-'));
mkdirSync(join(roleDir, 'templates'));
const ctx = { ...assignVars({}, { greeting: 'hello' }, () => ({ file: 'test' })), inventory_hostname: 'h1' };
const unit = (src: string) => ({ task: { ...task('t', 'template', { src, dest: '/etc/t.conf' }), roleDir }, index: 0 });
const contentOf = (p: { params: unknown }) => (p.params as { content?: string }).content;

describe('a template edited between speculation and execution, timestamps coarse', () => {
  it('the same size, in place, in the same tick: the task is prepared again with the new text', async () => {
    const file = join(roleDir, 'templates', 'a.conf.hbs');
    const u = unit('a.conf.hbs');
    await startOfTick();
    writeFileSync(file, 'port = 1 {{greeting}}\n');
    const memo = new PrepareMemo();
    const speculated = memo.prepare(u, 0, ctx, undefined, false);
    expect(contentOf(speculated)).toBe('port = 1 hello\n');
    writeFileSync(file, 'port = 2 {{greeting}}\n');
    const run = memo.prepare(u, 0, ctx, undefined, true);
    expect(Date.now() % TICK).toBeLessThan(TICK - 100);
    expect(contentOf(run)).toBe('port = 2 hello\n');
    expect(memo.stats.reused).toBe(0);
  });

  it('replaced by rename (an editor saving), the same size: prepared again', async () => {
    const file = join(roleDir, 'templates', 'b.conf.hbs');
    const u = unit('b.conf.hbs');
    await startOfTick();
    writeFileSync(file, 'mode = A {{greeting}}\n');
    const memo = new PrepareMemo();
    memo.prepare(u, 0, ctx, undefined, false);
    writeFileSync(`${file}.tmp`, 'mode = B {{greeting}}\n');
    renameSync(`${file}.tmp`, file);
    expect(contentOf(memo.prepare(u, 0, ctx, undefined, true))).toBe('mode = B hello\n');
  });

  it('the role-file cache gives the new text, not the one it kept', async () => {
    const file = join(roleDir, 'templates', 'c.txt');
    await startOfTick();
    writeFileSync(file, 'one\n');
    expect(readTextCached(file)).toBe('one\n');
    writeFileSync(file, 'two\n');
    expect(readTextCached(file)).toBe('two\n');
  });

  it('a file left alone is still given back from the memo (the memo keeps its point)', async () => {
    const file = join(roleDir, 'templates', 'd.conf.hbs');
    writeFileSync(file, 'same {{greeting}}\n');
    const u = unit('d.conf.hbs');
    const memo = new PrepareMemo();
    const kept = memo.prepare(u, 0, ctx, undefined, false);
    expect(memo.prepare(u, 0, ctx, undefined, true)).toBe(kept);
  });
});
