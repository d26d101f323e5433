import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../../src/model/inventory.js';
import { parseScriptOutput } from '../../../src/engine/frame-reader.js';
import { buildScript } from '../../../src/engine/script.js';
import { Redactor } from '../../../src/report/redact.js';
import {
  BECOME_MARKER,
  RUNNER,
  STREAM_RUNNER,
  BecomeError,
  buildExec,
  interpretBecome,
  resolveBecomePassword,
  SUDO_OK_LINE,
  SUDO_PAD_LINE,
} from '../../../src/transport/become.js';

const PW = 's3cr3t pa$$ \'word"';
const SCRIPT = 'echo "out:$(id -u)"\necho "l=[$l]"\nset\necho err >&2\nexit 4\n';

/** Run the sh -c wrapper of a sudo command locally, as sudo would after authenticating. */
function runWrapper(command: string, stdin: Buffer) {
  const m = /sh -c '([^']*)'$/.exec(command);
  expect(m, `no sh -c '...' in ${command}`).not.toBeNull();
  const r = spawnSync('sh', ['-c', m![1]], { input: stdin });
  return { rc: r.status ?? 255, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** The same through a pipe, as sshd hands the script over (node's own stdin is a socket). */
function runWrapperPiped(command: string, stdin: Buffer) {
  const m = /sh -c '([^']*)'$/.exec(command);
  expect(m, `no sh -c '...' in ${command}`).not.toBeNull();
  const r = spawnSync('sh', ['-c', 'cat | sh -c "$FLEET_TEST_WRAPPER"'], { input: stdin, env: { ...process.env, FLEET_TEST_WRAPPER: m![1] } });
  return { rc: r.status ?? 255, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** Drop the first n lines of stdin, as sudo -S does when it reads password attempts. */
function consumeLines(buf: Buffer, n: number): Buffer {
  let at = 0;
  for (let i = 0; i < n; i++) at = buf.indexOf(0x0a, at) + 1;
  return buf.subarray(at);
}

describe('buildExec', () => {
  it('no become, or user root: plain sh with the script on stdin', () => {
    for (const p of [
      buildExec(SCRIPT, { become: false, user: 'deploy' }),
      buildExec(SCRIPT, { become: true, user: 'root', password: PW }),
    ]) {
      expect(p).toEqual({ command: `sh -c '${RUNNER}'`, stdin: Buffer.from(SCRIPT), viaSudo: false });
    }
  });

  it('a command that reads stdin sees EOF instead of eating the rest of the script; trailing newlines survive', () => {
    const script = 'echo before\ncat\nread x || echo "read got EOF"\ncat <<EOF\nheredoc at the very end\nEOF\n\n\n';
    const r = runWrapper(buildExec(script, { become: false, user: 'root' }).command, Buffer.from(script));
    expect(r).toEqual({ rc: 0, stdout: 'before\nread got EOF\nheredoc at the very end\n', stderr: '' });
  });

  it('exit codes and set -e behave as in a script file', () => {
    expect(
      runWrapper(buildExec('set -e\nfalse\necho no\n', { become: false, user: 'root' }).command, Buffer.from('set -e\nfalse\necho no\n')),
    ).toMatchObject({ rc: 1, stdout: '' });
    expect(runWrapper(buildExec('', { become: false, user: 'root' }).command, Buffer.from('exit 7\n')).rc).toBe(7);
  });

  it('NOPASSWD sudo: non-interactive sudo, script only on stdin', () => {
    const p = buildExec(SCRIPT, { become: true, user: 'deploy' });
    expect(p.command).toMatch(/^sudo -n -H -- sh -c '/);
    expect(p.stdin.toString()).toBe(SCRIPT);
    expect(p.command).not.toContain('out:'); // nothing of the script on the command line
    const r = runWrapper(p.command, p.stdin);
    expect(r.rc).toBe(4);
    expect(r.stderr).toBe('err\n');
    expect(r.stdout.startsWith(`${BECOME_MARKER}\nout:${process.getuid!()}\nl=[]\n`)).toBe(true);
  });

  it('password: never on the command line; stdin = password, pad lines, OK line, script', () => {
    const p = buildExec(SCRIPT, { become: true, user: 'deploy', password: PW });
    expect(p.command).toMatch(/^sudo -k -S -p '' -H -- sh -c '/);
    expect(p.command).not.toContain(PW);
    expect(p.stdin.toString()).toBe(`${PW}\n${SUDO_PAD_LINE}\n${SUDO_PAD_LINE}\n${SUDO_OK_LINE}\n${SCRIPT}`);
  });

  it('password rule: after sudo reads the password line, the script runs and never sees the password', () => {
    const p = buildExec(SCRIPT, { become: true, user: 'deploy', password: PW });
    const r = runWrapper(p.command, consumeLines(p.stdin, 1));
    expect(r.rc).toBe(4);
    expect(r.stdout.startsWith(`${BECOME_MARKER}\nout:`)).toBe(true);
    expect(r.stdout).toContain('l=[]'); // the wrapper's variable does not survive exec
    expect(r.stdout + r.stderr).not.toContain('s3cr3t');
    expect(r.stdout).not.toContain(SUDO_PAD_LINE);
  });

  it('rule is in fact NOPASSWD: sudo reads nothing, the wrapper skips the password itself', () => {
    const p = buildExec(SCRIPT, { become: true, user: 'deploy', password: PW });
    const r = runWrapper(p.command, p.stdin);
    expect(r.rc).toBe(4);
    expect(r.stdout.startsWith(`${BECOME_MARKER}\nout:`)).toBe(true);
    expect(r.stdout + r.stderr).not.toContain('s3cr3t');
  });

  it('wrong password: sudo retries on the pad lines only, so no line of the script is taken as a password', () => {
    const p = buildExec(SCRIPT, { become: true, user: 'deploy', password: PW });
    expect(consumeLines(p.stdin, 3).toString()).toBe(`${SUDO_OK_LINE}\n${SCRIPT}`);
  });
});

describe('buildExec, streamed (the engine\'s scripts, read as they run)', () => {
  const built = buildScript([
    { kind: 'query', text: 'cat; read x || echo "read got EOF"' },
    { kind: 'query', text: 'echo "uid=$(id -u) l=[$l]"; set | grep -c s3c[r]3t' },
    { kind: 'probe', text: 'echo oops >&2; exit 3' },
  ]);
  const sections = (r: { stdout: string; stderr: string }) => parseScriptOutput(r.stdout.replace(`${BECOME_MARKER}\n`, ''), built.nonce, ['query', 'query', 'probe'], r.stderr).sections;

  it('no copy of the script first (no $(cat)), and a command that reads stdin does not eat the rest', () => {
    const p = buildExec(built.script, { become: false, user: 'root', streamed: true });
    expect(p.command).toBe(`sh -c '${STREAM_RUNNER}'`);
    // From a pipe the shell reads the script itself; from a socket, RUNNER's copy.
    for (const run of [runWrapperPiped, runWrapper]) {
      const r = sections(run(p.command, p.stdin));
      expect(r.get(0)).toEqual({ stdout: 'read got EOF\n', stderr: '', rc: 0 });
      expect(r.get(1)!.stdout).toMatch(/^uid=\d+ l=\[\]\n0\n$/);
      expect(r.get(2)).toEqual({ stdout: '', stderr: 'oops\n', rc: 3 });
    }
  });

  it('through sudo, NOPASSWD, with a password read by sudo, or skipped by the wrapper: the same, and no password seen', () => {
    const nopasswd = buildExec(built.script, { become: true, user: 'deploy', streamed: true });
    const withPw = buildExec(built.script, { become: true, user: 'deploy', password: PW, streamed: true });
    for (const [command, stdin] of [
      [nopasswd.command, nopasswd.stdin],
      [withPw.command, consumeLines(withPw.stdin, 1)],
      [withPw.command, withPw.stdin],
    ] as const) {
      const out = runWrapperPiped(command, stdin);
      expect(out.stdout.startsWith(`${BECOME_MARKER}\n`)).toBe(true);
      const r = sections(out);
      expect(r.get(0)!.stdout).toBe('read got EOF\n');
      expect(r.get(1)!.stdout).toMatch(/ l=\[\]\n0\n$/);
      expect(r.get(2)!.rc).toBe(3);
    }
  });
});

describe('interpretBecome', () => {
  const ctx = { host: 'lab3', user: 'deploypw', password: PW };
  it('strips the marker when sudo let the script run, keeping rc and stderr', () => {
    expect(interpretBecome({ rc: 2, stdout: `${BECOME_MARKER}\nhello\n`, stderr: 'x\n' }, ctx)).toEqual({
      rc: 2,
      stdout: 'hello\n',
      stderr: 'x\n',
    });
  });

  it('wrong password: a clear error naming user and host, without the password', () => {
    const run = () =>
      interpretBecome({ rc: 1, stdout: '', stderr: `Sorry, try again.\nSorry, try again.\nsudo: 3 incorrect password attempts\n` }, ctx);
    expect(run).toThrow(BecomeError);
    expect(run).toThrow('sudo: incorrect password for deploypw on lab3');
  });

  it('password required: says how to provide one', () => {
    expect(() =>
      interpretBecome({ rc: 1, stdout: '', stderr: 'sudo: a password is required\n' }, { host: 'lab2', user: 'deploy' }),
    ).toThrow(/a password is required for deploy on lab2: set become_password_env or become_password_file/);
  });

  it("other sudo refusals carry sudo's words, with the password scrubbed", () => {
    let msg = '';
    try {
      interpretBecome({ rc: 1, stdout: '', stderr: `deploypw is not in the sudoers file (${PW})\n` }, ctx);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^sudo failed for deploypw on lab3 \(rc 1\): deploypw is not in the sudoers file/);
    expect(msg).not.toContain('s3cr3t');
  });
});

describe('resolveBecomePassword', () => {
  const base: Connection = { address: 'a', port: 22, user: 'deploypw', become: true, connectTimeoutMs: 1000, keepaliveIntervalMs: 1000 };
  const dir = mkdtempSync(join(tmpdir(), 'fleet-pw-'));

  it('reads the env var the inventory names', () => {
    process.env.FLEET_TEST_PW = PW;
    expect(resolveBecomePassword('h', { ...base, becomePasswordEnv: 'FLEET_TEST_PW' })).toBe(PW);
    delete process.env.FLEET_TEST_PW;
    expect(() => resolveBecomePassword('h', { ...base, becomePasswordEnv: 'FLEET_TEST_PW' })).toThrow(
      /become_password_env names FLEET_TEST_PW, which is not set/,
    );
  });

  it('gives the password to every redactor: a sudo error, a trace or a stack that quotes it shows ********', () => {
    const pw = 'sudo-pw-canary-41c7"\\';
    process.env.FLEET_TEST_PW2 = pw;
    expect(resolveBecomePassword('h', { ...base, becomePasswordEnv: 'FLEET_TEST_PW2' })).toBe(pw);
    delete process.env.FLEET_TEST_PW2;
    const text = `sudo: 3 incorrect password attempts for ${pw}; json ${JSON.stringify(pw)}; b64 ${Buffer.from(pw).toString('base64')}`;
    const out = new Redactor().redact(text);
    expect(out).not.toContain('sudo-pw-canary');
    expect(out).not.toContain(Buffer.from(pw).toString('base64').slice(0, 12));
    expect(out).toContain('********');
  });

  it('reads a file, dropping one final newline; refuses empty and multi-line passwords', () => {
    const f = join(dir, 'pw');
    writeFileSync(f, PW + '\n');
    expect(resolveBecomePassword('h', { ...base, becomePasswordFile: f })).toBe(PW);
    writeFileSync(f, '\n');
    expect(() => resolveBecomePassword('h', { ...base, becomePasswordFile: f })).toThrow(/is empty/);
    writeFileSync(f, 'a\nb\n');
    expect(() => resolveBecomePassword('h', { ...base, becomePasswordFile: f })).toThrow(/spans several lines/);
    expect(() => resolveBecomePassword('h', { ...base, becomePasswordFile: join(dir, 'missing') })).toThrow(
      /cannot read become_password_file .*missing: ENOENT/,
    );
  });

  it('no password configured: undefined (NOPASSWD sudo)', () => {
    expect(resolveBecomePassword('h', base)).toBeUndefined();
  });
});
