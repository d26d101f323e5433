// Bounded fuzz of the loading and validation path (what `fleet check --syntax-check` runs):
// the repository's own playbooks, roles and inventory, mutated (lines deleted, duplicated,
// re-indented, scalars swapped for other types, Jinja junk, files truncated). Every case must
// end in a clean ConfigError (exit 3, file:line:col) or a valid load: never another exception
// (a stack trace for the user) and never a hang. A fixed seed and a fixed number of cases
// keep it reproducible; FLEET_FUZZ_SEED / FLEET_FUZZ_CASES explore further.
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadInventory, loadPlaybook, selectHosts } from '../../../src/config/index.js';
import { validateBeforeContact } from '../../../src/engine/preflight.js';
import { ConfigError } from '../../../src/model/errors.js';
import { clearTemplateCache } from '../../../src/template/index.js';
import { clearLocateCache } from '../../../src/template/locate.js';

const SEED = Number(process.env.FLEET_FUZZ_SEED ?? 20261204);
const CASES = Number(process.env.FLEET_FUZZ_CASES ?? 200);

/** mulberry32: small, seeded, good enough to pick mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const project = mkdtempSync(join(tmpdir(), 'fleet-fuzz-'));
for (const d of ['playbooks', 'roles', 'inventory']) cpSync(resolve(d), join(project, d), { recursive: true });
// Hosts in every group site.yml plays on, with what harden-ssh requires.
writeFileSync(
  join(project, 'inventory/fuzz.yml'),
  'all:\n  vars:\n    admin_keys: [ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFuzzFuzzFuzzFuzzFuzzFuzzFuzzFuzzFuzzFuzzFuzz fuzz]\n' +
    '  children:\n    managers:\n      hosts:\n        m1: {ansible_host: 192.0.2.11}\n' +
    '    workers:\n      hosts:\n        w1: {ansible_host: 192.0.2.12, ansible_user: admin, ansible_become: true}\n',
);
afterAll(() => rmSync(project, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : /\.(ya?ml|hbs|j2|txt)$/.test(n) || !n.includes('.') ? [p] : [];
  });
}
const targets = ['playbooks', 'roles', 'inventory'].flatMap((d) => filesUnder(join(project, d))).filter((f) => !f.endsWith('fuzz.yml'));

const SCALARS = [
  '42',
  'true',
  'null',
  '[]',
  '{}',
  '"x"',
  '-1',
  '"{{ nosuch }}"',
  '"{{ x | }}"',
  '"{% if %}"',
  '*nowhere',
  '&a x',
  '!!binary x',
  '"\\0"',
  'no',
  '1e99',
  '"a\\nb"',
  '[1, [2, {a: b}]]',
  '| \n  text',
];
const JUNK = [
  '{{',
  '}}',
  '{%',
  '{% endif %}',
  '{{ x.y.z }}',
  "{{ hostvars['nohost'].x }}",
  '{{ lookup("pipe", "x") }}',
  '{#',
  '{{ 1 + }}',
  '{{ a | nofilter }}',
  '"',
  "'",
  ':',
  '- ',
  '? ',
  '&x ',
  '*x ',
  '\t',
  '{{#if}}',
  '{{/if}}',
];

type Mutation = (lines: string[], r: () => number) => string[];
const pick = <T>(xs: readonly T[], r: () => number): T => xs[Math.floor(r() * xs.length)];
const at = (lines: string[], r: () => number) => Math.floor(r() * Math.max(1, lines.length));

const MUTATIONS: Record<string, Mutation> = {
  deleteLine: (l, r) => l.toSpliced(at(l, r), 1),
  duplicateLine: (l, r) => {
    const i = at(l, r);
    return l.toSpliced(i, 0, l[i] ?? '');
  },
  indent: (l, r) => {
    const i = at(l, r);
    return l.with(i, r() < 0.5 ? `  ${l[i] ?? ''}` : (l[i] ?? '').replace(/^ {1,2}/, ''));
  },
  swapScalar: (l, r) => {
    const candidates = l.map((x, i) => (/:\s+\S/.test(x) ? i : -1)).filter((i) => i >= 0);
    if (!candidates.length) return l;
    const i = pick(candidates, r);
    return l.with(i, l[i].replace(/:\s+.*$/, `: ${pick(SCALARS, r)}`));
  },
  jinjaJunk: (l, r) => {
    const i = at(l, r);
    const s = l[i] ?? '';
    const p = Math.floor(r() * (s.length + 1));
    return l.with(i, s.slice(0, p) + pick(JUNK, r) + s.slice(p));
  },
  truncate: (l, r) => {
    const text = l.join('\n');
    return text.slice(0, Math.floor(r() * text.length)).split('\n');
  },
};

/** What the CLI does before contacting any host (fleet check --syntax-check). */
function loadAndValidate(): void {
  const inventory = loadInventory([join(project, 'inventory')]);
  const playbook = loadPlaybook(join(project, 'playbooks/site.yml'));
  validateBeforeContact({ inventory, playbook, extraVars: {}, selectHosts });
}

describe('fuzz: mutated project files load or fail cleanly', () => {
  it('the unmutated project loads (so the cases below start from a valid load)', () => {
    expect(loadAndValidate).not.toThrow();
  });

  it(
    `${CASES} mutations (seed ${SEED}): a valid load or a ConfigError with a file and line, never anything else`,
    // Catches a hang, not slowness: on a shared 2-core machine under load 20 this took 157 s.
    { timeout: 400_000 },
    () => {
      const r = prng(SEED);
      const names = Object.keys(MUTATIONS);
      const bad: string[] = [];
      let clean = 0;
      let valid = 0;
      for (let n = 0; n < CASES; n++) {
        const file = pick(targets, r);
        const original = readFileSync(file, 'utf8');
        const steps = 1 + Math.floor(r() * 2);
        let lines = original.split('\n');
        const applied: string[] = [];
        for (let s = 0; s < steps; s++) {
          const m = pick(names, r);
          applied.push(m);
          lines = MUTATIONS[m](lines, r);
        }
        writeFileSync(file, lines.join('\n'));
        clearTemplateCache();
        clearLocateCache();
        try {
          loadAndValidate();
          valid++;
        } catch (e) {
          if (e instanceof ConfigError && e.file && e.line !== undefined && !e.detail.includes('\n    at ')) clean++;
          else
            bad.push(
              `case ${n} (seed ${SEED}) ${relative(project, file)} [${applied.join(', ')}]: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`.slice(
                0,
                1500,
              ),
            );
        } finally {
          writeFileSync(file, original);
        }
      }
      expect(bad, `${bad.length} unclean cases of ${CASES} (FLEET_FUZZ_SEED=${SEED}):\n${bad.slice(0, 8).join('\n\n')}`).toEqual([]);
      expect(clean + valid).toBe(CASES);
      process.stderr.write(`fuzz: ${CASES} cases (seed ${SEED}): ${valid} loaded, ${clean} clean errors\n`);
    },
  );
});
