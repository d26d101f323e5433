import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { writeFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { command, splitWords } from '../../../src/modules/command.js';
import { shell } from '../../../src/modules/shell.js';
import { params, planOf, runApply, tempDir, isValid } from './helpers.js';

let t: { dir: string; cleanup: () => void };
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

describe('command', () => {
  it('splits words like a shell without running one', () => {
    expect(splitWords(`echo 'a b' "c \\"d\\"" e\\ f $HOME`)).toEqual(['echo', 'a b', 'c "d"', 'e f', '$HOME']);
    expect(() => splitWords("echo 'open")).toThrow(/unterminated/);
  });

  it('without a guard is always a change, honestly', () => {
    const p = params(command, { cmd: 'true' });
    expect(command.probe(p)).toBe('echo guard=none\n');
    expect(planOf(command, p)).toEqual({ kind: 'change', summary: 'run: true' });
  });

  it('creates: runs once, then ok', () => {
    const marker = join(t.dir, 'done');
    const p = params(command, { cmd: ['touch', marker], creates: marker });
    const plan = planOf(command, p);
    expect(plan.kind).toBe('change');
    expect(runApply(command, p, plan).rc).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(planOf(command, p)).toMatchObject({ kind: 'ok' });
  });

  it('removes: ok once the path is gone', () => {
    const p = params(command, { cmd: 'true', removes: join(t.dir, 'nothing') });
    expect(planOf(command, p)).toMatchObject({ kind: 'ok' });
  });

  it('does not interpret shell syntax, uses chdir and environment', () => {
    const p = params(command, { cmd: 'sh -c "echo $GREETING > out; pwd"', chdir: t.dir, environment: { GREETING: "it's me" } });
    const r = runApply(command, p, planOf(command, p));
    expect(r.rc).toBe(0);
    expect(r.stdout).toBe(`${t.dir}\n`);
    expect(readFileSync(join(t.dir, 'out'), 'utf8')).toBe("it's me\n");
  });

  it('result(): failed with rc, and registers rc, stdout, stderr, stdout_lines and the command', () => {
    const p = params(command, { cmd: ['sh', '-c', 'echo out; echo more; echo err >&2; exit 4'] });
    const r = runApply(command, p, planOf(command, p));
    expect(r.rc).toBe(4);
    const cmd = "sh -c 'echo out; echo more; echo err >&2; exit 4'";
    expect(command.result!(p, r)).toEqual({
      failed: true,
      msg: 'command exited 4',
      cmd,
      registered: { rc: 4, stdout: 'out\nmore', stderr: 'err', stdout_lines: ['out', 'more'], cmd },
    });
  });

  it('schema rejects unknown keys and bad environment names', () => {
    expect(isValid(command, { cmd: 'x', environment: { 'BAD-NAME': '1' } })).toBe(false);
    expect(isValid(command, { cmd: 'x', args: 1 })).toBe(false);
    expect(isValid(command, { cmd: [] })).toBe(false);
  });
});

describe('shell', () => {
  it('unless: a guard command that succeeds means nothing to do', () => {
    const f = join(t.dir, 'conf');
    writeFileSync(f, 'enabled\n');
    const p = params(shell, { cmd: `echo enabled >> ${f}`, unless: `grep -q enabled ${f}` });
    expect(planOf(shell, p)).toMatchObject({ kind: 'ok', note: `unless: grep -q enabled ${f} succeeded` });
    const p2 = params(shell, { cmd: `echo enabled >> ${f}`, unless: `grep -q disabled ${f}` });
    expect(planOf(shell, p2)).toEqual({ kind: 'change', summary: `run: echo enabled >> ${f}` });
  });

  it('runs pipelines through sh -c, in chdir', () => {
    const p = params(shell, { cmd: 'printf "b\\na\\n" | sort | head -n 1 > first; cat first', chdir: t.dir });
    const r = runApply(shell, p, planOf(shell, p));
    expect(r).toEqual({ rc: 0, stdout: 'a\n', stderr: '' });
  });

  it('apply does not depend on plan data (the engine runs queries without a plan)', () => {
    const p = params(shell, { cmd: 'echo hi' });
    expect(shell.apply(p, { kind: 'change', summary: '' })).toBe(`exec sh -c 'echo hi'\n`);
  });

  it('a missing chdir makes the guard read as not done rather than failing the probe', () => {
    const p = params(shell, { cmd: 'true', chdir: join(t.dir, 'later'), creates: 'x' });
    expect(planOf(shell, p).kind).toBe('change');
  });
});
