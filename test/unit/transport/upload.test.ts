// The streamed upload's remote side, run with the local sh as sshd (and sudo) would run it:
// the bytes land whole or not at all, with the mode asked for, and never on a command line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildUploadExec } from '../../../src/transport/upload.js';
import { BECOME_MARKER } from '../../../src/transport/become.js';

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
