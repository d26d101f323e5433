// The streamed upload's remote side, run with the local sh as sshd (and sudo) would run it:
// the bytes land whole or not at all, with the mode asked for, and never on a command line.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, existsSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildUploadExec } from '../../../src/transport/upload.js';
import { BECOME_MARKER } from '../../../src/transport/become.js';
import { UPLOAD_FAILED } from '../../../src/model/transport.js';

const dir = () => mkdtempSync(join(tmpdir(), 'fleet-upload-'));

/** As sshd runs the command line; for sudo, what runs after sudo took the password line. */
function remote(command: string, stdin: Buffer) {
  const afterSudo = command.replace(/^sudo .*? -- /, '');
  const r = spawnSync('sh', ['-c', afterSudo], { input: stdin });
  return { rc: r.status ?? 255, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe('buildUploadExec', () => {
  const data = Buffer.concat([Buffer.from('#FLEET-SUDO-OK\nbinary:'), Buffer.from([0, 1, 2, 255, 10, 13]), Buffer.alloc(70_000, 7)]);

  it('writes the whole stream into the file, atomically, with the mode asked for', () => {
    const d = dir();
    const dest = join(d, "it's a file.tar");
    const p = buildUploadExec(dest, { become: false, user: 'root', mode: '0640', size: data.length });
    expect(p.command).not.toContain('binary');
    const r = remote(p.command, Buffer.concat([p.preamble, data]));
    expect(r).toEqual({ rc: 0, stdout: '', stderr: '' });
    expect(readFileSync(dest).equals(data)).toBe(true);
    expect((statSync(dest).mode & 0o777).toString(8)).toBe('640');
    expect(readdirSync(d)).toEqual(["it's a file.tar"]);
  });

  it('writes through no link planted beside the destination (the temporary name is not guessable)', () => {
    const d = dir();
    const dest = join(d, 'x.conf');
    const victim = join(dir(), 'victim');
    writeFileSync(victim, 'untouched');
    // The shell's PID is the next few: a name made of it would be one of these.
    const pid = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
    for (let i = 0; i < 200; i++) symlinkSync(victim, `${dest}.fleet-upload.${Number(pid) + i}`);
    const p = buildUploadExec(dest, { become: false, user: 'root', size: data.length });
    expect(remote(p.command, data).rc).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
    expect(readFileSync(dest).equals(data)).toBe(true);
  });

  it('a stream cut short (fewer bytes than announced) leaves no file behind', () => {
    const d = dir();
    const dest = join(d, 'x.tar');
    const p = buildUploadExec(dest, { become: false, user: 'root', size: data.length + 1 });
    const r = remote(p.command, data);
    expect(r.rc).toBe(1);
    expect(r.stderr).toContain(`received ${data.length} of ${data.length + 1} bytes`);
    expect(existsSync(dest)).toBe(false);
    expect(readdirSync(d)).toEqual([]);
  });

  it('through sudo with a password: the password is consumed before the data and never reaches the file', () => {
    const d = dir();
    const dest = join(d, 'y.tar');
    const p = buildUploadExec(dest, { become: true, user: 'deploy', password: 's3cret', size: data.length });
    expect(p.command).toMatch(/^sudo -k -S -p '' -H -- sh -c /);
    expect(p.command).not.toContain('s3cret');
    // sudo reads the password line itself; the wrapper skips the pad lines up to the OK line.
    const afterPassword = Buffer.concat([p.preamble, data]).subarray(p.preamble.indexOf(10) + 1);
    const r = remote(p.command, afterPassword);
    expect(r.rc).toBe(0);
    expect(r.stdout).toBe(`${BECOME_MARKER}\n`);
    expect(readFileSync(dest).equals(data)).toBe(true);
  });

  it('refuses a relative destination and a bad mode', () => {
    expect(() => buildUploadExec('x.tar', { become: false, user: 'root' })).toThrow(/absolute/);
    expect(() => buildUploadExec('/x', { become: false, user: 'root', mode: 'u+rw' })).toThrow(/octal/);
  });
});

describe('buildUploadExec with a script after the data (uploadThenRun)', () => {
  // Data that reads as a script: if the runner read any of it, it would run.
  const data = Buffer.concat([Buffer.from('touch "$PWNED"\necho pwned\n'), Buffer.from([0, 255, 10]), Buffer.alloc(70_000, 10), Buffer.from('\ntouch "$PWNED"\n')]);
  const script = (dest: string) => `echo "ran with $(wc -c < '${dest}') bytes"\nexit 3\n`;

  for (const streamed of [true, false]) {
    it(`the file lands whole, then the script that follows it on stdin runs, and no byte of the data is read as script (${streamed ? 'streamed' : 'copied'})`, () => {
      const d = dir();
      const dest = join(d, 'img.tar');
      const pwned = join(d, 'pwned');
      const p = buildUploadExec(dest, { become: false, user: 'root', mode: '0600', size: data.length, then: { streamed } });
      const r = spawnSync('sh', ['-c', p.command], { input: Buffer.concat([data, Buffer.from(script(dest))]), env: { ...process.env, PWNED: pwned } });
      expect({ rc: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() }).toEqual({ rc: 3, stdout: `ran with ${data.length} bytes\n`, stderr: '' });
      expect(readFileSync(dest).equals(data)).toBe(true);
      expect(existsSync(pwned)).toBe(false);
      // The write's umask 077 stays in its subshell: the script runs with the shell's own.
      const u = spawnSync('sh', ['-c', buildUploadExec(join(d, 'u'), { become: false, user: 'root', size: 1, then: { streamed } }).command], { input: 'xumask\n' });
      expect(u.stdout.toString().trim()).toBe(spawnSync('sh', ['-c', 'umask']).stdout.toString().trim());
    });
  }

  it(`a file cut short is not renamed into place, the script after it is not run, and the exit status says so (${UPLOAD_FAILED})`, () => {
    const d = dir();
    const dest = join(d, 'img.tar');
    const p = buildUploadExec(dest, { become: false, user: 'root', size: data.length + 100, then: { streamed: true } });
    const r = spawnSync('sh', ['-c', p.command], { input: Buffer.concat([data, Buffer.from(`touch '${join(d, 'ran')}'\n`)]) });
    expect(r.status).toBe(UPLOAD_FAILED);
    expect(r.stderr.toString()).toMatch(/received \d+ of \d+ bytes/);
    expect(readdirSync(d)).toEqual([]);
  });

  it('through sudo with a password: the password never reaches the file or the script', () => {
    const d = dir();
    const dest = join(d, 'y.tar');
    const p = buildUploadExec(dest, { become: true, user: 'deploy', password: 's3cret', size: data.length, then: { streamed: true } });
    expect(p.command).not.toContain('s3cret');
    const all = Buffer.concat([p.preamble, data, Buffer.from('echo "script: $(cat 2>&1 | wc -c)"\n')]);
    const r = remote(p.command, all.subarray(p.preamble.indexOf(10) + 1));
    expect(r.rc).toBe(0);
    expect(r.stdout).toBe(`${BECOME_MARKER}\nscript: 0\n`);
    expect(readFileSync(dest).equals(data)).toBe(true);
  });

  it('a directory (or a link to one) at the destination fails the upload: the file is never moved into it and reported written (review11)', () => {
    for (const then of [undefined, { streamed: false }]) {
      const d = dir();
      const dest = join(d, 'image.tar');
      // A local user of the host who made the name first, in a world-writable directory.
      mkdirSync(dest);
      const p = buildUploadExec(dest, { become: false, user: 'root', size: data.length, then });
      const r = remote(p.command, Buffer.concat([data, Buffer.from('echo ran\n')]));
      expect(r.rc, r.stderr).toBe(then ? UPLOAD_FAILED : 1);
      expect(r.stdout).not.toContain('ran');
      expect(readdirSync(dest)).toEqual([]);
      expect(readdirSync(d)).toEqual(['image.tar']);
      const elsewhere = dir();
      const link = join(d, 'linked.tar');
      symlinkSync(elsewhere, link);
      const viaLink = buildUploadExec(link, { become: false, user: 'root', size: data.length, then });
      remote(viaLink.command, Buffer.concat([data, Buffer.from('echo ran\n')]));
      // The link itself is replaced by the file (rename does not follow it); nothing lands in its target.
      expect(readdirSync(elsewhere)).toEqual([]);
    }
  });

  it('needs the size', () => {
    expect(() => buildUploadExec('/x', { become: false, user: 'root', then: { streamed: true } })).toThrow(/size/);
  });
});
