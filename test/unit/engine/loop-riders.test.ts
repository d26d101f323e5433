// Loop items riding along (pipeline.ts, rider-context.ts), over the local shell: a loop is
// planned item by item behind guards in the script of the change before it; an item whose
// guard finds its state moved ends the riding there, the items before it stay done; values a
// rider reads must be final when the script is built (another host's address, not its results;
// no result of this round trip read by a name known only when rendering).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Host } from '../../../src/model/inventory.js';
import type { Task } from '../../../src/model/playbook.js';
import { host, inventory, play, playbook, task } from './fixtures.js';
import { runLocal } from './run-local.js';

let tmp: string;
let root: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fleet-loop-riders-'));
  process.env.XDG_CACHE_HOME = join(tmp, 'cache');
  root = join(tmp, 'r');
  mkdirSync(root);
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

async function apply(tasks: Task[], hosts: Host[] = [host('h1')], extraVars: Record<string, unknown> = {}) {
  const { recap, tasks: events, sessions } = await runLocal(inventory(hosts), playbook([play(tasks)]), root, { forks: 10, extraVars: { root, ...extraVars } });
  const decisions = events.map((e) => `${e.host} ${e.task}: ${e.status}`);
  return { recap, decisions, roundTrips: Object.fromEntries([...sessions].map(([h, s]) => [h, s.roundTrips])) };
}
const read = (f: string) => readFileSync(join(root, f), 'utf8');

describe('loop items ride along', () => {
  it('a loop after a change is applied in its script, item by item, and what follows rides too', async () => {
    const r = await apply([
      task('a', 'copy', { dest: '{{root}}/a', content: 'a\n' }),
      task('items', 'copy', { dest: '{{root}}/i.{{ item }}', content: '{{ item }}\n' }, { loop: ['x', 'y', 'z'], register: 'ri' }),
      task('b', 'copy', { dest: '{{root}}/b', content: 'b\n' }),
      task('reads the loop', 'copy', { dest: '{{root}}/seen', content: "{{ ri.results | map(attribute='changed') | join(',') }}\n" }),
    ]);
    expect(r.decisions).toEqual(['h1 a: changed', 'h1 items: changed', 'h1 b: changed', 'h1 reads the loop: changed']);
    // First probes; a, x, y, z, b; then the task reading the loop's results (probe, apply).
    expect(r.roundTrips.h1).toBe(4);
    expect(['i.x', 'i.y', 'i.z', 'b'].map(read)).toEqual(['x\n', 'y\n', 'z\n', 'b\n']);
    expect(read('seen')).toBe('True,True,True\n');
  });

  it('an item whose guard finds its state moved stops the riding there: the items before it are done, not run again', async () => {
    const loop = (): Task =>
      task('items', 'shell', { cmd: 'echo {{ item }} >> {{root}}/log; touch {{root}}/done.{{ item }}' }, { creates: '{{root}}/done.{{ item }}', loop: ['x', 'y', 'z'], register: 'ri' });
    const r = await apply([
      task('a', 'copy', { dest: '{{root}}/a', content: 'a\n' }),
      // Planned from the first probes (no done.y): its guard finds done.y, made by this command.
      task('makes done.y', 'shell', { cmd: 'touch {{root}}/done.y' }, { creates: '{{root}}/pre' }),
      loop(),
      task('reads the loop', 'copy', { dest: '{{root}}/seen', content: "{{ ri.results | map(attribute='changed') | join(',') }}\n" }),
    ]);
    expect(r.decisions).toEqual(['h1 a: changed', 'h1 makes done.y: changed', 'h1 items: changed', 'h1 reads the loop: changed']);
    // x ran once (in the first script), y found its file, z ran on its own.
    expect(read('log')).toBe('x\nz\n');
    expect(read('seen')).toBe('True,False,True\n');
  });

  it('a failing item stops the script: the items after it and the tasks after the loop do not run', async () => {
    const r = await apply([
      task('a', 'copy', { dest: '{{root}}/a', content: 'a\n' }),
      task('items', 'shell', { cmd: '[ {{ item }} != y ] && touch {{root}}/done.{{ item }}' }, { creates: '{{root}}/done.{{ item }}', loop: ['x', 'y', 'z'] }),
      task('b', 'copy', { dest: '{{root}}/b', content: 'b\n' }),
    ]);
    expect(r.decisions).toEqual(['h1 a: changed', 'h1 items: failed']);
    expect(r.roundTrips.h1).toBe(2);
    expect(read('done.x')).toBe('');
    expect(() => read('done.z')).toThrow();
    expect(() => read('b')).toThrow();
  });

  it('another host\'s address and inventory values ride; its results do not, and are read right', async () => {
    const hosts = [host('h1', { color: 'red' }), host('h22', { color: 'blue' })];
    const r = await apply(
      [
        task('mark', 'copy', { dest: '{{root}}/{{ inventory_hostname }}.mark', content: '{{ inventory_hostname }}\n' }, { register: 'marked' }),
        task('addresses', 'copy', { dest: '{{root}}/{{ inventory_hostname }}.{{ item }}', content: "{% for h in groups.all %}{{ hostvars[h]['ansible_host'] }} {% endfor %}{{ item }}\n" }, { loop: ['a1', 'a2'] }),
        task('colors', 'copy', { dest: '{{root}}/{{ inventory_hostname }}.colors', content: "{% for h in groups.all %}{{ hostvars[h]['color'] }} {% endfor %}\n" }),
        task('results', 'copy', { dest: '{{root}}/{{ inventory_hostname }}.results', content: "{% for h in groups.all %}{{ hostvars[h]['marked'].changed }} {% endfor %}\n" }),
        // Its probe does not read the mode: planned ahead, it would read no `marked` yet.
        task('own result', 'file', { path: '{{root}}/{{ inventory_hostname }}.own', state: 'touch', mode: "{{ '0644' if hostvars[inventory_hostname].marked is defined else '0600' }}" }),
      ],
      hosts,
    );
    expect(r.recap.hosts.h1).toMatchObject({ changed: 5, failed: 0 });
    expect(r.recap.hosts.h22).toMatchObject({ changed: 5, failed: 0 });
    expect((statSync(join(root, 'h1.own')).mode & 0o777).toString(8)).toBe('644');
    expect(read('h1.a2')).toBe('192.0.2.2 192.0.2.3 a2\n');
    expect(read('h22.colors')).toBe('red blue \n');
    expect(read('h22.results')).toBe('True True \n');
    // First probes; mark, a1, a2, colors; results, once every host registered `marked` (its
    // probe, which speculation could not render, then its apply); own result (its apply).
    expect(r.roundTrips).toEqual({ h1: 5, h22: 5 });
  });

  it('a result registered in the same script, read by a name known only when rendering, is not guessed: the task waits for it', async () => {
    // The file's probe does not read the mode: it is in the cache, planned from the first probes.
    const mode = "{{ '0644' if (vars[names[0]].stdout | default('')) == 'hi' else '0600' }}";
    const r = await apply(
      [
        task('a', 'copy', { dest: '{{root}}/a', content: 'a\n' }),
        task('later', 'shell', { cmd: 'echo hi; touch {{root}}/b' }, { creates: '{{root}}/b', register: 'later_r' }),
        task('reads by name', 'file', { path: '{{root}}/{{ item }}', state: 'touch', mode }, { loop: ['j'] }),
      ],
      [host('h1')],
      { names: ['later_r'] },
    );
    expect(r.decisions.map((d) => d.split(': ')[1])).toEqual(['changed', 'changed', 'changed']);
    expect((statSync(join(root, 'j')).mode & 0o777).toString(8)).toBe('644');
    // First probes; a and later; the loop (planned ahead, it would have read a stand-in without stdout).
    expect(r.roundTrips.h1).toBe(3);
  });

  it('the same for a task without a loop (main wrote 0600 here: vars[x] was read as the name vars)', async () => {
    const mode = "{{ '0644' if (vars[names[0]].stdout | default('')) == 'hi' else '0600' }}";
    await apply(
      [
        task('a', 'copy', { dest: '{{root}}/a', content: 'a\n' }),
        task('later', 'shell', { cmd: 'echo hi; touch {{root}}/b' }, { creates: '{{root}}/b', register: 'later_r' }),
        task('reads by name', 'file', { path: '{{root}}/j', state: 'touch', mode }),
      ],
      [host('h1')],
      { names: ['later_r'] },
    );
    expect((statSync(join(root, 'j')).mode & 0o777).toString(8)).toBe('644');
  });
});
