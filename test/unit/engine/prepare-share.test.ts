// sharedPrepare: a task prepared for one host is given to the next one only when every value
// it reads and every file it read are the same; each case requires exactly what prepareTask
// gives for the second host, and first checks that it differs from the first host's when an
// input changed, so a share that always gives back what it kept fails here.
import { mkdtempSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ansibleFactVars } from '../../../src/engine/ansible-facts.js';
import { factsForTemplates, type GatheredFacts } from '../../../src/engine/facts.js';
import { PrepareMemo, readValues } from '../../../src/engine/prepare-memo.js';
import { sharedPrepare } from '../../../src/engine/prepare-share.js';
import { shareTotals } from '../../../src/engine/shared-results.js';
import { prepareTask, type PreparedTask } from '../../../src/engine/prepare-task.js';
import type { Vars } from '../../../src/model/inventory.js';
import type { Task } from '../../../src/model/playbook.js';
import { assignVars } from '../../../src/template/index.js';
import { gathered, task, withFactReader } from './fixtures.js';

const roleDir = mkdtempSync(join(tmpdir(), 'fleet-share-'));
mkdirSync(join(roleDir, 'templates'));
mkdirSync(join(roleDir, 'files'));
writeFileSync(join(roleDir, 'templates', 't.conf.hbs'), 'greeting = {{greeting}}\n');
writeFileSync(join(roleDir, 'templates', 'host.conf.j2'), 'host = {{ inventory_hostname }}\n');

/** Host `name`'s variables as buildContext lays them out. */
function ctxOf(name: string, vars: Vars = {}): Vars {
  const tf = factsForTemplates(gathered({ hostname: name }));
  const ctx = assignVars({}, { greeting: 'hello', light_root: '/srv', ...vars }, () => ({ file: 'test' }));
  return { ...ctx, ...ansibleFactVars(tf), facts: tf, inventory_hostname: name };
}

const strip = (p: PreparedTask) => ({ params: p.params, section: p.section });
const of = (t: Task): Task => ({ ...t, roleDir });
const prep = (t: Task, ctx: Vars, facts?: GatheredFacts) => sharedPrepare(t, readValues({ task: t }, ctx), ctx, facts);

/** h1 then h2: whether h2 got h1's params, and that h2 got what prepareTask gives it. */
function twoHosts(t: Task, c1: Vars, c2: Vars, f2?: GatheredFacts): { shared: boolean; first: PreparedTask; second: PreparedTask } {
  const first = prep(t, c1);
  const before = shareTotals.shared;
  const second = prep(t, c2, f2);
  const shared = shareTotals.shared > before;
  expect(strip(second)).toEqual(strip(prepareTask(t, c2, f2)));
  return { shared, first, second };
}

describe('sharedPrepare', () => {
  it('a template reading only shared values renders once for two hosts (other variables differ)', () => {
    const t = of(task('t', 'template', { src: 't.conf.hbs', dest: '{{ light_root }}/t.conf' }));
    const { shared, first, second } = twoHosts(t, ctxOf('h1', { other: 1 }), ctxOf('h2', { other: 2 }));
    expect(shared).toBe(true);
    expect(second.params).toBe(first.params);
  });

  it('a value it reads differs: prepared for the host', () => {
    const t = of(task('t', 'template', { src: 't.conf.hbs', dest: '{{ light_root }}/t.conf' }));
    const { shared, first, second } = twoHosts(t, ctxOf('h1'), ctxOf('h2', { greeting: 'hi' }));
    expect(shared).toBe(false);
    expect(strip(second)).not.toEqual(strip(first));
    const p = of(task('p', 'directory', { path: '{{ light_root }}/x' }));
    expect(twoHosts(p, ctxOf('h1'), ctxOf('h2', { light_root: '/other' })).shared).toBe(false);
  });

  it('a template reading the host name is prepared per host', () => {
    const t = of(task('h', 'template', { src: 'host.conf.j2', dest: '/etc/h' }));
    const { shared, first, second } = twoHosts(t, ctxOf('h1'), ctxOf('h2'));
    expect(shared).toBe(false);
    expect(strip(second)).not.toEqual(strip(first));
  });

  it('the template file changed on disk between two hosts: rendered again', () => {
    const file = join(roleDir, 'templates', 'edit.conf.hbs');
    writeFileSync(file, 'a = {{greeting}}\n');
    const t = of(task('e', 'template', { src: 'edit.conf.hbs', dest: '/etc/e' }));
    const first = prep(t, ctxOf('h1'));
    writeFileSync(file, 'b = {{greeting}}\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const second = prep(t, ctxOf('h2'));
    expect(strip(second)).toEqual(strip(prepareTask(t, ctxOf('h2'), undefined)));
    expect(strip(second)).not.toEqual(strip(first));
  });

  it('the probe is written with each host\'s own facts', () => {
    withFactReader(() => {
      const t = of(task('m', 'fact_reader', { path: '{{ light_root }}/x' }));
      prep(t, ctxOf('h1'), gathered({ osId: 'debian' }));
      const { shared, second } = twoHosts(t, ctxOf('h1'), ctxOf('h2'), gathered({ osId: 'ubuntu' }));
      expect(shared).toBe(true);
      expect(second.section?.text).toBe('echo ubuntu /srv/x');
    });
  });

  it('never shares what reads the environment or makes a random salt', () => {
    process.env.FLEET_SHARE_TEST = 'a';
    const env = of(task('v', 'copy', { dest: '/etc/v', content: "{{ lookup('env', 'FLEET_SHARE_TEST') }}\n" }));
    prep(env, ctxOf('h1'));
    process.env.FLEET_SHARE_TEST = 'b';
    expect(twoHosts(env, ctxOf('h1'), ctxOf('h2')).shared).toBe(false);
    delete process.env.FLEET_SHARE_TEST;
    const salt = of(task('s', 'copy', { dest: '/etc/s', content: "{{ 'pw' | password_hash('sha512') }}\n" }));
    const first = prep(salt, ctxOf('h1'));
    const before = shareTotals.shared;
    const second = prep(salt, ctxOf('h2'));
    expect(shareTotals.shared).toBe(before);
    expect(second.params.content).not.toBe(first.params.content);
  });

  it("a host given another's render still knows which files it read: its memo prepares again when one changes", () => {
    const file = join(roleDir, 'templates', 'memo.conf.hbs');
    writeFileSync(file, 'a = {{greeting}}\n');
    const t = of(task('m', 'template', { src: 'memo.conf.hbs', dest: '/etc/m' }));
    const unit = { task: t, index: 0 };
    prep(t, ctxOf('h1'));
    const memo = new PrepareMemo();
    const before = shareTotals.shared;
    const kept = memo.prepare(unit, 0, ctxOf('h2'), undefined, false);
    expect(shareTotals.shared).toBe(before + 1);
    writeFileSync(file, 'b = {{greeting}}\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const got = memo.prepare(unit, 0, ctxOf('h2'), undefined, true);
    expect(strip(got)).not.toEqual(strip(kept));
    expect(strip(got)).toEqual(strip(prepareTask(t, ctxOf('h2'), undefined)));
  });

  it('a task reading a different value on every host stops being kept, and stays right', () => {
    const t = of(task('d', 'directory', { path: '/srv/{{ n }}' }));
    for (let i = 0; i < 40; i++) expect(strip(prep(t, ctxOf('h', { n: String(i) })))).toEqual(strip(prepareTask(t, ctxOf('h', { n: String(i) }), undefined)));
  });
});

describe('a template file shared across hosts whose tasks are not', () => {
  // Each host's destination is under its own root: the task is prepared per host.
  const dest = '{{ light_root }}/etc/t.conf';

  it('renders once when the values the file reads are the same, and gives each host what prepareTask gives', () => {
    writeFileSync(join(roleDir, 'templates', 'same.conf.hbs'), 'greeting = {{greeting}}\n');
    const t = of(task('s', 'template', { src: 'same.conf.hbs', dest }));
    prep(t, ctxOf('h1', { light_root: '/srv/h1' }));
    const before = shareTotals.shared;
    const second = prep(t, ctxOf('h2', { light_root: '/srv/h2' }));
    expect(shareTotals.shared).toBe(before + 1);
    expect(strip(second)).toEqual(strip(prepareTask(t, ctxOf('h2', { light_root: '/srv/h2' }), undefined)));
  });

  it('the file changed on disk between two hosts: rendered again (its one stamp per host is taken now)', () => {
    const file = join(roleDir, 'templates', 'edit-shared.conf.hbs');
    writeFileSync(file, 'a = {{greeting}}\n');
    const t = of(task('es', 'template', { src: 'edit-shared.conf.hbs', dest }));
    const first = prep(t, ctxOf('h1', { light_root: '/srv/h1' }));
    writeFileSync(file, 'b = {{greeting}}\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const second = prep(t, ctxOf('h2', { light_root: '/srv/h2' }));
    expect(strip(second)).toEqual(strip(prepareTask(t, ctxOf('h2', { light_root: '/srv/h2' }), undefined)));
    expect((second.params as { content: string }).content).not.toBe((first.params as { content: string }).content);
  });

  it('a value the file reads differs, or it includes another file: rendered for the host', () => {
    writeFileSync(join(roleDir, 'templates', 'per-host.conf.j2'), 'name = {{ inventory_hostname }}\n');
    writeFileSync(join(roleDir, 'templates', 'inc.conf.j2'), "{% include 'host.conf.j2' %}\n");
    for (const src of ['per-host.conf.j2', 'inc.conf.j2']) {
      const t = of(task('p', 'template', { src, dest }));
      const first = prep(t, ctxOf('h1', { light_root: '/srv/h1' }));
      const before = shareTotals.shared;
      const second = prep(t, ctxOf('h2', { light_root: '/srv/h1' }));
      expect(shareTotals.shared).toBe(before);
      expect(strip(second)).not.toEqual(strip(first));
    }
  });
});
