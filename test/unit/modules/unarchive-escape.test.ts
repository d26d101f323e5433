// unarchive against hostile archives: nothing may be read or written outside dest, not even by
// the probe (check mode). Each archive is refused before anything is extracted, with the member
// named; the files outside are left as they were.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
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

  it('a newline in a name alone: its second line names a link already in dest (the owner/mode pass would follow it)', () => {
    symlinkSync(outside, join(dest, 's'));
    const stage = join(t.dir, 'stage');
    mkdirSync(join(stage, 'q\ns'), { recursive: true });
    writeFileSync(join(stage, 'q\ns', 'secret.txt'), 'overwritten\n');
    expectRefused(tarOf(stage, ['q\ns', 'q\ns/secret.txt']), /member "q\\ns\/?": a control character/);
  });

  it("a member through the archive's own link to a name that is a link already in dest", () => {
    symlinkSync(outside, join(dest, 'd'));
    const stage = join(t.dir, 'stage');
    mkdirSync(stage);
    symlinkSync('d', join(stage, 'l'));
    const stage2 = join(t.dir, 'stage2');
    mkdirSync(join(stage2, 'l'), { recursive: true });
    writeFileSync(join(stage2, 'l', 'new.txt'), 'x\n');
    const src = tarOf(stage, ['l']);
    expect(spawnSync('tar', ['-rf', src, '-C', stage2, 'l/new.txt']).status).toBe(0);
    expectRefused(src, /member "l\/new\.txt": written through the archive's symlink "l"/);
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

/** A zip archive written by hand (stored entries), for names zip itself would clean. */
function zipOf(entries: { name: string; body: string; mode: number }[]): string {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const body = Buffer.from(e.body);
    const crc = crc32(body);
    const l = Buffer.alloc(30);
    l.writeUInt32LE(0x04034b50, 0);
    l.writeUInt16LE(20, 4);
    l.writeUInt32LE(crc, 14);
    l.writeUInt32LE(body.length, 18);
    l.writeUInt32LE(body.length, 22);
    l.writeUInt16LE(name.length, 26);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(0x0314, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(body.length, 20);
    c.writeUInt32LE(body.length, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE((e.mode << 16) >>> 0, 38);
    c.writeUInt32LE(offset, 42);
    locals.push(l, name, body);
    central.push(c, name);
    offset += l.length + name.length + body.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  const out = join(t.dir, `hand-${Math.random().toString(36).slice(2)}.zip`);
  writeFileSync(out, Buffer.concat([...locals, cd, end]));
  return out;
}

describe('unarchive: zip archives that reach outside dest', () => {
  it('a ../ name: unzip cleans it, but the owner/mode pass over the member list must not follow it', () => {
    if (spawnSync('sh', ['-c', 'command -v unzip && command -v zipinfo']).status !== 0) return;
    const src = zipOf([
      { name: 'a/', body: '', mode: 0o40755 },
      { name: 'a/../../outside/secret.txt', body: 'overwritten\n', mode: 0o100644 },
    ]);
    expectRefused(src, /member "a\/\.\.\/\.\.\/outside\/secret\.txt": a \.\. component/);
  });

  it('a symlink out of dest', () => {
    if (spawnSync('sh', ['-c', 'command -v unzip && command -v zipinfo']).status !== 0) return;
    const src = zipOf([
      { name: 'l', body: outside, mode: 0o120777 },
      { name: 'ok.txt', body: 'x\n', mode: 0o100644 },
    ]);
    expectRefused(src, /member "l": a symlink to "\/.*outside", outside dest/);
  });
});

describe('unarchive: extra_opts, include and exclude that change where or how tar writes', () => {
  const src = () => {
    const stage = join(t.dir, 'stage');
    mkdirSync(join(stage, 'app'), { recursive: true });
    writeFileSync(join(stage, 'app', 'f'), 'x\n');
    return tarOf(stage, ['app', 'app/f']);
  };
  for (const [opts, why] of [
    [['-C', '/tmp'], /'-C' is refused: it changes the directory/],
    [[`--directory=/tmp`], /'--directory=\/tmp' is refused: it changes the directory/],
    [['-P'], /'-P' is refused: it keeps absolute names/],
    [['--absolute-names'], /keeps absolute names/],
    [['--transform=s|^|../|'], /renames members/],
    [['--to-command=sh -c "touch /tmp/pwned"'], /runs a command/],
    [['--to-com=sh'], /runs a command/],
    [['--use-compress-program=sh'], /runs a command/],
    [['-I', 'sh'], /runs a command/],
    [['--checkpoint=1', '--checkpoint-action=exec=sh'], /'--checkpoint=1' is refused/],
    [['--keep-directory-symlink'], /follows or removes/],
    [['--overwrite'], /follows or removes/],
    [['-vP'], /'-vP' is refused/],
    [['-d', '/tmp'], /'-d' is refused/],
    [['-:'], /'-:' is refused/],
  ] as const)
    it(`${opts.join(' ')} is refused by name, before anything runs`, () => {
      const p = prepared({ src: src(), dest, extra_opts: [...opts] });
      expect(() => unarchive.probe(p)).toThrow(why);
      expect(() => unarchive.apply(p, { kind: 'change', summary: '', data: { extract: true } } as never)).toThrow(why);
    });

  it('include and exclude starting with - are refused (tar and unzip would read an option)', () => {
    expect(() => unarchive.probe(prepared({ src: src(), dest, include: ['--to-command=sh'] }))).toThrow(/include '--to-command=sh'.*may not start with '-'/);
    expect(() => unarchive.probe(prepared({ src: src(), dest, exclude: ['-d/tmp'] }))).toThrow(/exclude '-d\/tmp'/);
  });

  it('the options that do not change where tar writes still work: --strip-components, --no-same-owner, --exclude=', () => {
    const p = prepared({ src: src(), dest, extra_opts: ['--strip-components=1', '--no-same-owner', '--exclude=nothing'] });
    const plan = planOf(unarchive, p);
    expect(plan.kind, JSON.stringify(plan)).toBe('change');
    expect(runApply(unarchive, p, plan).rc).toBe(0);
    expect(readFileSync(join(dest, 'f'), 'utf8')).toBe('x\n');
    expect(isValid(unarchive, { src: 'a.tgz', dest: '/x', extra_opts: ['-C'] })).toBe(true);
  });
});
