// unarchive against hostile archives: nothing may be read or written outside dest, not even by
// the probe (check mode). Each archive is refused before anything is extracted, with the member
// named; the files outside are left as they were.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unarchive } from '../../../src/modules/unarchive.js';
import { isValid, params, planOf, runApply, tempDir } from './helpers.js';

let t: { dir: string; cleanup: () => void };
let outside: string;
let dest: string;
beforeEach(() => {
  t = tempDir();
  outside = join(t.dir, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'TOPSECRET\n', { mode: 0o600 });
  chmodSync(join(outside, 'secret.txt'), 0o600);
  dest = join(t.dir, 'dest');
  mkdirSync(dest);
});
afterEach(() => t.cleanup());

function prepared(raw: Record<string, unknown>) {
  const p = params(unarchive, raw);
  return unarchive.prepare!(p, { readRoleFile: (f) => readFileSync(f), renderTemplate: () => '' });
}

/** tar -cf of the staging directory's `members`, in that order (-P keeps absolute names). */
function tarOf(stage: string, members: string[], extra: string[] = []): string {
  const out = join(t.dir, 'evil.tar');
  const r = spawnSync('tar', ['-cf', out, ...extra, '-C', stage, '--no-recursion', ...members], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return out;
}

/** A tar archive written by hand (ustar headers), for what GNU tar -c would not write. */
function ustar(entries: { name: string; type: string; link?: string; body?: string }[]): string {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const h = Buffer.alloc(512);
    const body = Buffer.from(e.body ?? '');
    const put = (s: string, at: number) => h.write(s, at, 'utf8');
    put(e.name, 0);
    put('0000644\0', 100);
    put('0000000\0', 108);
    put('0000000\0', 116);
    put(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
    put('00000000000\0', 136);
    put('        ', 148);
    put(e.type, 156);
    put(e.link ?? '', 157);
    put('ustar\0', 257);
    put('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    put(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  const out = join(t.dir, `hand-${blocks.length}-${Math.random().toString(36).slice(2)}.tar`);
  writeFileSync(out, Buffer.concat([...blocks, Buffer.alloc(1024)]));
  return out;
}

/** Nothing outside dest changed: the secret file's mode and content, and no new file. */
function expectOutsideUntouched(): void {
  expect(statSync(join(outside, 'secret.txt')).mode & 0o777).toBe(0o600);
  expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('TOPSECRET\n');
  expect(readdirSync(outside)).toEqual(['secret.txt']);
}

function expectRefused(src: string, member: RegExp, extra: Record<string, unknown> = {}): void {
  const p = prepared({ src, dest, mode: 'u=rwX,g=rX,o=rX', ...extra });
  const plan = planOf(unarchive, p);
  expectOutsideUntouched();
  expect(plan.kind, JSON.stringify(plan)).toBe('blocked');
  expect(plan.kind === 'blocked' && plan.reason).toMatch(member);
  expect(JSON.stringify(plan)).not.toContain('TOPSECRET');
  expect(JSON.stringify(plan)).not.toContain(Buffer.from('TOPSECRET\n').toString('base64'));
  // apply alone (no probe first) refuses as well.
  const r = runApply(unarchive, p, { kind: 'change', summary: '', data: { extract: true } } as never);
  expect(r.rc).not.toBe(0);
  expect(r.stderr).toMatch(member);
  expectOutsideUntouched();
}

describe('unarchive: archives that reach outside dest are refused before extracting', () => {
  it('a symlink out of dest, then a member whose name holds a newline so its second line goes through the link', () => {
    const stage = join(t.dir, 'stage');
    mkdirSync(join(stage, 'q\ns'), { recursive: true });
    symlinkSync(outside, join(stage, 's'));
    writeFileSync(join(stage, 'q\ns', 'secret.txt'), 'overwritten\n');
    const src = tarOf(stage, ['s', 'q\ns', 'q\ns/secret.txt']);
    expectRefused(src, /member "(s|q\\ns)"/);
  });

  it('a symlink, then a file written through it (the link first, as tar -x would meet them)', () => {
    const stage = join(t.dir, 'stage');
    mkdirSync(stage);
    symlinkSync(outside, join(stage, 'escape'));
    const stage2 = join(t.dir, 'stage2');
    mkdirSync(join(stage2, 'escape'), { recursive: true });
    writeFileSync(join(stage2, 'escape', 'pwned'), 'pwned\n');
    const src = tarOf(stage, ['escape']);
    expect(spawnSync('tar', ['-rf', src, '-C', stage2, 'escape/pwned']).status).toBe(0);
    expectRefused(src, /member "escape(\/pwned)?"/);
  });

  it('a relative symlink climbing out with ../, even through another link that looks harmless', () => {
    const stage = join(t.dir, 'stage');
    mkdirSync(stage);
    symlinkSync('.', join(stage, 'here'));
    symlinkSync('here/../outside', join(stage, 'up'));
    expectRefused(tarOf(stage, ['here', 'up']), /member "up"/);
  });

  it('../ in a name, an absolute name, a hard link out of dest', () => {
    const stage = join(t.dir, 'stage');
    mkdirSync(join(stage, 'a'), { recursive: true });
    writeFileSync(join(stage, 'a', 'f'), 'x\n');
    expectRefused(tarOf(stage, ['a/f'], ['--transform=s|^a/f|a/../../outside/secret.txt|']), /member "a\/\.\.\/\.\.\/outside\/secret\.txt": a \.\. component/);
    expectRefused(tarOf(stage, ['a/f'], ['-P', `--transform=s|^a/f|${join(outside, 'secret.txt')}|`]), /member "\/.*secret\.txt": an absolute name/);
    // Hard links whose target climbs out or is absolute (GNU tar -c cleans them: written by hand).
    // GNU tar's own listing and extraction strip the leading ../ and /: refused or failing, never written.
    const f = { name: 'a/f', type: '0', body: 'x\n' };
    expectRefused(ustar([f, { name: 'hl', type: '1', link: '../outside/secret.txt' }]), /\bhl\b/);
    expectRefused(ustar([f, { name: 'hl', type: '1', link: join(outside, 'secret.txt') }]), /\bhl\b/);
  });

  it('a device node is refused', () => {
    if (process.getuid?.() !== 0) return;
    const stage = join(t.dir, 'stage');
    mkdirSync(stage);
    expect(spawnSync('mknod', [join(stage, 'disk'), 'b', '7', '0']).status).toBe(0);
    expectRefused(tarOf(stage, ['disk']), /member "disk".*device/);
  });

  it('an ordinary archive with links inside dest still extracts', () => {
    const stage = join(t.dir, 'stage');
    mkdirSync(join(stage, 'app/conf'), { recursive: true });
    writeFileSync(join(stage, 'app/conf/a.conf'), 'a\n');
    symlinkSync('conf/a.conf', join(stage, 'app/current'));
    symlinkSync('../app/conf', join(stage, 'app/up'));
    const src = tarOf(stage, ['app', 'app/conf', 'app/conf/a.conf', 'app/current', 'app/up']);
    const p = prepared({ src, dest });
    const plan = planOf(unarchive, p);
    expect(plan.kind, JSON.stringify(plan)).toBe('change');
    expect(runApply(unarchive, p, plan).rc).toBe(0);
    expect(readFileSync(join(dest, 'app/current'), 'utf8')).toBe('a\n');
    expect(existsSync(join(dest, 'app/up/a.conf'))).toBe(true);
  });
});
