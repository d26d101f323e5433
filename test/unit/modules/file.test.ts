import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { writeFileSync, mkdirSync, statSync, lstatSync, readlinkSync, existsSync, chmodSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { file } from '../../../src/modules/file.js';
import { directory } from '../../../src/modules/directory.js';
import { link } from '../../../src/modules/link.js';
import { params, planOf, converge, runApply, tempDir, isValid } from './helpers.js';

let t: { dir: string; cleanup: () => void };
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

const modeOf = (p: string) => (statSync(p).mode & 0o7777).toString(8).padStart(4, '0');

describe('file', () => {
  it('probes a missing path without side effects', () => {
    const p = params(file, { path: join(t.dir, 'x') });
    expect(file.probe(p)).toContain('type=absent');
    const plan = planOf(file, p);
    expect(plan.kind).toBe('blocked');
    expect(existsSync(join(t.dir, 'x'))).toBe(false);
  });

  it('fixes only the mode, with a summary, and is then ok', () => {
    const f = join(t.dir, 'a');
    writeFileSync(f, 'x');
    chmodSync(f, 0o600);
    const plan = converge(file, params(file, { path: f, mode: '0644' }));
    expect(plan.summary).toBe(`${f}: mode 0600 -> 0644`);
    expect(modeOf(f)).toBe('0644');
  });

  it('accepts YAML-number and symbolic modes', () => {
    const f = join(t.dir, 'a');
    writeFileSync(f, 'x');
    chmodSync(f, 0o600);
    // YAML 1.1 reads an unquoted 0640 as the number 416 = 0o640, as Ansible does.
    converge(file, params(file, { path: f, mode: 0o640 }));
    expect(modeOf(f)).toBe('0640');
    converge(file, params(file, { path: f, mode: 'u=rw,g=r,o=r' }));
    expect(modeOf(f)).toBe('0644');
    converge(file, params(file, { path: f, mode: 'a+x' }));
    expect(modeOf(f)).toBe('0755');
  });

  it('touches a new file and removes it', () => {
    const f = join(t.dir, 'new');
    const plan = converge(file, params(file, { path: f, state: 'touch', mode: '0600', owner: 'root', group: 'root' }));
    expect(plan.summary).toBe(`create file ${f} (0600 root:root)`);
    expect(modeOf(f)).toBe('0600');
    expect(converge(file, params(file, { path: f, state: 'absent' })).summary).toBe(`remove file ${f}`);
    expect(existsSync(f)).toBe(false);
  });

  it('is blocked when the owner does not exist (an earlier user task would create it)', () => {
    const f = join(t.dir, 'a');
    writeFileSync(f, 'x');
    const plan = planOf(file, params(file, { path: f, owner: 'fleet-no-such-user' }));
    expect(plan).toEqual({ kind: 'blocked', reason: 'user fleet-no-such-user does not exist' });
  });

  it('changes ownership by name and numeric id', () => {
    const f = join(t.dir, 'a');
    writeFileSync(f, 'x');
    const plan = converge(file, params(file, { path: f, owner: 'nobody', group: 65534 }));
    expect(plan.summary).toContain('owner root -> nobody');
    expect(statSync(f).uid).toBe(65534);
    expect(statSync(f).gid).toBe(65534);
  });

  it('refuses a directory where a file is expected', () => {
    const plan = planOf(file, params(file, { path: t.dir, state: 'file' }));
    expect(plan.kind).toBe('blocked');
  });

  it('rejects unknown params and bad states in the schema', () => {
    expect(isValid(file, { path: '/x', bogus: 1 })).toBe(false);
    expect(isValid(file, { path: '/x', state: 'present' })).toBe(false);
    expect(isValid(file, { path: 'relative' })).toBe(false);
    expect(isValid(file, { path: '/x', mode: 'rw-r--r--' })).toBe(false);
    expect(isValid(file, { path: '/x', mode: '0644' })).toBe(true);
  });
});

describe('directory', () => {
  it('creates nested directories with a mode, then is ok', () => {
    const d = join(t.dir, 'a/b/c');
    const plan = converge(directory, params(directory, { path: d, mode: '0750' }));
    expect(plan.summary).toBe(`create directory ${d} (0750)`);
    expect(statSync(d).isDirectory()).toBe(true);
    expect(modeOf(d)).toBe('0750');
  });

  it('applies ownership recursively when asked, and sees drift below', () => {
    const d = join(t.dir, 'tree');
    mkdirSync(join(d, 'sub'), { recursive: true });
    writeFileSync(join(d, 'sub/f'), 'x');
    const p = params(directory, { path: d, owner: 'nobody', recurse: true });
    const plan = converge(directory, p);
    expect(plan.summary).toContain('owner root -> nobody');
    expect(statSync(join(d, 'sub/f')).uid).toBe(65534);
    // Drift deep in the tree is seen by the probe.
    writeFileSync(join(d, 'sub/g'), 'y');
    const again = planOf(directory, p);
    expect(again.kind).toBe('change');
    expect((again as { summary: string }).summary).toContain('ownership below it');
  });

  it('removes a tree with state absent', () => {
    const d = join(t.dir, 'gone');
    mkdirSync(join(d, 'x'), { recursive: true });
    converge(directory, params(directory, { path: d, state: 'absent' }));
    expect(existsSync(d)).toBe(false);
  });
});

describe('link', () => {
  it('creates and retargets a symlink', () => {
    const l = join(t.dir, 'l');
    expect(converge(link, params(link, { path: l, src: '/etc/hostname' })).summary).toBe(`link ${l} -> /etc/hostname`);
    expect(readlinkSync(l)).toBe('/etc/hostname');
    const plan = converge(link, params(link, { path: l, src: '/etc/passwd' }));
    expect(plan.summary).toBe(`relink ${l} -> /etc/passwd (was -> /etc/hostname)`);
    expect(readlinkSync(l)).toBe('/etc/passwd');
  });

  it('replaces a symlink to a directory instead of linking inside it', () => {
    const l = join(t.dir, 'l');
    symlinkSync(t.dir, l);
    converge(link, params(link, { path: l, src: '/tmp' }));
    expect(readlinkSync(l)).toBe('/tmp');
  });

  it('is blocked by a real file unless force, then replaces it', () => {
    const l = join(t.dir, 'l');
    writeFileSync(l, 'data');
    expect(planOf(link, params(link, { path: l, src: '/etc/hostname' })).kind).toBe('blocked');
    converge(link, params(link, { path: l, src: '/etc/hostname', force: true }));
    expect(lstatSync(l).isSymbolicLink()).toBe(true);
  });

  it('never removes a real file when a link is declared absent', () => {
    const l = join(t.dir, 'l');
    writeFileSync(l, 'data');
    expect(planOf(link, params(link, { path: l, src: '/x', state: 'absent' })).kind).toBe('blocked');
    expect(existsSync(l)).toBe(true);
  });

  it('apply text uses ln -sfn with quoted paths', () => {
    const p = params(link, { path: "/etc/it's", src: '/a b' });
    const plan = planOf(link, p);
    expect(runApply).toBeTypeOf('function');
    expect(link.apply(p, plan as Extract<typeof plan, { kind: 'change' }>)).toBe(`ln -sfn -- '/a b' '/etc/it'\\''s'\n`);
  });
});
