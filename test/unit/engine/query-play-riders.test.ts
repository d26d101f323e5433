// Queries and the next play ride along (pipeline.ts, host-runner.ts nextPlay), over the local
// shell: a query (changed_when: false on a command) runs in its place in the script of the
// change before it, sees what the changes before it made and not what the ones after it make,
// and stops the script when it fails; past the play's end the riders go on into the next play
// only where nothing happens between the two plays (no handlers to run, no other host's
// failure or batch that could stop or order the run there).
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Host } from '../../../src/model/inventory.js';
import type { Play } from '../../../src/model/playbook.js';
import { handler, host, inventory, play, playbook, task } from './fixtures.js';
import { runLocal } from './run-local.js';
import { tempCacheDir } from './temp-cache.js';

const dir = tempCacheDir('fleet-query-play-riders-');
let root: string;
beforeEach(() => {
  root = join(dir(), 'r');
  mkdirSync(root);
});

async function apply(plays: Play[], hosts: Host[] = [host('h1')]) {
  const { recap, events, tasks, sessions } = await runLocal(inventory(hosts), playbook(plays), root, { forks: 10, extraVars: { root } });
  const decisions = tasks.map((e) => `${e.host} ${e.play} / ${e.task}: ${e.status}`);
  const order = events.flatMap((e) => (e.type === 'play' ? [`play ${e.play}`] : e.type === 'task' ? [e.task] : []));
  return { recap, decisions, order, tasks, roundTrips: Object.fromEntries([...sessions].map(([h, s]) => [h, s.roundTrips])) };
}
const read = (f: string) => readFileSync(join(root, f), 'utf8');
const copy = (name: string, f: string, extra = {}) => task(name, 'copy', { dest: `{{root}}/{{ inventory_hostname }}-${f}`, content: `${f}\n` }, extra);
const readOf = (h: string, f: string) => read(`${h}-${f}`);

describe('a query rides along', () => {
  it('runs in its place: it sees the change before it, not the one after it', async () => {
    const r = await apply([
      play([
        copy('a', 'a'),
        task('reads a, not b', 'shell', { cmd: 'cat {{root}}/h1-a; test ! -e {{root}}/h1-b && echo no-b' }, { changedWhen: false, register: 'q' }),
        copy('b', 'b'),
      ]),
    ]);
    expect(r.decisions).toEqual(['h1 test play / a: changed', 'h1 test play / reads a, not b: ok', 'h1 test play / b: changed']);
    // First probes; a, the query and b.
    expect(r.roundTrips.h1).toBe(2);
  });

  it('its result is registered as a query run with the probes registers it', async () => {
    const r = await apply([
      play([
        copy('a', 'a'),
        task('reads a', 'shell', { cmd: 'cat {{root}}/h1-a' }, { changedWhen: false, register: 'q' }),
        task('writes what the query printed', 'copy', { dest: '{{root}}/seen', content: '{{ q.stdout }} {{ q.rc }} {{ q.changed }}\n' }),
      ]),
    ]);
    expect(r.decisions).toEqual(['h1 test play / a: changed', 'h1 test play / reads a: ok', 'h1 test play / writes what the query printed: changed']);
    expect(read('seen')).toBe('a 0 False\n');
  });

  it('a query that fails stops the script: nothing after it runs, the host fails', async () => {
    const r = await apply([
      play([
        copy('a', 'a'),
        task('fails', 'shell', { cmd: 'echo nope >&2; exit 3' }, { changedWhen: false }),
        copy('b', 'b'),
      ]),
    ]);
    expect(r.decisions).toEqual(['h1 test play / a: changed', 'h1 test play / fails: failed']);
    expect(r.tasks[1].msg).toMatch(/nope|exit 3|3/);
    expect(() => readOf('h1', 'b')).toThrow();
    expect(r.roundTrips.h1).toBe(2);
  });
});

describe('the riders go on into the next play', () => {
  it('the next play\'s changes ride in the script of the last play\'s last change, reported in their play', async () => {
    const r = await apply([play([copy('a', 'a')], { name: 'one' }), play([copy('b', 'b'), copy('c', 'c')], { name: 'two' })]);
    expect(r.order).toEqual(['play one', 'a', 'play two', 'b', 'c']);
    expect(r.decisions).toEqual(['h1 one / a: changed', 'h1 two / b: changed', 'h1 two / c: changed']);
    expect(['a', 'b', 'c'].map((f) => readOf('h1', f))).toEqual(['a\n', 'b\n', 'c\n']);
    // First probes; a, b and c.
    expect(r.roundTrips.h1).toBe(2);
  });

  it('not past handlers the play runs at its end: they run first', async () => {
    const log = (name: string, extra = {}) => task(name, 'shell', { cmd: `echo ${name} >> {{root}}/log`, creates: `{{root}}/never` }, extra);
    const r = await apply([
      play([copy('a', 'a', { notify: ['h'] })], { name: 'one', handlers: [{ ...handler('h', 'shell', { cmd: 'echo h >> {{root}}/log' }) }] }),
      play([log('b')], { name: 'two' }),
    ]);
    expect(read('log')).toBe('h\nb\n');
    expect(r.order).toEqual(['play one', 'a', 'h', 'play two', 'b']);
  });

  for (const [what, extra] of [
    ['serial', { serial: [1] }],
    ['max_fail_percentage', { maxFailPercentage: 0 }],
    ['any_errors_fatal', { anyErrorsFatal: true }],
  ] as const) {
    it(`not past the end of a play with ${what}: another host's failure or batch could stop the run there`, async () => {
      const r = await apply([play([copy('a', 'a')], { name: 'one', ...extra }), play([copy('b', 'b')], { name: 'two' })]);
      expect(r.decisions).toEqual(['h1 one / a: changed', 'h1 two / b: changed']);
      expect(r.roundTrips.h1).toBe(3);
    });
  }

  it("not the next play's commands: the other hosts may still be in the play before", async () => {
    const r = await apply([
      play([copy('a', 'a')], { name: 'one' }),
      play([copy('b', 'b'), task('c', 'shell', { cmd: 'touch {{root}}/h1-c' }, { creates: '{{root}}/h1-c' }), copy('d', 'd')], { name: 'two' }),
    ]);
    expect(r.decisions).toEqual(['h1 one / a: changed', 'h1 two / b: changed', 'h1 two / c: changed', 'h1 two / d: changed']);
    // First probes; a and b; c and d.
    expect(r.roundTrips.h1).toBe(3);
  });

  it('not into a play this host is not in, nor past it', async () => {
    const r = await apply(
      [play([copy('a', 'a')], { name: 'one' }), play([copy('x', 'x')], { name: 'two', hosts: 'h2' }), play([copy('b', 'b')], { name: 'three' })],
      [host('h1'), host('h2')],
    );
    expect(r.decisions.filter((d) => d.startsWith('h1'))).toEqual(['h1 one / a: changed', 'h1 three / b: changed']);
    expect(r.roundTrips.h1).toBe(3);
    // h2 rides into play two only if h1 ended play one first (plays are barriers): timing.
    expect(r.roundTrips.h2).toBeGreaterThanOrEqual(2);
    expect(r.roundTrips.h2).toBeLessThanOrEqual(3);
  });

  it('not while another host of the batch is still in the play; the last one to end it goes on', async () => {
    const r = await apply(
      [
        play(
          [
            copy('a', 'a'),
            task('slow on h2', 'shell', { cmd: 'sleep 1; echo {{ inventory_hostname }}-one >> {{root}}/log' }, { when: "inventory_hostname == 'h2'", register: 's' }),
            // Reads the slow task's output: a round trip of its own, planned once it is known.
            task('b', 'copy', { dest: '{{root}}/{{ inventory_hostname }}-b', content: "{{ s.stdout | default('') }}\n" }),
          ],
          { name: 'one' },
        ),
        // A copy, not a command: the next play's commands never ride.
        play([copy('two', 'two')], { name: 'two' }),
      ],
      [host('h1'), host('h2')],
    );
    // h1's play two waits for h2 to end play one: a round trip of its own, after h2's write.
    expect(read('log')).toBe('h2-one\n');
    expect(statSync(join(root, 'h1-two')).mtimeMs).toBeGreaterThanOrEqual(statSync(join(root, 'log')).mtimeMs);
    expect(r.roundTrips.h1).toBe(4);
    // h2's last round trip of play one (h1 has ended it) carries play two's task.
    expect(r.roundTrips.h2).toBe(3);
  });
});
