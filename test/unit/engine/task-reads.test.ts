// taskReads follows variables that are templates (D2): what a task waits for and what it can
// decide early must see through `url: "https://{{ domain }}"` to what domain reads.
import { afterEach, describe, expect, it } from 'vitest';
import { followVariables, readsOtherHostsResults, setVariableTemplates, taskReads } from '../../../src/engine/task-reads.js';
import { host, inventory, play, playbook, task } from './fixtures.js';

const show = (refs: { name: string; path: string[] }[]) => [...new Set(refs.map((r) => [r.name, ...r.path].join('.')))].sort();

afterEach(() => setVariableTemplates(inventory([]), playbook([]), {}));

describe('followVariables', () => {
  it('adds what a template variable reads, to any depth, once per name (cycles end)', () => {
    const t = new Map<string, unknown[]>([
      ['url', ['https://{{ domain }}/{{ path | default("") }}']],
      ['domain', ['matrix.{{ base }}']],
      ['a', ['{{ b }}']],
      ['b', ['{{ a }}']],
    ]);
    expect(show(followVariables([{ name: 'url', path: [] }], t))).toEqual(['base', 'domain', 'path', 'url']);
    expect(show(followVariables([{ name: 'a', path: [] }], t))).toEqual(['a', 'b']);
  });

  it("hostvars.H.x, x a template, reads what x reads as host H: H's registered values", () => {
    const t = new Map<string, unknown[]>([['join_cmd', ['docker swarm join --token {{ token.stdout }} {{ hostvars["m1"].ip }}']]]);
    expect(show(followVariables([{ name: 'hostvars', path: ['m2', 'join_cmd'] }], t))).toEqual([
      'hostvars.m1.ip',
      'hostvars.m2.join_cmd',
      'hostvars.m2.token.stdout',
    ]);
  });
});

describe('taskReads through variables', () => {
  it('a task reading a variable that reads hostvars reads hostvars, and waits for a registered value', () => {
    const inv = inventory([host('m1', { token_line: "{{ hostvars['m1'].token.stdout }}" }), host('w1')]);
    const t = task('join', 'command', { cmd: 'join {{ token_line }}' });
    const pb = playbook([play([t])]);
    expect(taskReads({ task: t }).hostvars).toBe(false);
    setVariableTemplates(inv, pb, {});
    const reads = taskReads({ task: t });
    expect(reads.hostvars).toBe(true);
    expect(readsOtherHostsResults(reads, new Set(['token']))).toBe(true);
    expect(readsOtherHostsResults(reads, new Set(['other']))).toBe(false);
  });

  it('a condition reads what its variables read (a guessed registered value is seen through a chain)', () => {
    const t = task('t', 'command', { cmd: 'true' }, { when: 'is_new' });
    setVariableTemplates(inventory([]), playbook([play([t], { vars: { is_new: '{{ probe.rc != 0 }}' } })]), {});
    expect(show(taskReads({ task: t }).when)).toEqual(['is_new', 'probe.rc']);
  });
});
