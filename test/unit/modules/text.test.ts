import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { writeFileSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { line } from '../../../src/modules/line.js';
import { block } from '../../../src/modules/block.js';
import { params, planOf, converge, runApply, tempDir, isValid } from './helpers.js';

let t: { dir: string; cleanup: () => void };
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

describe('line', () => {
  it('replaces a commented setting, with a diff, then is ok', () => {
    const f = join(t.dir, 'sshd_config');
    writeFileSync(f, 'Port 22\n#PermitRootLogin yes\n');
    const plan = converge(line, params(line, { path: f, regexp: '^#?PermitRootLogin', line: 'PermitRootLogin no' }));
    expect(plan.summary).toBe(`update ${f}: line "PermitRootLogin no"`);
    expect(plan.diff).toContain('-#PermitRootLogin yes');
    expect(plan.diff).toContain('+PermitRootLogin no');
    expect(readFileSync(f, 'utf8')).toBe('Port 22\nPermitRootLogin no\n');
  });

  it('inserts after a match and removes lines', () => {
    const f = join(t.dir, 'c');
    writeFileSync(f, '[main]\nx=1\n');
    converge(line, params(line, { path: f, line: 'y=2', insertafter: '^\\[main\\]' }));
    expect(readFileSync(f, 'utf8')).toBe('[main]\ny=2\nx=1\n');
    converge(line, params(line, { path: f, regexp: '^x=', state: 'absent' }));
    expect(readFileSync(f, 'utf8')).toBe('[main]\ny=2\n');
  });

  it('is blocked on a missing file unless create, which creates it with a mode', () => {
    const f = join(t.dir, 'new.conf');
    expect(planOf(line, params(line, { path: f, line: 'a' })).kind).toBe('blocked');
    const plan = converge(line, params(line, { path: f, line: 'a', create: true, mode: '0600' }));
    expect(plan.summary).toBe(`create ${f} (0600) with line "a"`);
    expect((statSync(f).mode & 0o777).toString(8)).toBe('600');
  });

  it('absent on a missing file is ok', () => {
    expect(planOf(line, params(line, { path: join(t.dir, 'none'), line: 'a', state: 'absent' }))).toMatchObject({ kind: 'ok' });
  });

  it('keeps the old file when validate fails', () => {
    const f = join(t.dir, 'v');
    writeFileSync(f, 'good\n');
    const p = params(line, { path: f, line: 'evil', validate: 'grep -q -v evil %s && ! grep -q evil %s' });
    const r = runApply(line, p, planOf(line, p));
    expect(r.rc).not.toBe(0);
    expect(r.stderr).toContain('validation failed');
    expect(readFileSync(f, 'utf8')).toBe('good\n');
  });

  it('schema: present needs line; insertafter and insertbefore exclude each other', () => {
    expect(isValid(line, { path: '/x', regexp: 'a' })).toBe(false);
    expect(isValid(line, { path: '/x', regexp: 'a', state: 'absent' })).toBe(true);
    expect(isValid(line, { path: '/x', line: 'a', insertafter: 'x', insertbefore: 'y' })).toBe(false);
    expect(isValid(line, { path: '/x', line: 'a', bogus: 1 })).toBe(false);
  });
});

describe('block', () => {
  it('adds, updates and removes a managed block idempotently', () => {
    const f = join(t.dir, 'hosts');
    writeFileSync(f, '127.0.0.1 localhost\n');
    const p1 = params(block, { path: f, block: '10.0.0.1 a\n10.0.0.2 b\n' });
    const plan = converge(block, p1);
    expect(plan.diff).toContain('+# BEGIN FLEET MANAGED BLOCK');
    expect(readFileSync(f, 'utf8')).toBe('127.0.0.1 localhost\n# BEGIN FLEET MANAGED BLOCK\n10.0.0.1 a\n10.0.0.2 b\n# END FLEET MANAGED BLOCK\n');
    converge(block, params(block, { path: f, block: '10.0.0.3 c' }));
    expect(readFileSync(f, 'utf8')).toBe('127.0.0.1 localhost\n# BEGIN FLEET MANAGED BLOCK\n10.0.0.3 c\n# END FLEET MANAGED BLOCK\n');
    converge(block, params(block, { path: f, state: 'absent' }));
    expect(readFileSync(f, 'utf8')).toBe('127.0.0.1 localhost\n');
  });

  it('uses a custom marker and creates the file', () => {
    const f = join(t.dir, 'x.conf');
    converge(block, params(block, { path: f, block: 'a', marker: '// {mark} ours', create: true }));
    expect(readFileSync(f, 'utf8')).toBe('// BEGIN ours\na\n// END ours\n');
  });

  it('absent block on a missing file is ok and creates nothing', () => {
    const f = join(t.dir, 'none');
    expect(planOf(block, params(block, { path: f, state: 'absent', create: true }))).toMatchObject({ kind: 'ok' });
    expect(existsSync(f)).toBe(false);
  });

  it('schema: marker must contain {mark}', () => {
    expect(isValid(block, { path: '/x', block: 'a', marker: '# ours' })).toBe(false);
  });
});
