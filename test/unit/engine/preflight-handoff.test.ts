// The checks before contact hand each host's prepared params to its run's memo: the first
// round trip takes them only when every read is the same in the run's context (variables by
// snapshot, files by stamp, the same references), and writes the probe for the run's facts.
// Each case requires exactly what a fresh prepareTask gives in the run's context; where an
// input changed, it first checks that the fresh result differs from what preflight prepared.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { selectHosts } from '../../../src/config/index.js';
import { ansibleFactVars } from '../../../src/engine/ansible-facts.js';
import { factsForTemplates, type GatheredFacts } from '../../../src/engine/facts.js';
import { HostSeeds, PreflightHandoff, prepareAndSeed } from '../../../src/engine/preflight-handoff.js';
import { validateBeforeContact } from '../../../src/engine/preflight.js';
import { memoReads, memoTotals, PrepareMemo } from '../../../src/engine/prepare-memo.js';
import { prepareTask, type PreparedTask } from '../../../src/engine/prepare-task.js';
import type { Unit } from '../../../src/engine/program.js';
import { setVariableTemplates } from '../../../src/engine/task-reads.js';
import type { Vars } from '../../../src/model/inventory.js';
import type { Task } from '../../../src/model/playbook.js';
import { assignVars } from '../../../src/template/index.js';
import { gathered, host, inventory, play, playbook, task } from './fixtures.js';
import { runLocal } from './run-local.js';

const roleDir = mkdtempSync(join(tmpdir(), 'fleet-handoff-'));
mkdirSync(join(roleDir, 'templates'));
writeFileSync(join(roleDir, 'templates', 't.conf.hbs'), 'greeting = {{greeting}}\nroot = {{light_root}}\n');
afterAll(() => rmSync(roleDir, { recursive: true, force: true }));
afterEach(() => setVariableTemplates(inventory([]), playbook([]), {}));

function ctxOf(vars: Vars, facts: GatheredFacts = gathered()): Vars {
  const tf = factsForTemplates(facts);
  return { ...assignVars({}, vars, () => ({ file: 'test' })), ...ansibleFactVars(tf), facts: tf, inventory_hostname: 'h1' };
}

const unitOf = (t: Task): Unit => ({ task: { ...t, roleDir }, index: 0 });
const base = { greeting: 'hello', light_root: '/srv/h1' };
const strip = (p: PreparedTask) => ({ params: p.params, section: p.section });

/** Preflight prepares `u` with `before` (no facts, as before contact), the run's first round
 * trip with `after`: what it got, what a fresh prepare gives, and the memo's counts. */
function handOver(u: Unit, before: Vars, after: Vars, facts?: GatheredFacts, edit?: (seeds: HostSeeds) => void) {
  const seeds = new HostSeeds();
  const seeded = prepareAndSeed(seeds, u.task, 0, memoReads(u), before);
  expect(seeds.size).toBe(1);
  edit?.(seeds);
  const memo = new PrepareMemo(seeds);
  const got = memo.prepare(u, 0, after, facts, false);
  return { seeded, got, now: prepareTask(u.task, after, facts), stats: memo.stats, seeds };
}

describe('preflight hands its prepared params to the run', () => {
  const tmpl = unitOf(task('t', 'template', { src: 't.conf.hbs', dest: '{{ light_root }}/etc/t.conf' }));

  it('the run takes them when what they read is the same, and writes the probe for its own facts', () => {
    const facts = gathered({ cpus: 8 });
    const { got, now, stats, seeds } = handOver(tmpl, ctxOf({ ...base, other: 1 }), ctxOf({ ...base, other: 2 }, facts), facts);
    expect(stats).toEqual({ reused: 0, prepared: 0, seeded: 1 });
    expect(strip(got)).toEqual(strip(now));
    expect(seeds.size).toBe(0);
  });

  it('a variable the params read differs: prepared again', () => {
    const { seeded, got, now, stats } = handOver(tmpl, ctxOf(base), ctxOf({ ...base, light_root: '/srv/h2' }));
    expect(strip(now)).not.toEqual(strip(seeded));
    expect(stats).toEqual({ reused: 0, prepared: 1, seeded: 0 });
    expect(strip(got)).toEqual(strip(now));
  });

  it('a variable the template file reads differs: prepared again', () => {
    const { seeded, got, now, stats } = handOver(tmpl, ctxOf(base), ctxOf({ ...base, greeting: 'hi' }));
    expect(strip(now)).not.toEqual(strip(seeded));
    expect(stats.seeded).toBe(0);
    expect(strip(got)).toEqual(strip(now));
  });

  it('the template file changed on disk since: prepared again', () => {
    const file = join(roleDir, 'templates', 'edit.conf.hbs');
    writeFileSync(file, 'a = {{greeting}}\n');
    const u = unitOf(task('e', 'template', { src: 'edit.conf.hbs', dest: '/etc/e' }));
    const { seeded, got, now, stats } = handOver(u, ctxOf(base), ctxOf(base), undefined, () => {
      writeFileSync(file, 'b = {{greeting}}\n');
      utimesSync(file, new Date(), new Date(Date.now() + 5000));
    });
    expect(strip(now)).not.toEqual(strip(seeded));
    expect(stats.seeded).toBe(0);
    expect(strip(got)).toEqual(strip(now));
  });

  it('the run reads other references (its variables that are templates differ): prepared again', () => {
    const t = { ...task('l', 'directory', { path: '{{ app_dir }}' }), roleDir };
    const u: Unit = { task: t, index: 0 };
    const vars = { ...base, app_dir: '{{ light_root }}/opt/app' };
    setVariableTemplates(inventory([]), playbook([play([t], { vars })]), {});
    const seeds = new HostSeeds();
    prepareAndSeed(seeds, t, 0, memoReads(u), ctxOf(vars));
    // The run's app_dir is plain: the same text, but the task no longer reads light_root.
    setVariableTemplates(inventory([]), playbook([]), {});
    const run = ctxOf({ ...vars, app_dir: '/srv/h1/opt/app' });
    const memo = new PrepareMemo(seeds);
    const got = memo.prepare(u, 0, run, undefined, true);
    expect(memo.stats.seeded).toBe(0);
    expect(strip(got)).toEqual(strip(prepareTask(t, run, undefined)));
  });

  it('a seed kept under other references is not taken, even when the values match', () => {
    const { got, now, stats } = handOver(tmpl, ctxOf(base), ctxOf(base), undefined, (seeds) => {
      const s = seeds.take(tmpl.task, 0)!;
      seeds.put(tmpl.task, 0, { ...s, refs: '[]' });
    });
    expect(stats.seeded).toBe(0);
    expect(strip(got)).toEqual(strip(now));
  });

  it('a seed is taken once: the task prepared later by the memo is the memo\'s own', () => {
    const seeds = new HostSeeds();
    prepareAndSeed(seeds, tmpl.task, 0, memoReads(tmpl), ctxOf(base));
    const memo = new PrepareMemo(seeds);
    memo.prepare(tmpl, 0, ctxOf(base), undefined, true);
    memo.prepare(tmpl, 0, ctxOf(base), undefined, true);
    expect(memo.stats).toEqual({ reused: 0, prepared: 1, seeded: 1 });
  });

  it('a render that reads the controller\'s state is not handed over', () => {
    const u = unitOf(task('env', 'copy', { dest: '/etc/env', content: "{{ lookup('env', 'HOME') }}" }));
    const seeds = new HostSeeds();
    prepareAndSeed(seeds, u.task, 0, memoReads(u), ctxOf(base));
    expect(seeds.size).toBe(0);
  });
});

describe('validateBeforeContact with a handoff, then the run', () => {
  it('each host takes its own params; the files written are the same as without the handoff', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'fleet-handoff-run-'));
    const prev = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = join(tmp, 'cache');
    try {
      const tasks = [
        task('dir', 'directory', { path: '{{ base }}/{{ inventory_hostname }}', mode: '0755' }),
        task('conf', 'copy', { dest: '{{ base }}/{{ inventory_hostname }}/conf', content: 'name={{ inventory_hostname }} port={{ port }}\n' }),
        task('loop', 'copy', { dest: '{{ base }}/{{ inventory_hostname }}/{{ item }}', content: '{{ item }}\n' }, { loop: ['a', 'b'] }),
      ];
      const inv = inventory([host('h1', { port: 1 }), host('h2', { port: 2 })]);
      const pb = playbook([play(tasks)]);
      const applyIn = async (root: string, handoff: boolean, maxSeeds?: number) => {
        const preflight = handoff ? new PreflightHandoff(maxSeeds) : undefined;
        validateBeforeContact({ inventory: inv, playbook: pb, extraVars: { base: root }, selectHosts, handoff: preflight });
        const before = { ...memoTotals };
        const { recap } = await runLocal(inv, pb, root, { preflight });
        return { recap, seeded: memoTotals.seeded - before.seeded, preflight };
      };
      const read = (root: string) => ['h1/conf', 'h2/conf', 'h1/a', 'h2/b'].map((f) => readFileSync(join(root, f), 'utf8'));
      const without = await applyIn(join(tmp, 'without'), false);
      const withIt = await applyIn(join(tmp, 'with'), true);
      expect(without.seeded).toBe(0);
      // Two hosts, four host-tasks each (the loop's two items), every one taken from preflight.
      expect(withIt.seeded).toBe(8);
      expect(withIt.recap.hosts).toEqual(without.recap.hosts);
      expect(read(join(tmp, 'with'))).toEqual(['name=h1 port=1\n', 'name=h2 port=2\n', 'a\n', 'b\n']);
      // Nothing is left held for the hosts once they ran.
      expect(withIt.preflight!.take('h1')).toBeUndefined();
      // At most maxSeeds are held (the first host's); the rest are prepared in the run, the same.
      const bounded = await applyIn(join(tmp, 'bounded'), true, 5);
      expect(bounded.seeded).toBe(5);
      expect(bounded.recap.hosts).toEqual(without.recap.hosts);
      expect(read(join(tmp, 'bounded'))).toEqual(read(join(tmp, 'with')));
    } finally {
      process.env.XDG_CACHE_HOME = prev;
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 30_000);
});
