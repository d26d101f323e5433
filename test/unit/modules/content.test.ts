import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { writeFileSync, readFileSync, statSync, readdirSync, chmodSync, mkdirSync, symlinkSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { copy } from '../../../src/modules/copy.js';
import { template } from '../../../src/modules/template.js';
import type { PrepareContext } from '../../../src/model/module.js';
import { params, planOf, converge, runApply, runProbe, tempDir, isValid } from './helpers.js';

let t: { dir: string; cleanup: () => void };
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

const modeOf = (p: string) => (statSync(p).mode & 0o7777).toString(8).padStart(4, '0');

describe('copy', () => {
  it('creates a file with content, mode 0644 by default, with a diff from /dev/null', () => {
    const f = join(t.dir, 'motd');
    const plan = converge(copy, params(copy, { dest: f, content: 'hello\n' }));
    expect(plan.summary).toBe(`create ${f} (0644)`);
    expect(plan.diff).toContain('--- /dev/null');
    expect(plan.diff).toContain('+hello');
    expect(readFileSync(f, 'utf8')).toBe('hello\n');
    expect(modeOf(f)).toBe('0644');
    // No temp files left behind.
    expect(readdirSync(t.dir)).toEqual(['motd']);
  });

  it('shows a real unified diff when content changes, and keeps the old mode', () => {
    const f = join(t.dir, 'conf');
    writeFileSync(f, 'a=1\nb=2\n');
    chmodSync(f, 0o640);
    const p = params(copy, { dest: f, content: 'a=1\nb=3\n' });
    const out = runProbe(copy, p);
    expect(out).toContain('content_b64=');
    const plan = converge(copy, p);
    expect(plan.summary).toBe(`update ${f}: content`);
    expect(plan.diff).toContain('-b=2');
    expect(plan.diff).toContain('+b=3');
    expect(modeOf(f)).toBe('0640');
  });

  it('does not print content when the sha256 already matches', () => {
    const f = join(t.dir, 'same');
    writeFileSync(f, 'same\n');
    const p = params(copy, { dest: f, content: 'same\n' });
    const out = runProbe(copy, p);
    expect(out).not.toContain('content_b64');
    expect(copy.plan(p, out)).toEqual({ kind: 'ok' });
  });

  it('reports a mode-only change without rewriting', () => {
    const f = join(t.dir, 'm');
    writeFileSync(f, 'x');
    chmodSync(f, 0o600);
    const p = params(copy, { dest: f, content: 'x', mode: '0644' });
    const plan = planOf(copy, p);
    expect(plan).toMatchObject({ kind: 'change', summary: `update ${f}: mode 0600 -> 0644` });
    expect(copy.apply(p, plan as never)).not.toContain('base64');
    converge(copy, p);
  });

  it('a failing validator leaves the old file and reports its stderr', () => {
    const f = join(t.dir, 'v');
    writeFileSync(f, 'good old\n');
    const p = params(copy, { dest: f, content: 'bad new\n', validate: 'grep -q good %s || { echo "no good line" >&2; exit 3; }' });
    const plan = planOf(copy, p);
    const r = runApply(copy, p, plan);
    expect(r.rc).not.toBe(0);
    expect(r.stderr).toContain('no good line');
    expect(r.stderr).toContain('validation failed');
    expect(readFileSync(f, 'utf8')).toBe('good old\n');
    expect(readdirSync(t.dir)).toEqual(['v']);
  });

  it('a passing validator installs the file', () => {
    const f = join(t.dir, 'v');
    writeFileSync(f, 'old\n');
    converge(copy, params(copy, { dest: f, content: 'good new\n', validate: 'grep -q good %s' }));
    expect(readFileSync(f, 'utf8')).toBe('good new\n');
  });

  it('keeps a backup when asked', () => {
    const f = join(t.dir, 'b');
    writeFileSync(f, 'old\n');
    const p = params(copy, { dest: f, content: 'new\n', backup: true });
    const r = runApply(copy, p, planOf(copy, p));
    expect(r.rc).toBe(0);
    expect(r.stdout).toMatch(/^backup=.*\.bak\n$/);
    expect(readdirSync(t.dir).filter((n) => n.endsWith('.bak'))).toHaveLength(1);
  });

  it('is blocked when the directory does not exist yet', () => {
    const plan = planOf(copy, params(copy, { dest: join(t.dir, 'nodir/f'), content: 'x' }));
    expect(plan).toEqual({ kind: 'blocked', reason: `directory of ${join(t.dir, 'nodir/f')} does not exist` });
  });

  it('secret content never shows in a diff', () => {
    const f = join(t.dir, 's');
    writeFileSync(f, 'old-secret\n');
    const plan = planOf(copy, params(copy, { dest: f, content: 'new-secret\n', secret: true }));
    expect(plan.kind).toBe('change');
    expect(JSON.stringify(plan)).not.toContain('secret\\n');
  });

  it('says "too large" instead of a diff above 256 KiB', () => {
    const f = join(t.dir, 'big');
    writeFileSync(f, 'x'.repeat(300 * 1024));
    const p = params(copy, { dest: f, content: 'small\n' });
    expect(runProbe(copy, p)).not.toContain('content_b64');
    expect((planOf(copy, p) as { diff: string }).diff).toContain('too large to show');
  });

  it('copies binary role files byte for byte (prepare reads them)', () => {
    const f = join(t.dir, 'bin');
    const bytes = Buffer.from([0, 255, 10, 13, 0, 39]);
    const ctx: PrepareContext = { renderTemplate: () => '', readRoleFile: (n) => (n === 'blob' ? bytes : Buffer.alloc(0)) };
    const p = copy.prepare!(params(copy, { dest: f, src: 'blob', mode: '0600', owner: 'nobody' }), ctx);
    const plan = converge(copy, p);
    expect(plan.diff).toContain('Binary files');
    expect(readFileSync(f).equals(bytes)).toBe(true);
    expect(modeOf(f)).toBe('0600');
    expect(statSync(f).uid).toBe(65534);
  });

  it('schema: content XOR src, no unknown keys', () => {
    expect(isValid(copy, { dest: '/x', content: 'a' })).toBe(true);
    expect(isValid(copy, { dest: '/x', src: 'a' })).toBe(true);
    expect(isValid(copy, { dest: '/x', content: 'a', src: 'b' })).toBe(false);
    expect(isValid(copy, { dest: '/x' })).toBe(false);
    expect(isValid(copy, { dest: '/x', content: 'a', force: true })).toBe(false);
  });

  it('follows a symlinked destination like Ansible', () => {
    mkdirSync(join(t.dir, 'real'));
    writeFileSync(join(t.dir, 'real/f'), 'old\n');
    symlinkSync(join(t.dir, 'real/f'), join(t.dir, 'l'));
    const p = params(copy, { dest: join(t.dir, 'l'), content: 'new\n' });
    expect(planOf(copy, p)).toMatchObject({ diff: expect.stringContaining('-old') });
    converge(copy, p);
    expect(readFileSync(join(t.dir, 'real/f'), 'utf8')).toBe('new\n');
    expect(lstatSync(join(t.dir, 'l')).isSymbolicLink()).toBe(true);
  });
});

describe('template', () => {
  it('renders through prepare() and converges', () => {
    const f = join(t.dir, 'torrc');
    const seen: string[] = [];
    const ctx: PrepareContext = {
      renderTemplate: (src) => (seen.push(src), 'SocksPort 9050\n'),
      readRoleFile: () => Buffer.alloc(0),
    };
    const p = template.prepare!(params(template, { dest: f, src: 'torrc.hbs', mode: '0644' }), ctx);
    expect(seen).toEqual(['torrc.hbs']);
    const plan = converge(template, p);
    expect(plan.diff).toContain('+SocksPort 9050');
    expect(readFileSync(f, 'utf8')).toBe('SocksPort 9050\n');
    expect(template.resources!(p)).toEqual([`file:${f}`]);
  });

  it('schema requires src and rejects content', () => {
    expect(isValid(template, { dest: '/x', src: 'a.hbs' })).toBe(true);
    expect(isValid(template, { dest: '/x' })).toBe(false);
    expect(isValid(template, { dest: '/x', src: 'a.hbs', content: 'y' })).toBe(false);
  });
});
