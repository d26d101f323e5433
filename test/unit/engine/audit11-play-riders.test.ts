// Audit of riders that go on into the next play and of queries riding in their place (f2b11):
// each case runs what Ansible's linear strategy would do (every host ends a play before any
// host starts the next; tasks one by one) and checks fleet does the same on the host.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../../src/model/events.js';
import type { Host } from '../../../src/model/inventory.js';
import type { Play } from '../../../src/model/playbook.js';
import type { ExecOptions, ExecResult } from '../../../src/model/transport.js';
import { selectHosts } from '../../../src/config/index.js';
import { host, inventory, play, playbook, task } from './fixtures.js';
import { LocalSession, runSh } from './local-session.js';
import { runLocal } from './run-local.js';
import { tempCacheDir } from './temp-cache.js';

const dir = tempCacheDir('fleet-audit11-');
let root: string;
beforeEach(() => {
  root = join(dir(), 'r');
  mkdirSync(root);
});

/** The local shell, with FLEET_BECOME=1 in the script's environment when it runs with become. */
class BecomeSession extends LocalSession {
  override run(script: string, opts?: ExecOptions): Promise<ExecResult> {
    this.roundTrips++;
    this.scripts.push(script);
    return runSh(script, { ...this.env, FLEET_BECOME: opts?.become ? '1' : '0' });
  }
}

async function apply(plays: Play[], hosts: Host[] = [host('h1')], extra: Partial<Parameters<typeof runLocal>[3]> = {}) {
  const sessions = new Map<string, LocalSession>();
  const connect = async (h: Host) => {
    let s = sessions.get(h.name);
    if (!s) sessions.set(h.name, (s = new BecomeSession({ FLEET_TEST_HOST: h.name })));
    return s;
  };
  const { recap, events, tasks } = await runLocal(inventory(hosts), playbook(plays), root, {
    forks: 10,
    extraVars: { root },
    deps: { connect, setHostVar: () => undefined, selectHosts },
    ...extra,
  });
  const decisions = tasks.map((e) => `${e.host} ${e.play} / ${e.task}: ${e.status}`);
  return { recap, events, tasks, decisions, roundTrips: Object.fromEntries([...sessions].map(([h, s]) => [h, s.roundTrips])) };
}
/** Kills the script's own shell (the local session's `sh -s`), as a dropped connection would. */
const KILL_SCRIPT_SHELL = 'p=$$; while [ "$p" -gt 1 ]; do case "$(tr "\\0" " " < /proc/$p/cmdline)" in "sh -s ") kill -9 $p; sleep 1;; esac; p=$(cut -d" " -f4 /proc/$p/stat); done';
const read = (f: string) => readFileSync(join(root, f), 'utf8');
const copy = (name: string, f: string, extra = {}) => task(name, 'copy', { dest: `{{root}}/{{ inventory_hostname }}-${f}`, content: `${f}\n` }, extra);
/** A command guarded by `creates` (so it rides along), appending `line` to the log. */
const log = (name: string, line: string, extra = {}) => task(name, 'shell', { cmd: `echo ${line} >> {{root}}/log`, creates: '{{root}}/never' }, extra);

describe('a play ends on every host before the next play starts (linear strategy)', () => {
  it('a host does not run the next play\'s tasks while another host is still in this play', async () => {
    // h2's last task of play one is slow; h1's play-two task must come after it, as in Ansible
    // (play one may set up what play two uses: a service on h2, a file delegated to h1...).
    await apply(
      [
        play([copy('a', 'a'), log('slow on h2', 'h2-play-one', { when: "inventory_hostname == 'h2'", params: { cmd: 'sleep 1; echo h2-play-one >> {{root}}/log', creates: '{{root}}/never' } })], { name: 'one' }),
        play([log('h1 in play two', 'h1-play-two', { when: "inventory_hostname == 'h1'" })], { name: 'two' }),
      ],
      [host('h1'), host('h2')],
    );
    expect(read('log')).toBe('h2-play-one\nh1-play-two\n');
  });

  it('a file delegated to h1 by h2 in play one is there before h1\'s play two edits it (silent wrong result otherwise)', async () => {
    const conf = '{{root}}/h1-conf';
    await apply(
      [
        play(
          [
            copy('a', 'a'),
            task('wait on h2', 'shell', { cmd: 'sleep 1', creates: '{{root}}/never' }, { when: "inventory_hostname == 'h2'" }),
            task('h2 writes h1\'s config', 'copy', { dest: conf, content: 'initial\n' }, { when: "inventory_hostname == 'h2'", delegateTo: 'h1' }),
          ],
          { name: 'one' },
        ),
        play([task('h1 sets its config', 'copy', { dest: conf, content: 'final\n' })], { name: 'two', hosts: 'h1' }),
      ],
      [host('h1'), host('h2')],
    );
    // Ansible: play one (h2's delegated write) ends before play two's write on h1.
    expect(read('h1-conf')).toBe('final\n');
  });
});

describe('become of a rider', () => {
  it('a task with no become of its own, after a change with become: true, runs with the play\'s become (false)', async () => {
    const r = await apply([
      play([
        task('as root', 'shell', { cmd: 'echo $FLEET_BECOME > {{root}}/first', creates: '{{root}}/never' }, { become: true }),
        task('as the user', 'shell', { cmd: 'echo $FLEET_BECOME > {{root}}/second', creates: '{{root}}/never' }),
      ]),
    ]);
    expect(r.decisions).toEqual(['h1 test play / as root: changed', 'h1 test play / as the user: changed']);
    expect(read('first')).toBe('1\n');
    expect(read('second')).toBe('0\n');
  });

  it('across plays: play one\'s tasks keep play one\'s become when the opening change has become: true and play two has become: true', async () => {
    await apply([
      play(
        [
          task('as root', 'shell', { cmd: 'echo $FLEET_BECOME > {{root}}/first', creates: '{{root}}/never' }, { become: true }),
          task('as the user', 'copy', { dest: '{{root}}/marker', content: 'x\n' }),
          task('as the user too', 'shell', { cmd: 'echo $FLEET_BECOME > {{root}}/second', creates: '{{root}}/never' }),
        ],
        { name: 'one' },
      ),
      play([task('play two as root', 'shell', { cmd: 'echo $FLEET_BECOME > {{root}}/third', creates: '{{root}}/never' })], { name: 'two', become: true }),
    ]);
    expect([read('first'), read('second'), read('third')]).toEqual(['1\n', '0\n', '1\n']);
  });
});

describe('what the report shows for riders of the next play', () => {
  it('a round trip cut off under riders of the next play reports each in its own play, none lost to a shared name', async () => {
    // The same role's task names in both plays (a role applied twice); the round trip is cut
    // off by the last rider (it kills the script's shell).
    const r = await apply([
      play([copy('a', 'a'), copy('same name', 'b')], { name: 'one' }),
      play([copy('same name', 'c'), task('cut', 'shell', { cmd: KILL_SCRIPT_SHELL, creates: '{{root}}/never' })], { name: 'two' }),
    ]);
    const unknown = r.tasks.filter((e) => e.status === 'unknown').map((e) => `${e.play} / ${e.task}`);
    // Without riders: a and b changed in play one; play two's 'same name' changed, 'cut' unknown.
    // With them, every task of the round trip is unknown, each named in its play.
    expect(unknown).toEqual(expect.arrayContaining(['two / cut']));
    for (const u of unknown) {
      const [p, t] = u.split(' / ');
      if (t === 'cut') expect(p).toBe('two');
      if (t === 'a') expect(p).toBe('one');
    }
    // Every task that rode is in the report: 'same name' of play one and of play two.
    const named = r.tasks.map((e) => `${e.play} / ${e.task}`);
    expect(named).toEqual(expect.arrayContaining(['one / same name', 'two / same name']));
  });

  // Riders applied in the round trip a first Ctrl-C lets finish are reported: in their play
  // (runPlay goes on through what already ran) and in the next (index.ts runs that play for
  // the hosts whose riders reached it, and nothing else).
  it('a first Ctrl-C during a round trip that carried riders: every task that ran on the host is reported', async () => {
    const stop = new AbortController();
    const events: FleetEvent[] = [];
    const r = await apply(
      [play([copy('a', 'a'), copy('b', 'b')], { name: 'one' }), play([copy('c', 'c')], { name: 'two' })],
      [host('h1')],
      {
        stop: stop.signal,
        emit: (e: FleetEvent) => {
          events.push(e);
          if (e.type === 'task_start' && e.task === 'a') stop.abort();
        },
      },
    );
    void r;
    const made = ['a', 'b', 'c'].filter((f) => {
      try {
        return read(`h1-${f}`) === `${f}\n`;
      } catch {
        return false;
      }
    });
    const reported = events.flatMap((e) => (e.type === 'task' ? [e.task] : []));
    // What changed the host is in the report (a Ctrl-C lets tasks in flight finish and report).
    expect(reported).toEqual(made);
  });
});

describe('play-level values in the next play', () => {
  it('play two\'s riders render with play two\'s vars', async () => {
    await apply([
      play([copy('a', 'a')], { name: 'one', vars: { x: 'one' } }),
      play([task('x', 'copy', { dest: '{{root}}/x', content: '{{ x }}\n' })], { name: 'two', vars: { x: 'two' } }),
    ]);
    expect(read('x')).toBe('two\n');
  });
});

describe('a query riding in its place', () => {
  it('fails as it fails when it runs on its own: the same message, rc, stdout and stderr', async () => {
    const q = () => task('q', 'shell', { cmd: 'echo out; echo err >&2; exit 3' }, { changedWhen: false, register: 'r' });
    const riding = await apply([play([copy('a', 'a'), q()])]);
    writeFileSync(join(root, 'h1-a'), 'a\n');
    const alone = await apply([play([copy('a', 'a'), q()])]);
    const fail = (r: typeof riding) => {
      const e = r.tasks.find((t) => t.task === 'q')!;
      return { status: e.status, msg: e.msg, failure: { ...e.failure, location: undefined } };
    };
    expect(riding.decisions.at(-1)).toBe('h1 test play / q: failed');
    expect(alone.decisions.at(-1)).toBe('h1 test play / q: failed');
    expect(fail(riding)).toEqual(fail(alone));
  });
});

describe('a block whose failure is held until its always part ran', () => {
  const frame = (part: 'block' | 'always') => [{ id: 'b1', part, hasRescue: false, hasAlways: true }];
  // On main: the task after the block rode along with the always part's change (and ran,
  // unreported, on a host that failed); on f2b11 the next play's tasks too.
  it('what follows the block never runs: the host fails at the block\'s end (nor the next play\'s tasks)', async () => {
    const r = await apply([
      play(
        [
          task('fails', 'shell', { cmd: 'exit 1' }, { blocks: frame('block') }),
          copy('always a', 'a', { blocks: frame('always') }),
          copy('after the block', 'b'),
        ],
        { name: 'one' },
      ),
      play([copy('c', 'c')], { name: 'two' }),
    ]);
    expect(r.decisions).toEqual(['h1 one / fails: failed', 'h1 one / always a: changed']);
    expect(read('h1-a')).toBe('a\n');
    expect(() => read('h1-b')).toThrow();
    expect(() => read('h1-c')).toThrow();
  });

  it('an outer block\'s rescue takes the failure: the outer block\'s tasks after the inner block never run', async () => {
    const outer = (part: 'block' | 'rescue') => ({ id: 'o', part, hasRescue: true, hasAlways: false });
    const inner = (part: 'block' | 'always') => ({ id: 'i', part, hasRescue: false, hasAlways: true });
    const r = await apply([
      play([
        task('fails', 'shell', { cmd: 'exit 1' }, { blocks: [outer('block'), inner('block')] }),
        copy('inner always', 'a', { blocks: [outer('block'), inner('always')] }),
        copy('outer block, after the inner one', 'b', { blocks: [outer('block')] }),
        copy('outer rescue', 'r', { blocks: [outer('rescue')] }),
      ]),
    ]);
    expect(r.decisions).toEqual(['h1 test play / fails: failed', 'h1 test play / inner always: changed', 'h1 test play / outer rescue: changed']);
    expect(() => read('h1-b')).toThrow();
  });
});
