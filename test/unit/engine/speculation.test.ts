// Speculation as a pure function: which later probes go into this round trip, and what
// stands in for values the run has not produced yet.
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/engine/program.js';
import type { Section } from '../../../src/engine/script.js';
import { candidatesFrom, guessRegistered, speculate, STEADY_RESULT, type SpecCandidate, type SpeculationPorts } from '../../../src/engine/speculation.js';
import type { Task } from '../../../src/model/playbook.js';
import { setVariableTemplates } from '../../../src/engine/task-reads.js';
import { handler, inventory, play, playbook, task } from './fixtures.js';

const probe = (text: string): Section => ({ kind: 'probe', text });

/** Ports whose "rendering" gives one probe per task name, recording how conditions were treated. */
function ports(opts: { unrenderable?: string[]; cached?: string[]; become?: Record<string, boolean> } = {}) {
  const decided: Record<string, boolean> = {};
  const p: SpeculationPorts = {
    becomeOf: (c) => opts.become?.[c.unit.task.name] ?? false,
    sections: (c, decideWhen) => {
      decided[c.unit.task.name] = decideWhen;
      if (opts.unrenderable?.includes(c.unit.task.name)) throw new Error('undefined variable');
      return [probe(`probe ${c.unit.task.name}`)];
    },
    cached: (s) => opts.cached?.includes(s.text) ?? false,
  };
  return { ports: p, decided };
}

const t = (name: string, extra: Partial<Task> = {}) => task(name, 'file', { path: '/x' }, extra);

function candidates(tasks: Task[], later: Task[] = []): SpecCandidate[] {
  const first = buildProgram(play(tasks), 0, {});
  const second = buildProgram(play(later), 1, {});
  return [...candidatesFrom(first, 1, [second])];
}

describe('speculate', () => {
  it('probes the units after the current one, then later plays, in order, each text once', () => {
    const cs = candidates([t('current'), t('a'), t('b')], [t('c'), t('a')]);
    const { ports: p } = ports();
    const out = speculate({ candidates: cs, become: false, max: 100, guessed: new Set() }, p);
    expect(out.map((s) => s.text)).toEqual(['probe a', 'probe b', 'probe c']);
  });

  it('leaves out what is cached, what runs another way (become), a later play\'s run_once, and what cannot render yet', () => {
    const cs = candidates([t('current'), t('cached'), t('as root'), t('not yet'), t('fine')], [t('once', { runOnce: true })]);
    const { ports: p } = ports({ cached: ['probe cached'], become: { 'as root': true }, unrenderable: ['not yet'] });
    expect(speculate({ candidates: cs, become: false, max: 100, guessed: new Set() }, p).map((s) => s.text)).toEqual(['probe fine']);
  });

  it('stops at max sections', () => {
    const cs = candidates([t('current'), t('a'), t('b'), t('c')]);
    expect(speculate({ candidates: cs, become: false, max: 2, guessed: new Set() }, ports().ports)).toHaveLength(2);
  });

  it('a condition that reads a guessed value never skips a probe; one that reads known values may', () => {
    const cs = candidates([
      t('current'),
      t('on a guess', { when: "login.stdout == 'admin'" }),
      t('on a fact', { when: "facts.os_id == 'debian'" }),
      t('on a guess via role', {}),
    ]);
    cs[2].unit.roleWhen = 'login.changed';
    const { ports: p, decided } = ports();
    speculate({ candidates: cs, become: false, max: 100, guessed: new Set(['login']) }, p);
    // A role's condition (roles: [{role, when}]) counts as the unit's own.
    expect(decided).toEqual({ 'on a guess': false, 'on a fact': true, 'on a guess via role': false });
  });
});

describe('speculate: queries (commands that promise to change nothing)', () => {
  const q = (name: string, extra: Partial<Task> = {}) => task(name, 'command', { cmd: `check ${name}` }, { changedWhen: false, ...extra });
  const sent = (cs: SpecCandidate[]) => speculate({ candidates: cs, become: false, max: 100, guessed: new Set() }, ports().ports).map((s) => s.text);

  it('a query that reads the result of a task before it that may change waits for it; one reading a query or nothing rides along', () => {
    const cs = candidates([
      t('current'),
      q('who', { register: 'who' }),
      t('deploy', { register: 'deploy' }),
      q('check deployed', { when: 'deploy is defined' }),
      q('check its output', { params: { cmd: 'check {{ deploy.changed }}' } } as Partial<Task>),
      q('as who', { when: "who.rc == 0" }),
      q('preflight'),
      // A probe may read a guess: it has no side effects, and a wrong guess is a cache miss.
      t('reads deploy', { when: 'deploy.changed' }),
    ]);
    expect(sent(cs)).toEqual(['probe who', 'probe deploy', 'probe as who', 'probe preflight', 'probe reads deploy']);
  });

  it('a query\'s condition is always decided, on the guesses too, and an item whose condition cannot be read yet is left out', () => {
    const cs = candidates([t('current'), q('on a guess', { when: 'login.rc == 0' }), q('on known', { when: 'enabled' })]);
    const { ports: p, decided } = ports();
    const knownOnly: Record<string, boolean | undefined> = {};
    const sections = p.sections;
    p.sections = (c, d, k) => {
      knownOnly[c.unit.task.name] = k;
      return sections(c, d, k);
    };
    const out = speculate({ candidates: cs, become: false, max: 100, guessed: new Set(['login']) }, p);
    expect(out.map((s) => s.text)).toEqual(['probe on a guess', 'probe on known']);
    expect(decided).toEqual({ 'on a guess': true, 'on known': true });
    expect(knownOnly).toEqual({ 'on a guess': true, 'on known': true });
  });

  it('a variable that is a template reading the result counts as reading it', () => {
    const p = play([t('current'), t('deploy', { register: 'deploy' }), q('check', { when: 'deployed' })], { vars: { deployed: '{{ deploy is defined }}' } });
    setVariableTemplates(inventory([]), playbook([p]), {});
    try {
      expect(sent([...candidatesFrom(buildProgram(p, 0, {}), 1, [])])).toEqual(['probe deploy']);
    } finally {
      setVariableTemplates(inventory([]), playbook([]), {});
    }
  });

  it('the task applying in this round trip is not ahead of it: its result is known on the host before the query runs', () => {
    // candidatesFrom(…, 1): unit 0 ('deploy') is the apply this round trip carries first.
    expect(sent(candidates([t('deploy', { register: 'deploy' }), q('check', { when: 'deploy is defined' })]))).toEqual(['probe check']);
  });

  it('a later play\'s query waits for a result registered by an earlier play\'s handler, or by a set_fact that reads one', () => {
    const first = buildProgram(play([t('current')], { handlers: [handler('restart', 'command', { cmd: 'restart' })] }), 0, {});
    first.handlers[0].handler.register = 'restarted';
    const second = buildProgram(
      play([
        task('facts', 'set_fact', { ready: '{{ restarted is defined }}' }),
        q('after restart', { when: 'restarted is defined' }),
        q('ready?', { when: 'ready' }),
        // A set_fact (or include_vars) that reads nothing pending changes no host: no wait.
        task('const', 'set_fact', { osf: 'x' }),
        q('reads const', { when: 'osf' }),
        q('free'),
      ]),
      1,
      {},
    );
    const out = speculate({ candidates: candidatesFrom(first, 1, [second]), running: first, become: false, max: 100, guessed: new Set() }, ports().ports);
    expect(out.map((s) => s.text)).toEqual(['probe facts', 'probe const', 'probe reads const', 'probe free']);
  });
});

describe('guessRegistered', () => {
  it('a query\'s last-run result stands in for it; any other name gets a result that changed nothing', () => {
    const g = guessRegistered(['login', 'conf', 'done'], { done: { changed: true } }, { login: { stdout: 'root', rc: 0 } });
    expect(g.values).toEqual({ login: { stdout: 'root', rc: 0 }, conf: STEADY_RESULT, done: { changed: true } });
    expect([...g.guessed].sort()).toEqual(['conf', 'login']);
  });

  it('a guess has no text: a probe built from a result\'s output cannot render on a guess', () => {
    expect(guessRegistered(['conf'], {}, {}).values.conf).not.toHaveProperty('stdout');
  });
});
