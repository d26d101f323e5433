// PrepareMemo: a task prepared by speculation is given back when it runs only when every
// input it read is the same (the variables it reads, the facts its module read, the template
// and copy source files). Each case prepares once with the "speculation" inputs, changes one
// input (or none), and requires exactly what prepareTask gives for the new inputs; when an
// input changed, the test first checks that the fresh result differs from the old one, so a
// memo that always gives back what it kept fails here.
import { mkdtempSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ansibleFactVars } from '../../../src/engine/ansible-facts.js';
import { factsForTemplates, type GatheredFacts } from '../../../src/engine/facts.js';
import { PrepareMemo } from '../../../src/engine/prepare-memo.js';
import { prepareTask, type PreparedTask } from '../../../src/engine/prepare-task.js';
import type { Unit } from '../../../src/engine/program.js';
import { STEADY_RESULT } from '../../../src/engine/speculation.js';
import { setVariableTemplates } from '../../../src/engine/task-reads.js';
import type { Vars } from '../../../src/model/inventory.js';
import type { Task } from '../../../src/model/playbook.js';
import { assignVars } from '../../../src/template/index.js';
import { gathered, inventory, play, playbook, task, withFactReader } from './fixtures.js';

const roleDir = mkdtempSync(join(tmpdir(), 'fleet-memo-'));
mkdirSync(join(roleDir, 'templates'));
mkdirSync(join(roleDir, 'files'));
writeFileSync(join(roleDir, 'templates', 't.conf.hbs'), 'greeting = {{greeting}}\nroot = {{light_root}}\n');
writeFileSync(join(roleDir, 'templates', 'facts.conf.hbs'), 'host = {{ansible_hostname}}\n');
writeFileSync(join(roleDir, 'files', 'c.txt'), 'copied\n');

/** A task's variables as buildContext lays them out: plain values, templates kept Lazy, facts. */
function ctxOf(vars: Vars, facts: GatheredFacts = gathered(), registered: Vars = {}): Vars {
  const tf = factsForTemplates(facts);
  const ctx = assignVars({}, vars, () => ({ file: 'test' }));
  return { ...ctx, ...ansibleFactVars(tf), ...registered, facts: tf, inventory_hostname: 'h1' };
}

const unitOf = (t: Task): Unit => ({ task: { ...t, roleDir }, index: 0 });
const base = { greeting: 'hello', light_root: '/srv/h1' };
const fresh = (u: Unit, ctx: Vars, facts?: GatheredFacts): PreparedTask => prepareTask(u.task, ctx, facts);
const strip = (p: PreparedTask) => ({ params: p.params, section: p.section });

/** Speculation prepares with `before`, the run with `after`: returns what the run got and whether it was the kept one. */
function specThenRun(u: Unit, before: { ctx: Vars; facts?: GatheredFacts }, after: { ctx: Vars; facts?: GatheredFacts }, item = 0) {
  const memo = new PrepareMemo();
  const kept = memo.prepare(u, item, before.ctx, before.facts, false);
  const got = memo.prepare(u, item, after.ctx, after.facts, true);
  return { kept, got, reused: got === kept, stats: memo.stats };
}

/** The input changed: the fresh result differs from the kept one, and the run got the fresh one. */
function expectRePrepared(u: Unit, before: { ctx: Vars; facts?: GatheredFacts }, after: { ctx: Vars; facts?: GatheredFacts }, item = 0): void {
  const { kept, got, reused } = specThenRun(u, before, after, item);
  const now = fresh(u, after.ctx, after.facts);
  expect(strip(now)).not.toEqual(strip(kept));
  expect(reused).toBe(false);
  expect(strip(got)).toEqual(strip(now));
}

afterEach(() => setVariableTemplates(inventory([]), playbook([]), {}));

describe('PrepareMemo', () => {
  const tmpl = unitOf(task('t', 'template', { src: 't.conf.hbs', dest: '{{ light_root }}/etc/t.conf' }));

  it('gives back the kept preparation when nothing it reads changed (other variables and facts may differ)', () => {
    const facts = gathered();
    const { got, reused, stats } = specThenRun(
      tmpl,
      { ctx: ctxOf({ ...base, unrelated: 1 }, facts), facts },
      { ctx: ctxOf({ ...base, unrelated: 2 }, gathered({ cpus: 8, hostname: 'other' }), { reg: { changed: true } }), facts: gathered({ cpus: 8 }) },
    );
    expect(reused).toBe(true);
    expect(stats).toEqual({ reused: 1, prepared: 1, seeded: 0 });
    expect(strip(got)).toEqual(strip(fresh(tmpl, ctxOf(base))));
  });

  it('prepares again when a variable the template file reads changed', () => {
    expectRePrepared(tmpl, { ctx: ctxOf(base) }, { ctx: ctxOf({ ...base, greeting: 'hi' }) });
  });

  it('prepares again when a variable of its params changed', () => {
    expectRePrepared(tmpl, { ctx: ctxOf(base) }, { ctx: ctxOf({ ...base, light_root: '/srv/h2' }) });
  });

  it('prepares again when a registered result it reads is not what speculation guessed', () => {
    const u = unitOf(task('r', 'copy', { content: 'changed={{ conf.changed }}\n', dest: '/etc/r' }));
    expectRePrepared(u, { ctx: ctxOf(base, gathered(), { conf: STEADY_RESULT }) }, { ctx: ctxOf(base, gathered(), { conf: { changed: true, failed: false } }) });
    // The guess was right: kept.
    expect(specThenRun(u, { ctx: ctxOf(base, gathered(), { conf: STEADY_RESULT }) }, { ctx: ctxOf(base, gathered(), { conf: { changed: false, failed: false, skipped: false } }) }).reused).toBe(true);
  });

  it('prepares again when a fact a template reads changed (the last run\'s facts against this run\'s)', () => {
    const u = unitOf(task('f', 'template', { src: 'facts.conf.hbs', dest: '/etc/f' }));
    expectRePrepared(u, { ctx: ctxOf(base, gathered({ hostname: 'old' })) }, { ctx: ctxOf(base, gathered({ hostname: 'new' })) });
  });

  it('prepares again when a variable it reads through another one changed (templates kept Lazy)', () => {
    const t = task('l', 'directory', { path: '{{ app_dir }}' });
    const vars = { ...base, app_dir: '{{ light_root }}/opt/app' };
    setVariableTemplates(inventory([]), playbook([play([t], { vars })]), {});
    const u = unitOf(t);
    expectRePrepared(u, { ctx: ctxOf(vars) }, { ctx: ctxOf({ ...vars, light_root: '/srv/h2' }) });
    expect(specThenRun(u, { ctx: ctxOf(vars) }, { ctx: ctxOf(vars) }).reused).toBe(true);
  });

  it('prepares again when a task-level guard (creates) reads a changed variable', () => {
    const u = unitOf(task('c', 'command', { cmd: 'touch /x' }, { creates: '{{ light_root }}/x' }));
    expectRePrepared(u, { ctx: ctxOf(base) }, { ctx: ctxOf({ ...base, light_root: '/srv/h2' }) });
  });

  it('prepares again when the template file or the copy source changed on disk', () => {
    const file = join(roleDir, 'templates', 'edit.conf.hbs');
    writeFileSync(file, 'a = {{greeting}}\n');
    const u = unitOf(task('e', 'template', { src: 'edit.conf.hbs', dest: '/etc/e' }));
    const memo = new PrepareMemo();
    const kept = memo.prepare(u, 0, ctxOf(base), undefined, false);
    writeFileSync(file, 'b = {{greeting}}\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const got = memo.prepare(u, 0, ctxOf(base), undefined, true);
    expect(got).not.toBe(kept);
    expect(strip(got)).toEqual(strip(fresh(u, ctxOf(base))));
    expect(strip(got)).not.toEqual(strip(kept));

    const src = join(roleDir, 'files', 'c.txt');
    const cu = unitOf(task('cp', 'copy', { src: 'c.txt', dest: '/etc/c' }));
    const m2 = new PrepareMemo();
    const kept2 = m2.prepare(cu, 0, ctxOf(base), undefined, false);
    writeFileSync(src, 'copied, changed\n');
    utimesSync(src, new Date(), new Date(Date.now() + 5000));
    const got2 = m2.prepare(cu, 0, ctxOf(base), undefined, true);
    expect(strip(got2)).not.toEqual(strip(kept2));
    expect(strip(got2)).toEqual(strip(fresh(cu, ctxOf(base))));
  });

  it('a fact the module itself reads: prepared again when it changed, kept when another fact changed', () => {
    withFactReader(() => {
      const u = unitOf(task('m', 'fact_reader', { path: '/x' }));
      const ctx = ctxOf(base);
      expectRePrepared(u, { ctx, facts: gathered({ osId: 'debian' }) }, { ctx, facts: gathered({ osId: 'ubuntu' }) });
      expect(specThenRun(u, { ctx, facts: gathered() }, { ctx, facts: gathered({ cpus: 64 }) }).reused).toBe(true);
      // No facts at speculation (a host's first run) but facts now: its probe is written again.
      expect(specThenRun(u, { ctx }, { ctx, facts: gathered() }).reused).toBe(false);
    });
  });

  it('no facts at speculation (a first contact without a last run), facts now: the params are kept, only the probe is written again', () => {
    withFactReader(() => {
      const ctx = ctxOf(base);
      for (const u of [unitOf(task('m', 'fact_reader', { path: '{{ light_root }}/x' })), tmpl]) {
        const memo = new PrepareMemo();
        const kept = memo.prepare(u, 0, ctx, undefined, false);
        const got = memo.prepare(u, 0, ctx, gathered({ osId: 'ubuntu' }), true);
        // The same params object: not rendered again...
        expect(got.params).toBe(kept.params);
        // ...and exactly what a fresh preparation with the facts gives.
        expect(strip(got)).toEqual(strip(fresh(u, ctx, gathered({ osId: 'ubuntu' }))));
        expect(memo.stats).toEqual({ reused: 1, prepared: 1, seeded: 0 });
      }
      const u = unitOf(task('m', 'fact_reader', { path: '/x' }));
      expect(fresh(u, ctx, gathered({ osId: 'ubuntu' })).section).not.toEqual(fresh(u, ctx, undefined).section);
    });
  });

  it("a loop item is compared too: another item at the same index is prepared again", () => {
    const t = task('i', 'directory', { path: '/opt/{{ item }}' }, { loop: ['a', 'b'] });
    const u = unitOf(t);
    expectRePrepared(u, { ctx: { ...ctxOf(base), item: 'a' } }, { ctx: { ...ctxOf(base), item: 'c' } }, 1);
  });

  it('never keeps what cannot be compared: hostvars, an environment lookup', () => {
    for (const params of [{ path: "{{ hostvars['h1'].light_root }}" }, { path: "/{{ lookup('env', 'HOME') }}" }]) {
      const u = unitOf(task('h', 'directory', params));
      const ctx = { ...ctxOf(base), hostvars: { h1: { light_root: '/srv/h1' } } };
      const { reused } = specThenRun(u, { ctx }, { ctx });
      expect(reused).toBe(false);
    }
  });

  it('a run takes the kept preparation once: a retry prepares again', () => {
    const memo = new PrepareMemo();
    const ctx = ctxOf(base);
    const kept = memo.prepare(tmpl, 0, ctx, undefined, false);
    expect(memo.prepare(tmpl, 0, ctx, undefined, true)).toBe(kept);
    expect(memo.prepare(tmpl, 0, ctx, undefined, true)).not.toBe(kept);
    expect(memo.size).toBe(0);
  });
});
