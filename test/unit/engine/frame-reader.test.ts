// A round trip's output is untrusted input: split as it streams, bounded per section, and
// refused when its markers break the script's order.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FrameReader, joinStderr, parseScriptOutput, PROBE_OUTPUT_BYTES, ROUND_TRIP_BYTES } from '../../../src/engine/frame-reader.js';
import { roundTrip } from '../../../src/engine/round-trip.js';
import { buildScript, DIVERGED, type Section } from '../../../src/engine/script.js';
import { DIVERGED_MARK, guardedSection } from '../../../src/engine/pipeline.js';
import { OUTPUT_HEAD_BYTES, OUTPUT_TAIL_BYTES } from '../../../src/model/capped-output.js';
import { RUNNER } from '../../../src/transport/become.js';
import { ControllerSession } from '../../../src/transport/local.js';
import { LocalSession } from './local-session.js';

/** The script run the way the transport runs it on a host (read whole, then eval'd). */
function runOnHost(script: string): { stdout: Buffer; stderr: Buffer } {
  const r = spawnSync('sh', ['-c', RUNNER], { input: script, maxBuffer: 1 << 30 });
  return { stdout: r.stdout, stderr: r.stderr };
}

/** Both streams read as they stream in, `chunk` bytes at a time, as round-trip.ts reads them. */
function split(out: { stdout: Buffer; stderr: Buffer }, nonce: string, kinds: Section['kind'][], chunk: number) {
  const r = new FrameReader(nonce, kinds);
  const e = new FrameReader(nonce, undefined, true);
  for (let i = 0; i < Math.max(out.stdout.length, out.stderr.length); i += chunk) {
    r.push(out.stdout.subarray(i, i + chunk));
    e.push(out.stderr.subarray(i, i + chunk));
  }
  return joinStderr(r.end(), e.end(), kinds);
}

describe('FrameReader', () => {
  const sections: Section[] = [
    { kind: 'probe', text: 'printf "a\\nb\\n"' },
    { kind: 'query', text: 'printf "no newline"; echo err >&2' },
    { kind: 'probe', text: 'echo oops >&2; exit 4' },
    { kind: 'apply', text: 'printf "\\n\\n"' },
  ];

  it('gives the same sections whatever the chunk boundaries (markers cut anywhere)', () => {
    const b = buildScript(sections);
    const out = runOnHost(b.script);
    const whole = parseScriptOutput(
      out.stdout,
      b.nonce,
      sections.map((s) => s.kind),
      out.stderr,
    );
    expect(whole.broken).toBeUndefined();
    expect([...whole.sections.entries()]).toEqual([
      [0, { stdout: 'a\nb\n', stderr: '', rc: 0 }],
      [1, { stdout: 'no newline', stderr: 'err\n', rc: 0 }],
      [2, { stdout: '', stderr: 'oops\n', rc: 4 }],
      [3, { stdout: '\n\n', stderr: '', rc: 0 }],
    ]);
    for (let chunk = 1; chunk <= 40; chunk++)
      expect(
        split(
          out,
          b.nonce,
          sections.map((s) => s.kind),
          chunk,
        ),
      ).toEqual(whole);
  });

  it('a flood in one section, on stdout or on stderr, is capped (head, tail, dropped count) and leaves the others exact', () => {
    const flood: Section[] = [
      { kind: 'query', text: 'echo before; echo said >&2' },
      { kind: 'apply', text: 'echo FIRST; yes 0123456789 | head -c 12000000; echo; echo LAST' },
      { kind: 'apply', text: 'echo FIRST >&2; yes 0123456789 | head -c 12000000 >&2; echo >&2; echo LAST >&2' },
      { kind: 'probe', text: 'echo after; echo failed >&2; exit 3' },
    ];
    const b = buildScript(flood);
    const r = split(
      runOnHost(b.script),
      b.nonce,
      flood.map((s) => s.kind),
      65536,
    );
    expect(r.broken).toBeUndefined();
    expect(r.sections.get(0)).toEqual({ stdout: 'before\n', stderr: 'said\n', rc: 0 });
    expect(r.sections.get(3)).toEqual({ stdout: 'after\n', stderr: 'failed\n', rc: 3 });
    const total = 'FIRST\n'.length + 12_000_000 + 1 + 'LAST\n'.length;
    for (const [i, stream] of [[1, 'stdout'], [2, 'stderr']] as const) {
      const big = r.sections.get(i)!;
      expect(big.rc).toBe(0);
      expect(big.dropped).toEqual({ stdout: 0, stderr: 0, [stream]: total - OUTPUT_HEAD_BYTES - OUTPUT_TAIL_BYTES });
      const text = big[stream];
      expect(text.startsWith('FIRST\n0123456789\n')).toBe(true);
      expect(text.endsWith('\nLAST\n')).toBe(true);
      expect(text).toContain(`[fleet: ${big.dropped![stream]} bytes of output dropped here]`);
      expect(text.length).toBeLessThan(OUTPUT_HEAD_BYTES + OUTPUT_TAIL_BYTES + 100);
    }
  });

  it('streams stderr through the transport and reads it per section (the controller\'s own shell)', async () => {
    const r = await roundTrip(
      new ControllerSession(),
      [
        { kind: 'probe', text: 'echo quiet >&2; echo ok' },
        { kind: 'probe', text: 'echo broke >&2; exit 2' },
        { kind: 'query', text: 'echo said >&2' },
      ],
      false,
      'test',
      {},
    );
    expect([...r.entries()]).toEqual([
      [0, { stdout: 'ok\n', stderr: '', rc: 0 }],
      [1, { stdout: '', stderr: 'broke\n', rc: 2 }],
      [2, { stdout: '', stderr: 'said\n', rc: 0 }],
    ]);
  });

  it("the script's own text quoted back (`set` prints it) is content, not markers", () => {
    const s: Section[] = [
      { kind: 'query', text: 'set' },
      { kind: 'query', text: 'echo second' },
    ];
    const b = buildScript(s);
    const r = parseScriptOutput(runOnHost(b.script).stdout, b.nonce, ['query', 'query']);
    expect(r.broken).toBeUndefined();
    expect(r.sections.get(0)!.stdout).toContain(`@@F${b.nonce}:b:1@@`);
    expect(r.sections.get(1)).toEqual({ stdout: 'second\n', stderr: '', rc: 0 });
  });

  it("markers out of order (a host printing fleet's own markers) break the framing", () => {
    const n = 'aaaaaaaaaaaa';
    const m = (tag: string) => `@@F${n}:${tag}@@\n`;
    const cases = [
      // A second "ok" end for step 0, forged inside its output.
      `${m('b:0')}x\n${m('e:0:0')}${m('b:0')}y\n${m('e:0:0')}`,
      // An end marker without the newline the script always prints before it.
      `${m('b:0')}x${m('e:0:0')}`,
      // Step 1 before step 0 ended.
      `${m('b:0')}x\n${m('b:1')}`,
      // A step the script does not have.
      `${m('b:0')}\n${m('e:0:0')}${m('b:5')}`,
      // stderr of a step that is not the one just ended.
      `${m('b:0')}\n${m('e:0:1')}${m('x:1')}`,
    ];
    for (const c of cases) expect(parseScriptOutput(c, n, ['probe', 'probe']).broken, c).toBeDefined();
  });

  it('all sections of a round trip together keep a bounded amount: past it, a probe keeps nothing (and so fails)', () => {
    const n = 'cccccccccccc';
    const count = Math.ceil(ROUND_TRIP_BYTES / (4 * 1024 * 1024)) + 2;
    const r = new FrameReader(n, Array<Section['kind']>(count).fill('probe'));
    const body = Buffer.alloc(4 * 1024 * 1024, 'z');
    for (let i = 0; i < count; i++) {
      r.push(Buffer.from(`@@F${n}:b:${i}@@\n`));
      r.push(body);
      r.push(Buffer.from(`\n@@F${n}:e:${i}:0@@\n`));
    }
    const out = r.end();
    const kept = [...out.sections.values()].filter((x) => !x.dropped).length;
    expect(kept).toBe(ROUND_TRIP_BYTES / (4 * 1024 * 1024));
    expect(out.sections.get(count - 1)!.dropped).toEqual({ stdout: 4 * 1024 * 1024, stderr: 0 });
  });

  it('after a guard diverged, the applies and queries left are skipped and the probes still answer', () => {
    // A guard that diverges (its probe now prints "moved"), an apply and a query after it, probes between.
    const sections: Section[] = [
      { kind: 'apply', text: 'echo first' },
      guardedSection('echo moved', { stdout: 'planned\n', rc: 0, stderr: '' }, 'echo rider ran'),
      { kind: 'probe', text: 'echo p2' },
      { kind: 'apply', text: 'echo later apply ran' },
      { kind: 'query', text: 'echo later query ran' },
      { kind: 'probe', text: 'echo p5; echo p5 says >&2; exit 3' },
    ];
    const b = buildScript(sections);
    const out = runOnHost(b.script);
    // The stderr frames skip the same sections: joined, each keeps its own.
    const r = parseScriptOutput(out.stdout, b.nonce, sections.map((s) => s.kind), out.stderr);
    expect(r.broken).toBeUndefined();
    expect(r.sections.get(0)).toMatchObject({ stdout: 'first\n', rc: 0 });
    expect(r.sections.get(1)).toMatchObject({ stdout: `${DIVERGED_MARK}\n`, rc: DIVERGED });
    expect(r.sections.get(2)).toMatchObject({ stdout: 'p2\n', rc: 0 });
    expect(r.sections.has(3)).toBe(false);
    expect(r.sections.has(4)).toBe(false);
    expect(r.sections.get(5)).toEqual({ stdout: 'p5\n', stderr: 'p5 says\n', rc: 3 });
    expect(out.stdout.toString()).not.toMatch(/later (apply|query) ran|rider ran/);
  });

  it("an apply of the operator's that exits with the divergence code still stops the script", () => {
    const sections: Section[] = [
      { kind: 'apply', text: `echo mine; exit ${DIVERGED}` },
      { kind: 'probe', text: 'echo p1' },
      { kind: 'apply', text: 'echo later apply ran' },
    ];
    const b = buildScript(sections);
    const out = runOnHost(b.script);
    const r = parseScriptOutput(out.stdout, b.nonce, sections.map((s) => s.kind), out.stderr);
    expect(r.sections.get(0)).toMatchObject({ stdout: 'mine\n', rc: DIVERGED });
    expect([...r.sections.keys()]).toEqual([0]);
  });

  it('steps are skipped only after a divergence, only over applies and queries, and nothing but probes runs after it', () => {
    const n = 'dddddddddddd';
    const m = (tag: string) => `@@F${n}:${tag}@@\n`;
    const kinds: Section['kind'][] = ['apply', 'apply', 'query', 'probe', 'apply', 'probe'];
    const ok = `${m('b:0')}\n${m(`e:0:${DIVERGED}`)}${m('x:0')}\n${m('y:0')}${m('b:3')}p\n${m('e:3:0')}${m('b:5')}q\n${m('e:5:0')}`;
    const r = parseScriptOutput(ok, n, kinds);
    expect(r.broken).toBeUndefined();
    expect([...r.sections.keys()]).toEqual([0, 3, 5]);
    expect(r.sections.get(5)!.stdout).toBe('q');
    const bad = [
      // No divergence: no skipping.
      `${m('b:0')}\n${m('e:0:1')}${m('x:0')}\n${m('y:0')}${m('b:3')}p\n${m('e:3:0')}`,
      // A probe skipped.
      `${m('b:0')}\n${m(`e:0:${DIVERGED}`)}${m('x:0')}\n${m('y:0')}${m('b:5')}q\n${m('e:5:0')}`,
      // An apply after the divergence.
      `${m('b:0')}\n${m(`e:0:${DIVERGED}`)}${m('x:0')}\n${m('y:0')}${m('b:1')}\n${m('e:1:0')}`,
      `${m('b:0')}\n${m(`e:0:${DIVERGED}`)}${m('x:0')}\n${m('y:0')}${m('b:3')}p\n${m('e:3:0')}${m('b:4')}\n${m('e:4:0')}`,
    ];
    for (const c of bad) expect(parseScriptOutput(c, n, kinds).broken, c).toBeDefined();
  });

  it('output that ends inside a step is no answer for that step', () => {
    const n = 'bbbbbbbbbbbb';
    const r = parseScriptOutput(`@@F${n}:b:0@@\nsha256=0123\n@@F${n}:e:0:0@@\n@@F${n}:b:1@@\nsha256=ab`, n, ['probe', 'probe']);
    expect(r.broken).toBeUndefined();
    expect(r.sections.get(0)).toEqual({ stdout: 'sha256=0123', stderr: '', rc: 0 });
    expect(r.sections.get(1)!.rc).toBe(255);
    expect(r.sections.get(1)!.stdout).toBe('');
    expect(r.sections.get(1)!.stderr).toMatch(/output ended inside this step/);
  });
});

describe('roundTrip over untrusted output', () => {
  it('a probe that prints more than fleet reads fails, even when its last line would have matched', async () => {
    const session = new LocalSession();
    const sections: Section[] = [
      { kind: 'probe', text: `head -c ${PROBE_OUTPUT_BYTES + 10} /dev/zero | tr '\\0' x; echo; echo sha256=wanted` },
      { kind: 'probe', text: 'echo small' },
    ];
    const r = await roundTrip(session, sections, false, 'test', {});
    expect(r.get(0)!.rc).toBe(255);
    expect(r.get(0)!.stdout).toBe('');
    expect(r.get(0)!.stderr).toMatch(
      /this probe's answer was cut \(25 of its bytes dropped: fleet reads at most 16777216 bytes of a probe/,
    );
    expect(r.get(1)).toEqual({ stdout: 'small\n', stderr: '', rc: 0 });
  });

  it('refuses a round trip whose markers were forged, on stdout or on stderr, naming what broke', async () => {
    // A "shell" that answers with fleet's markers, read from the script, in an order the script never prints.
    const forged = (answer: (m: (tag: string) => string) => { stdout: string; stderr: string }) => ({
      roundTrips: 0,
      connectMs: 1,
      close() {},
      async run(script: string) {
        const nonce = /@@F([0-9a-f]{12}):b:0@@/.exec(script)![1];
        return { rc: 0, ...answer((tag) => `@@F${nonce}:${tag}@@\n`) };
      },
    });
    const onStdout = forged((m) => ({ stdout: `${m('b:0')}type=file\n${m('e:0:0')}${m('e:0:0')}`, stderr: '' }));
    await expect(roundTrip(onStdout, [{ kind: 'probe', text: 'true' }], false, 'test', {})).rejects.toThrow(
      /does not follow fleet's framing \(expected no end marker here, got marker 'e:0:0'\)/,
    );
    const onStderr = forged((m) => ({ stdout: `${m('b:0')}type=file\n${m('e:0:0')}`, stderr: `${m('b:0')}x\n${m('e:0:0')}${m('b:0')}y\n${m('e:0:0')}` }));
    await expect(roundTrip(onStderr, [{ kind: 'probe', text: 'true' }], false, 'test', {})).rejects.toThrow(/does not follow fleet's framing \(on stderr: expected step 1 to begin/);
  });

  it('a shell that exits 0 without running the script is an error, not an empty answer', async () => {
    const session = { roundTrips: 0, connectMs: 1, close() {}, run: async () => ({ rc: 0, stdout: 'Welcome to garbage\n', stderr: '' }) };
    await expect(roundTrip(session, [{ kind: 'probe', text: 'true' }], false, 'test', {})).rejects.toThrow(
      /exited 0 without running fleet's script; it printed: Welcome to garbage/,
    );
  });
});
