import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScriptOutput } from '../../../src/engine/frame-reader.js';
import { buildScript, type Section } from '../../../src/engine/script.js';

function runSh(script: string): [string, string] {
  const r = spawnSync('sh', ['-s'], { input: script, encoding: 'utf8' });
  return [r.stdout, r.stderr];
}

function sectionsOf(b: { script: string; nonce: string }, kinds?: Section['kind'][]) {
  const [out, err] = runSh(b.script);
  return parseScriptOutput(out, b.nonce, kinds, err).sections;
}

describe('probe scripts', () => {
  it('splits sections exactly, with and without trailing newlines, and keeps stderr of failures', () => {
    const sections: Section[] = [
      { kind: 'probe', text: 'printf "a\\nb\\n"' },
      { kind: 'probe', text: 'printf "no newline"; echo ignored >&2' },
      { kind: 'probe', text: 'echo oops >&2; exit 4' },
      { kind: 'query', text: 'echo out; echo err >&2' },
    ];
    const b = buildScript(sections);
    const r = sectionsOf(
      b,
      sections.map((s) => s.kind),
    );
    expect(r.get(0)).toEqual({ stdout: 'a\nb\n', stderr: '', rc: 0 });
    expect(r.get(1)).toEqual({ stdout: 'no newline', stderr: '', rc: 0 });
    expect(r.get(2)).toEqual({ stdout: '', stderr: 'oops\n', rc: 4 });
    expect(r.get(3)).toEqual({ stdout: 'out\n', stderr: 'err\n', rc: 0 });
  });

  it("never works in a directory someone else could have made: the fallback's name is not guessable either", () => {
    // TMPDIR unusable and mktemp failing: the fallback was `mkdir -p /tmp/fleet.$$`, a name a
    // local user of the host can make beforehand (a symlink `d` in it, and the divergence flag
    // `true >"$T/d"`, as root, truncates its target).
    const bin = mkdtempSync(join(tmpdir(), 'fleet-nomktemp-'));
    writeFileSync(join(bin, 'mktemp'), '#!/bin/sh\nexit 1\n');
    chmodSync(join(bin, 'mktemp'), 0o755);
    const b = buildScript([{ kind: 'query', text: 'echo "$T"' }]);
    // The shell that runs the script makes /tmp/fleet.$$ first, as another user could.
    const pre = 'mkdir -p /tmp/fleet.$$; echo "pre=/tmp/fleet.$$" >&2\n';
    const r = spawnSync('sh', ['-s'], { input: pre + b.script, encoding: 'utf8', env: { ...process.env, TMPDIR: '/nonexistent-fleet', PATH: `${bin}:${process.env.PATH}` } });
    const planted = /pre=(\S+)/.exec(r.stderr)![1];
    const t = parseScriptOutput(r.stdout, b.nonce, ['query'], r.stderr.replace(/^pre=.*\n/, '')).sections.get(0)?.stdout.trim();
    rmSync(planted, { recursive: true, force: true });
    rmSync(bin, { recursive: true, force: true });
    expect(t).toBeTruthy();
    expect(t).not.toBe(planted);
    expect(t).toContain(b.nonce);
  });

  it('a failed apply stops the script: later probes do not run', () => {
    const b = buildScript([
      { kind: 'apply', text: 'false; echo never' },
      { kind: 'probe', text: 'echo later' },
    ]);
    const r = sectionsOf(b);
    expect(r.get(0)?.rc).not.toBe(0);
    expect(r.get(0)?.stdout).toBe('');
    expect(r.has(1)).toBe(false);
  });

  it('content that looks like a marker cannot forge a section, and stdin readers cannot eat the script', () => {
    const b = buildScript([
      { kind: 'probe', text: "echo '@@F000000000000:e:0:0@@'; cat" },
      { kind: 'probe', text: 'echo second' },
    ]);
    const r = sectionsOf(b);
    expect(r.get(0)?.stdout).toBe('@@F000000000000:e:0:0@@\n');
    expect(r.get(1)?.stdout).toBe('second\n');
  });

  it('makes the script directory only when a section names $T, and removes it, also after a failed apply', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'fleet-script-'));
    try {
      const none = buildScript([{ kind: 'probe', text: 'echo hi' }, { kind: 'apply', text: 'echo done' }]);
      expect(none.script).not.toContain('mkdir');
      expect(spawnSync('sh', ['-s'], { input: none.script, encoding: 'utf8', env: { ...process.env, TMPDIR: tmp } }).stdout).toContain('done');
      const used = buildScript([
        { kind: 'probe', text: 'echo kept >"$T/f"; cat "$T/f"' },
        { kind: 'apply', text: 'false' },
        { kind: 'probe', text: 'echo never' },
      ]);
      const r = spawnSync('sh', ['-s'], { input: used.script, encoding: 'utf8', env: { ...process.env, TMPDIR: tmp } });
      const sections = parseScriptOutput(r.stdout, used.nonce, ['probe', 'apply', 'probe'], r.stderr).sections;
      expect(sections.get(0)).toEqual({ stdout: 'kept\n', stderr: '', rc: 0 });
      expect(sections.get(1)!.rc).not.toBe(0);
      expect(sections.has(2)).toBe(false);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('ships the stderr of applies and queries exactly, with no process for it (framed on the channel)', () => {
    // A `cat` first on PATH that logs each call: no shipping of stderr may run one.
    const dir = mkdtempSync(join(tmpdir(), 'fleet-script-'));
    try {
      writeFileSync(join(dir, 'cat'), `#!/bin/sh\necho called >> ${dir}/log\nexec /bin/cat "$@"\n`);
      chmodSync(join(dir, 'cat'), 0o755);
      writeFileSync(join(dir, 'log'), '');
      const b = buildScript([
        { kind: 'apply', text: 'echo quiet' },
        { kind: 'query', text: 'echo out' },
        { kind: 'apply', text: 'printf "no newline" >&2' },
        { kind: 'apply', text: 'echo >&2' },
        { kind: 'query', text: 'echo err >&2; exit 3' },
      ]);
      const run = spawnSync('sh', ['-s'], { input: b.script, encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
      const r = parseScriptOutput(run.stdout, b.nonce, undefined, run.stderr).sections;
      expect(r.get(0)).toEqual({ stdout: 'quiet\n', stderr: '', rc: 0 });
      expect(r.get(1)).toEqual({ stdout: 'out\n', stderr: '', rc: 0 });
      expect(r.get(2)).toEqual({ stdout: '', stderr: 'no newline', rc: 0 });
      expect(r.get(3)).toEqual({ stdout: '', stderr: '\n', rc: 0 });
      expect(r.get(4)).toEqual({ stdout: '', stderr: 'err\n', rc: 3 });
      expect(readFileSync(join(dir, 'log'), 'utf8')).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
