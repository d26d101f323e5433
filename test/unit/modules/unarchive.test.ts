// unarchive (Ansible's) in a real shell: tar.gz, tar.bz2, tar.xz and zip archives from the
// controller (bytes in the script) or on the host (remote_src); the idempotence cycle; drift
// found member by member (content with its diff, mtime, missing, mode) and check-mode honesty
// (the plan touches nothing); creates, dest that must exist, include/exclude, extra_opts,
// owner/group/mode, Ansible's handler errors.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unarchive } from '../../../src/modules/unarchive.js';
import { converge, isValid, params, planOf, runApply, sh, tempDir } from './helpers.js';

let t: { dir: string; cleanup: () => void };
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

/** app/ with two files and a link, archived by the given command ("tar -czf" or "zip -qry"). */
function makeArchive(name: string, cmd: string[]): string {
  const src = join(t.dir, 'src');
  mkdirSync(join(src, 'app/conf'), { recursive: true });
  writeFileSync(join(src, 'app/conf/app.conf'), 'port = 80\nworkers = 4\n');
  writeFileSync(join(src, 'app/run.sh'), '#!/bin/sh\necho run\n');
  chmodSync(join(src, 'app/run.sh'), 0o755);
  spawnSync('ln', ['-sf', 'conf/app.conf', join(src, 'app/current.conf')]);
  const out = join(t.dir, name);
  const r = spawnSync(cmd[0], [...cmd.slice(1), out, 'app'], { cwd: src, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return out;
}

/** Params as the engine hands them over: validated, then prepared (the controller's bytes). */
function prepared(raw: Record<string, unknown>) {
  const p = params(unarchive, raw);
  return unarchive.prepare!(p, { readRoleFile: (f) => readFileSync(f), renderTemplate: () => '' });
}

function destDir(): string {
  const d = join(t.dir, 'dest');
  mkdirSync(d, { recursive: true });
  return d;
}

describe('unarchive: the cycle for every format', () => {
  for (const [name, cmd] of [
    ['app.tar.gz', ['tar', '-czf']],
    ['app.tgz', ['tar', '-czf']],
    ['app.tar.bz2', ['tar', '-cjf']],
    ['app.tar.xz', ['tar', '-cJf']],
    ['app.tar', ['tar', '-cf']],
    ['app.zip', ['zip', '-qry']],
  ] as const)
    it(`${name}: extracted (files, modes, link), then ok`, () => {
      const dest = destDir();
      const p = prepared({ src: makeArchive(name, [...cmd]), dest });
      const first = converge(unarchive, p);
      expect(first.summary).toMatch(/^unarchive .* into .*: \d+ of \d+ differ: app .*missing/);
      expect(readFileSync(join(dest, 'app/conf/app.conf'), 'utf8')).toBe('port = 80\nworkers = 4\n');
      expect(statSync(join(dest, 'app/run.sh')).mode & 0o777).toBe(0o755);
      expect(spawnSync('readlink', [join(dest, 'app/current.conf')], { encoding: 'utf8' }).stdout).toBe('conf/app.conf\n');
    });
});

describe('unarchive: drift and check mode', () => {
  it('an edited file is a content change with its diff; a touched file is mtime; a removed one is missing; plan writes nothing', () => {
    const dest = destDir();
    const p = prepared({ src: makeArchive('app.tar.gz', ['tar', '-czf']), dest });
    converge(unarchive, p);
    writeFileSync(join(dest, 'app/conf/app.conf'), 'port = 8080\nworkers = 4\n');
    utimesSync(join(dest, 'app/run.sh'), new Date(0), new Date(0));
    rmSync(join(dest, 'app/current.conf'));
    const plan = planOf(unarchive, p);
    if (plan.kind !== 'change') throw new Error(JSON.stringify(plan));
    expect(plan.summary).toContain('3 of 5 differ');
    // Written in the same second as the archive was made, its mtime may still match.
    expect(plan.diff).toMatch(/\/app\/conf\/app\.conf: (mtime, )?content\n/);
    expect(plan.diff).toContain(`${dest}/app/run.sh: mtime\n`);
    expect(plan.diff).toContain(`${dest}/app/current.conf: missing\n`);
    expect(plan.diff).toMatch(/^-port = 8080$/m);
    expect(plan.diff).toMatch(/^\+port = 80$/m);
    // The plan (check mode) left the drift as it was.
    expect(readFileSync(join(dest, 'app/conf/app.conf'), 'utf8')).toBe('port = 8080\nworkers = 4\n');
    expect(existsSync(join(dest, 'app/current.conf'))).toBe(false);
    expect(runApply(unarchive, p, plan).rc).toBe(0);
    expect(planOf(unarchive, p).kind).toBe('ok');
    expect(readFileSync(join(dest, 'app/conf/app.conf'), 'utf8')).toBe('port = 80\nworkers = 4\n');
  });

  it('files the archive does not hold are left alone (Ansible never deletes)', () => {
    const dest = destDir();
    const p = prepared({ src: makeArchive('app.tar.gz', ['tar', '-czf']), dest });
    converge(unarchive, p);
    writeFileSync(join(dest, 'app/local.txt'), 'mine\n');
    expect(planOf(unarchive, p).kind).toBe('ok');
  });

  it('mode: every member and top folder gets it (as Ansible); a mode drift alone only sets modes', () => {
    const dest = destDir();
    const p = prepared({ src: makeArchive('app.tar.gz', ['tar', '-czf']), dest, mode: 'u=rwX,g=rX,o=' });
    converge(unarchive, p);
    expect(statSync(join(dest, 'app/conf/app.conf')).mode & 0o777).toBe(0o640);
    expect(statSync(join(dest, 'app/run.sh')).mode & 0o777).toBe(0o750);
    expect(statSync(join(dest, 'app')).mode & 0o777).toBe(0o750);
    chmodSync(join(dest, 'app/run.sh'), 0o777);
    const plan = planOf(unarchive, p);
    expect(plan).toMatchObject({ kind: 'change', data: { extract: false } });
    // app/ and its top folder app are one entry: 5 members (app, conf, app.conf, run.sh, the link).
    expect(plan.kind === 'change' && plan.summary).toMatch(/^set owner\/group\/mode from .*: 1 of 5 differ: app\/run.sh \(mode\)$/);
    expect(runApply(unarchive, p, plan).rc).toBe(0);
    expect(statSync(join(dest, 'app/run.sh')).mode & 0o777).toBe(0o750);
  });
});

describe('unarchive: parameters', () => {
  it("remote_src: the host file; missing is Ansible's message", () => {
    const dest = destDir();
    const archive = makeArchive('app.tar.xz', ['tar', '-cJf']);
    converge(unarchive, prepared({ src: archive, dest, remote_src: true }));
    expect(readdirSync(join(dest, 'app')).sort()).toEqual(['conf', 'current.conf', 'run.sh']);
    expect(planOf(unarchive, prepared({ src: join(t.dir, 'nope.tgz'), dest, remote_src: true }))).toEqual({
      kind: 'blocked',
      reason: `Source '${join(t.dir, 'nope.tgz')}' does not exist`,
    });
  });

  it('creates: ok without looking at the archive; dest must be a directory', () => {
    const archive = makeArchive('app.tgz', ['tar', '-czf']);
    writeFileSync(join(t.dir, 'marker'), '');
    expect(planOf(unarchive, prepared({ src: archive, dest: join(t.dir, 'absent'), creates: join(t.dir, 'marker') }))).toEqual({
      kind: 'ok',
      note: `skipped, since ${join(t.dir, 'marker')} exists`,
    });
    expect(planOf(unarchive, prepared({ src: archive, dest: join(t.dir, 'absent') }))).toEqual({
      kind: 'blocked',
      reason: `Destination '${join(t.dir, 'absent')}' is not a directory`,
    });
  });

  it('extra_opts (--strip-components), exclude, include; list_files registers the members', () => {
    const archive = makeArchive('app.tgz', ['tar', '-czf']);
    const d1 = join(t.dir, 'd1');
    mkdirSync(d1);
    const p = prepared({ src: archive, dest: d1, extra_opts: ['--strip-components=1'], exclude: ['app/run.sh'], list_files: true });
    const plan = converge(unarchive, p);
    expect(readdirSync(d1).sort()).toEqual(['conf', 'current.conf']);
    const r = runApply(unarchive, p, plan);
    const reg = unarchive.result!(p, r).registered as { files: string[] };
    expect({ ...reg, files: [...reg.files].sort() }).toEqual({ dest: d1, src: archive, files: ['conf/', 'conf/app.conf', 'current.conf'] });
    // Nothing to do: the list is registered all the same (as Ansible returns it).
    const ok = planOf(unarchive, p);
    expect(ok.kind === 'ok' && [...(ok.registered?.files as string[])].sort()).toEqual(['conf/', 'conf/app.conf', 'current.conf']);
    const d2 = join(t.dir, 'd2');
    mkdirSync(d2);
    converge(unarchive, prepared({ src: archive, dest: d2, include: ['app/run.sh'] }));
    expect(readdirSync(join(d2, 'app'))).toEqual(['run.sh']);
  });

  it("not an archive: Ansible's handler message with tar's reason", () => {
    writeFileSync(join(t.dir, 'junk.tgz'), 'not an archive at all\n');
    const plan = planOf(unarchive, prepared({ src: join(t.dir, 'junk.tgz'), dest: destDir() }));
    expect(plan.kind).toBe('blocked');
    expect(plan.kind === 'blocked' && plan.reason).toMatch(
      /^Failed to find handler for ".*junk.tgz"\. Make sure the required command to extract the file is installed\.\nCommand "tar" could not handle archive: tar: /,
    );
  });

  it('zip without unzip on the host: the missing tools named, as Ansible names them', () => {
    const archive = makeArchive('app.zip', ['zip', '-qry']);
    const p = prepared({ src: archive, dest: destDir() });
    // A PATH with tar and the shell's tools but no unzip/zipinfo.
    const bin = join(t.dir, 'bin');
    mkdirSync(bin);
    for (const tool of ['sh', 'od', 'tr', 'mktemp', 'rm', 'base64', 'tar', 'sed', 'cat'])
      spawnSync('ln', ['-s', spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(), join(bin, tool)]);
    const r = sh(`(\nPATH=${bin}\n${unarchive.probe(p)}\n)\n`);
    expect(unarchive.plan(p, r.stdout)).toEqual({
      kind: 'blocked',
      reason: `Failed to find handler for "${archive}". Make sure the required command to extract the file is installed.\nUnable to find required 'unzip' or 'zipinfo' binary in the path.`,
    });
  });

  it('schema: src and dest required, dest absolute; include with exclude refused; a URL src is refused', () => {
    expect(isValid(unarchive, { src: 'a.tgz' })).toBe(false);
    expect(isValid(unarchive, { src: 'a.tgz', dest: 'rel' })).toBe(false);
    expect(isValid(unarchive, { src: 'a.tgz', dest: '/x', keep_newer: true })).toBe(false);
    expect(() =>
      unarchive.probe(prepared({ src: makeArchive('a.tgz', ['tar', '-czf']), dest: '/x', include: ['a'], exclude: ['b'] })),
    ).toThrow('mutually exclusive: exclude|include');
    expect(() => prepared({ src: 'https://example.org/a.tgz', dest: '/x' })).toThrow('fetch it with get_url');
  });
});
