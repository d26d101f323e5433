// Probes merged by kind must decide exactly as each task's own probe: both run in a real local
// shell against a corpus of dpkg states (a fake dpkg database through --admindir), and the
// answers and plan() decisions are compared.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roundTrip } from '../../../src/engine/round-trip.js';
import { batchProbes } from '../../../src/engine/probe-batch.js';
import type { Section } from '../../../src/engine/script.js';
import { factsSection, FACTS_PROBE, parseFacts } from '../../../src/engine/facts.js';
import { batchPackage, dpkgQuerySh, LISTS_AGE_SH, planPackage, probePackage, type PackageParams } from '../../../src/modules/package.js';
import { batchRun, planRun, probeRun, type RunParams } from '../../../src/modules/lib/run.js';
import { LocalSession } from './local-session.js';

const status = (name: string, arch: string, st: string, version: string): string =>
  `Package: ${name}\nStatus: ${st}\nPriority: optional\nSection: misc\nMaintainer: t <t@t>\nArchitecture: ${arch}\n${arch !== 'all' ? 'Multi-Arch: same\n' : ''}Version: ${version}\nDescription: test\n\n`;

// The corpus: installed, config files only, unpacked (half-installed), held, two architectures
// of one package, and (by absence) unknown.
const DB = [
  status('alpha', 'all', 'install ok installed', '1.0'),
  status('beta', 'all', 'deinstall ok config-files', '2.0'),
  status('gamma', 'all', 'install ok unpacked', '3.0'),
  status('held', 'all', 'hold ok installed', '4.0'),
  status('multi', 'amd64', 'install ok installed', '5.0'),
  status('multi', 'i386', 'install ok installed', '5.0'),
  status('openssh-server', 'amd64', 'install ok installed', '1:9.2p1-2+deb12u3'),
].join('');

let dir = '';
let env: Record<string, string> = {};
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-batch-'));
  const admin = join(dir, 'dpkg');
  mkdirSync(join(admin, 'info'), { recursive: true });
  mkdirSync(join(admin, 'updates'));
  writeFileSync(join(admin, 'status'), DB);
  writeFileSync(join(admin, 'available'), '');
  mkdirSync(join(dir, 'bin'));
  const real = '/usr/bin/dpkg-query';
  // Each call is counted (dpkg-query parses the whole status database: the facts' call answers
  // the package probes of the first round trip too).
  writeFileSync(join(dir, 'bin', 'dpkg-query'), `#!/bin/sh\necho x >>${join(dir, 'calls')}\nexec ${real} --admindir=${admin} "$@"\n`);
  chmodSync(join(dir, 'bin', 'dpkg-query'), 0o755);
  env = { PATH: `${join(dir, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}` };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const params = (name: string | string[], state: PackageParams['state'] = 'present', purge = false): PackageParams => ({
  name,
  state,
  purge,
  update_cache: 'never',
  cache_valid_time: 3600,
  install_recommends: false,
});

const CORPUS: PackageParams[] = [
  params('alpha'),
  params('beta'),
  params('gamma'),
  params('held'),
  params('multi'),
  params('unknown-pkg'),
  params(['alpha', 'beta', 'unknown-pkg']),
  params('alpha=1.0'),
  params('alpha=0.9'),
  params('alpha', 'absent'),
  params('beta', 'absent'),
  params('beta', 'absent', true),
  params(['gamma', 'multi'], 'absent'),
  params('unknown-pkg', 'absent'),
  params(['alpha', 'alpha']),
];

const section = (p: PackageParams): Section => ({ kind: 'probe', text: probePackage(p), batch: batchPackage(p) });

describe('merged package probes', () => {
  it('send one dpkg-query per run of probes, never across an apply', () => {
    const sections: Section[] = [
      { kind: 'apply', text: 'true\n' },
      section(CORPUS[0]),
      { kind: 'probe', text: 'echo plain=1\n' },
      section(CORPUS[1]),
      { kind: 'apply', text: 'true\n' },
      section(CORPUS[2]),
      section(CORPUS[3]),
    ];
    const sent = batchProbes(sections).sent;
    expect(sent.map((s) => s.kind)).toEqual(['apply', 'probe', 'probe', 'apply', 'probe']);
    expect(sent.filter((s) => s.text.includes('dpkg-query')).length).toBe(2);
    expect(sent[2].text).toBe('echo plain=1\n');
  });

  it('leave alone what cannot be merged: latest, name:arch, a kind asked once', () => {
    expect(batchPackage(params('alpha', 'latest'))).toBeUndefined();
    expect(batchPackage(params('multi:i386'))).toBeUndefined();
    const one = [section(CORPUS[0]), { kind: 'probe' as const, text: 'echo x=1\n' }];
    expect(batchProbes(one).sent).toEqual(one);
  });

  it('answer each task as its own probe does, and plan the same, over the corpus (real shell)', async () => {
    const sections = CORPUS.map(section);
    expect(sections.every((s) => s.batch)).toBe(true);
    const merged = await roundTrip(new LocalSession(env), sections, false, 'test', {});
    const alone = new LocalSession(env);
    expect(merged.size).toBe(CORPUS.length);
    for (const [i, p] of CORPUS.entries()) {
      const own = (await roundTrip(alone, [{ kind: 'probe', text: sections[i].text }], false, 'test', {})).get(0)!;
      const got = merged.get(i)!;
      expect(got.rc).toBe(own.rc);
      expect(got.stdout).toBe(own.stdout);
      expect(planPackage(p, got.stdout)).toEqual(planPackage(p, own.stdout));
    }
    // The corpus covers every kind of decision: ok, install, reinstall, version change, remove, purge.
    const summaries = CORPUS.map((p, i) => {
      const pl = planPackage(p, merged.get(i)!.stdout);
      return pl.kind === 'change' ? pl.summary : pl.kind;
    });
    expect(summaries).toEqual([
      'ok',
      'install beta',
      'reinstall gamma (dpkg status "iU")',
      'ok',
      'ok',
      'install unknown-pkg',
      'install beta, install unknown-pkg',
      'ok',
      'alpha 1.0 -> 0.9',
      'remove alpha',
      'ok',
      'purge beta',
      'remove gamma, remove multi',
      'ok',
      'ok',
    ]);
  });

  const calls = (): number => (existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').split('\n').length - 1 : 0);

  it('read the facts\' dpkg-query in the first round trip: one call in all, the same answers and facts', async () => {
    const sections = CORPUS.map(section);
    const before = calls();
    const merged = await roundTrip(new LocalSession(env), [factsSection(sections), ...sections], false, 'test', {});
    expect(calls() - before).toBe(1);
    const alone = new LocalSession(env);
    for (const [i, s] of sections.entries()) {
      const own = (await roundTrip(alone, [{ kind: 'probe', text: s.text }], false, 'test', {})).get(0)!;
      expect(merged.get(i + 1)!.stdout).toBe(own.stdout);
    }
    // A task's own probe (not merged) reads the facts' answer too.
    const single = await roundTrip(new LocalSession(env), [factsSection([sections[1]]), sections[1]], false, 'test', {});
    const ownBeta = (await roundTrip(alone, [{ kind: 'probe', text: sections[1].text }], false, 'test', {})).get(0)!;
    expect(single.get(1)!.stdout).toBe(ownBeta.stdout);
    // The facts read the same as the facts alone (but the clock, and the addresses: other
    // people's labs add and remove this machine's interfaces).
    const factsAlone = (await roundTrip(alone, [{ kind: 'probe', text: FACTS_PROBE }], false, 'test', {})).get(0)!;
    const { now: _a, addresses: _c, ...joined } = parseFacts(merged.get(0)!.stdout);
    const { now: _b, addresses: _d, ...own } = parseFacts(factsAlone.stdout);
    expect(joined).toEqual(own);
    expect(joined.opensshVersion).toBe('9.2');
  });

  it('read the package index age only when a plan could install, deciding as when it was always read', async () => {
    const alone = new LocalSession(env);
    const withAge = new LocalSession(env);
    const read: boolean[] = [];
    for (const base of CORPUS) {
      const p = { ...base, update_cache: 'auto' as const, cache_valid_time: 0 };
      const own = (await roundTrip(alone, [{ kind: 'probe', text: probePackage(p) }], false, 'test', {})).get(0)!;
      // The probe as it was before: the age always printed.
      const names = [...new Set((typeof p.name === 'string' ? [p.name] : p.name).map((n) => n.split('=')[0]))];
      const old = (await roundTrip(withAge, [{ kind: 'probe', text: `${dpkgQuerySh(names, 'd')} || :\n[ -z "$d" ] || printf '%s\\n' "$d"\n${LISTS_AGE_SH}` }], false, 'test', {})).get(0)!;
      read.push(own.stdout.includes('lists_mtime='));
      expect(planPackage(p, own.stdout, { now: 4e9 } as never)).toEqual(planPackage(p, old.stdout, { now: 4e9 } as never));
    }
    // Read for: beta, gamma, unknown, the list with them, a pinned alpha (both), beta absent
    // (config files only), gamma+multi absent (gamma unpacked), unknown absent.
    expect(read).toEqual([false, true, true, false, false, true, true, true, true, false, true, true, true, true, false]);
  });

  it('fail every task a merged probe answers when that probe fails or is cut off', () => {
    const sections = [section(CORPUS[0]), section(CORPUS[1])];
    const b = batchProbes(sections);
    const failed = b.split(new Map([[0, { stdout: 'pkg=alpha\tii \t1.0\n', stderr: 'boom', rc: 2 }]]));
    expect([...failed.values()].map((r) => [r.rc, r.stderr])).toEqual([[2, 'boom'], [2, 'boom']]);
    const cut = b.split(new Map([[0, { stdout: 'x', stderr: '', rc: 0, dropped: { stdout: 10, stderr: 0 } }]]));
    expect([...cut.values()].every((r) => r.dropped?.stdout === 10)).toBe(true);
    expect(b.split(new Map()).size).toBe(0);
  });
});

describe('merged command guards (creates/removes)', () => {
  it('answer each task as its own probe does, in one section of builtins (real shell)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fleet-guards-'));
    try {
      writeFileSync(join(root, 'there'), '');
      const guards: RunParams[] = [
        { creates: join(root, 'there') },
        { creates: join(root, 'missing') },
        { removes: join(root, 'there') },
        { removes: join(root, 'missing') },
        { creates: join(root, 'missing'), removes: join(root, 'there') },
        { creates: join(root, "it's there") },
      ];
      const sections: Section[] = guards.map((p) => ({ kind: 'probe', text: probeRun(p), batch: batchRun(p) }));
      const sent = batchProbes(sections).sent;
      expect(sent).toHaveLength(1);
      expect(sent[0].text).not.toMatch(/\(|\$\(/);
      const merged = await roundTrip(new LocalSession(), sections, false, 'test', {});
      const alone = new LocalSession();
      const plans: string[] = [];
      for (const [i, p] of guards.entries()) {
        const own = (await roundTrip(alone, [{ kind: 'probe', text: sections[i].text }], false, 'test', {})).get(0)!;
        expect(merged.get(i)).toEqual(own);
        const plan = planRun(p, own.stdout, 'x');
        plans.push(plan.kind);
        expect(planRun(p, merged.get(i)!.stdout, 'x')).toEqual(plan);
      }
      expect(plans).toEqual(['ok', 'change', 'change', 'ok', 'change', 'change']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('leave alone what runs the operator\'s code or needs a directory: unless, chdir', () => {
    expect(batchRun({ creates: '/x', unless: 'true' })).toBeUndefined();
    expect(batchRun({ creates: 'x', chdir: '/tmp' })).toBeUndefined();
    expect(batchRun({})).toBeUndefined();
  });
});
