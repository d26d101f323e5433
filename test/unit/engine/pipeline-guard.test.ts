// A pipelined task's guard, run in a real shell: it lets the apply run only when the probe
// prints byte for byte what the plan was made from, whether it compares the text (small
// outputs, no process) or a digest (large ones).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { q } from '../../../src/model/shell.js';
import { DIVERGED, DIVERGED_MARK, guardedSection, INLINE_GUARD_BYTES } from '../../../src/engine/pipeline.js';

function runGuard(probeText: string, planned: { stdout: string; rc: number }): { rc: number; stdout: string } {
  const { text } = guardedSection(probeText, { ...planned, stderr: '' }, 'echo applied');
  try {
    return { rc: 0, stdout: execFileSync('sh', ['-c', `set -e\n${text}`], { encoding: 'utf8' }) };
  } catch (err) {
    const e = err as { status: number; stdout: string };
    return { rc: e.status, stdout: e.stdout };
  }
}

describe('pipelined guards', () => {
  const small = "type=file\nsize=3\ncontent_b64=YWJj\nowner=it's\n";
  const big = `content_b64=${'QUJD'.repeat(INLINE_GUARD_BYTES)}\n`;
  for (const [name, out] of [
    ['small output, compared as text', small],
    ['large output, compared by digest', big],
  ] as const) {
    it(`${name}: the same answer applies, any other stops with the divergence mark`, () => {
      const probe = `printf '%s' ${q(out)}`;
      const text = guardedSection(probe, { stdout: out, rc: 0, stderr: '' }, 'echo applied').text;
      expect(text.includes('sha256sum')).toBe(out === big);
      expect(runGuard(probe, { stdout: out, rc: 0 })).toEqual({ rc: 0, stdout: 'applied\n' });
      // One byte more, another exit code, one byte less: each diverges.
      expect(runGuard(probe, { stdout: `${out}x`, rc: 0 })).toEqual({ rc: DIVERGED, stdout: `${DIVERGED_MARK}\n` });
      expect(runGuard(probe, { stdout: out, rc: 1 })).toEqual({ rc: DIVERGED, stdout: `${DIVERGED_MARK}\n` });
      expect(runGuard(probe, { stdout: out.slice(0, -2) + '\n', rc: 0 })).toEqual({ rc: DIVERGED, stdout: `${DIVERGED_MARK}\n` });
    });
  }
});

describe('pipelined guards: the probe in the substitution\'s shell', () => {
  it('runs a probe as a group, not a second subshell, unless it could end its shell with status 0', () => {
    const planned = { stdout: 'a\n', rc: 0, stderr: '' };
    expect(guardedSection('echo a', planned, undefined).text).toMatch(/^fleet_o=\$\( \{\n/);
    expect(guardedSection("[ -e /x ] && stat /x || exit 1", planned, undefined).text).toMatch(/^fleet_o=\$\( \{\n/);
    for (const p of ['echo a; exit 0', 'echo a; exit', 'exit $x', 'return 0', 'exec echo a', 'echo a; exit 10']) {
      expect(guardedSection(p, planned, undefined).text, p).toMatch(/^fleet_o=\$\( \(\n/);
    }
    // A plan made from a failed probe (not one lookahead makes) keeps the subshell too.
    expect(guardedSection('echo a', { ...planned, rc: 1 }, undefined).text).toMatch(/^fleet_o=\$\( \(\n/);
  });

  it('a probe that ends early with status 0 passes as its probe section did; one failing with exit 1 diverges', () => {
    expect(runGuard('echo a; if true; then exit 0; fi; echo b', { stdout: 'a\n', rc: 0 })).toEqual({ rc: 0, stdout: 'applied\n' });
    expect(runGuard('echo a; exec echo b', { stdout: 'a\nb\n', rc: 0 })).toEqual({ rc: 0, stdout: 'applied\n' });
    expect(runGuard('echo a; false || exit 1; echo b', { stdout: 'a\n', rc: 0 })).toEqual({ rc: DIVERGED, stdout: `${DIVERGED_MARK}\n` });
    expect(runGuard('echo a; false || exit 1; echo b', { stdout: 'a\nb\n', rc: 0 })).toEqual({ rc: DIVERGED, stdout: `${DIVERGED_MARK}\n` });
    expect(runGuard('set -e; echo a; false; echo b', { stdout: 'a\n', rc: 0 })).toEqual({ rc: DIVERGED, stdout: `${DIVERGED_MARK}\n` });
  });

  it("leaves nothing of the probe's shell to the apply", () => {
    const { text } = guardedSection('fleet_x=1; cd /; umask 077; echo a', { stdout: 'a\n', rc: 0, stderr: '' }, 'echo "${fleet_x:-unset} $(umask) $PWD"');
    const out = execFileSync('sh', ['-c', `set -e\numask 022\ncd /tmp\n${text}`], { encoding: 'utf8' });
    expect(out).toBe('unset 0022 /tmp\n');
  });
});
