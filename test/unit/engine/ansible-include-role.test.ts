// include_role / import_role (Ansible's documented semantics) run by the engine over the local
// shell transport: the role's tasks in its own variable scope, tasks_from/vars_from/
// defaults_from/handlers_from, its handlers, its meta dependencies, the include's keywords.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPlaybook } from '../../../src/config/index.js';
import { host, inventory } from './fixtures.js';
import { runLocal } from './run-local.js';

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'fleet-include-role-'));
  process.env.XDG_CACHE_HOME = join(base, 'cache');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

async function runFiles(files: Record<string, string>, mode: 'apply' | 'check' = 'apply') {
  for (const [p, content] of Object.entries({ 'ansible.cfg': '[defaults]\n', ...files })) {
    mkdirSync(dirname(join(base, 'p', p)), { recursive: true });
    writeFileSync(join(base, 'p', p), content);
  }
  const { recap, tasks } = await runLocal(inventory([host('h1')]), loadPlaybook(join(base, 'p/site.yml')), base, { mode, forks: 1 });
  return { recap, tasks };
}
const read = (f: string) => readFileSync(join(base, f), 'utf8');

/** A role `lib` whose tasks append to {{ base }}/out what they see. */
const LIB = {
  'roles/lib/defaults/main.yml': 'lib_greeting: hello\nlib_who: default\n',
  'roles/lib/tasks/main.yml': '- shell: echo "main {{ lib_greeting }} {{ lib_who }}" >> {{ base }}/out\n',
  'roles/lib/tasks/other.yml': '- shell: echo "other {{ lib_greeting }} {{ lib_who }}" >> {{ base }}/out\n',
  'roles/lib/vars/alt.yml': 'lib_greeting: salut\n',
  'roles/lib/defaults/alt.yml': 'lib_greeting: hi\nlib_who: alt-default\n',
};

describe('include_role / import_role', () => {
  it("runs the role's tasks with its defaults; the include's vars win over them; the play does not see them after", async () => {
    const r = await runFiles({
      ...LIB,
      'site.yml': [
        '- hosts: all',
        '  tasks:',
        '    - include_role: {name: lib}',
        '    - import_role: {name: lib}',
        '      vars: {lib_who: include}',
        '    - shell: echo "after {{ lib_greeting | default(\'unset\') }}" >> {{ base }}/out',
        '',
      ].join('\n'),
    });
    expect(r.recap.hosts.h1.failed).toBe(0);
    expect(read('out')).toBe('main hello default\nmain hello include\nafter unset\n');
  });

  it('tasks_from, vars_from and defaults_from read those files of the role instead of main', async () => {
    await runFiles({
      ...LIB,
      'site.yml':
        '- hosts: all\n  tasks:\n    - include_role: {name: lib, tasks_from: other}\n    - include_role: {name: lib, tasks_from: other.yml, vars_from: alt}\n    - include_role: {name: lib, tasks_from: other, defaults_from: alt}\n',
    });
    expect(read('out')).toBe('other hello default\nother salut default\nother hi alt-default\n');
  });

  it("the include's when holds for each task (import: checked per task, as Ansible's static import)", async () => {
    const r = await runFiles({
      ...LIB,
      'roles/lib/tasks/flag.yml': '- set_fact: {flag: false}\n- shell: echo second >> {{ base }}/out\n',
      'site.yml':
        '- hosts: all\n  vars: {flag: true}\n  tasks:\n    - import_role: {name: lib, tasks_from: flag}\n      when: flag\n    - include_role: {name: lib}\n      when: false\n',
    });
    expect(r.recap.hosts.h1.failed).toBe(0);
    // The first task made `flag` false: the second task of the import is skipped.
    expect(() => read('out')).toThrow();
    expect(r.tasks.filter((t) => t.status === 'skipped').length).toBe(2);
  });

  it("the included role's handlers: notified by its tasks, run at the end of the play; handlers_from picks the file", async () => {
    await runFiles({
      'roles/svc/tasks/main.yml': '- shell: echo task >> {{ base }}/out\n  notify: restart svc\n',
      'roles/svc/handlers/main.yml': '- name: restart svc\n  shell: echo "handler {{ svc_name }}" >> {{ base }}/out\n',
      'roles/svc/handlers/alt.yml': '- name: restart svc\n  shell: echo "alt handler" >> {{ base }}/out\n',
      'roles/svc/defaults/main.yml': 'svc_name: svc-default\n',
      'site.yml':
        '- hosts: all\n  tasks:\n    - include_role: {name: svc}\n    - shell: echo last >> {{ base }}/out\n- hosts: all\n  tasks:\n    - include_role: {name: svc, handlers_from: alt}\n',
    });
    expect(read('out')).toBe('task\nlast\nhandler svc-default\ntask\nalt handler\n');
  });

  it("an included role's meta dependencies run before it; the included role sees the including role's variables, not the other way round", async () => {
    await runFiles({
      'roles/base/tasks/main.yml': '- shell: echo "base {{ base_x }}" >> {{ base }}/out\n',
      'roles/base/defaults/main.yml': 'base_x: 1\n',
      'roles/mid/meta/main.yml': 'dependencies:\n  - {role: base, base_x: 2}\n',
      'roles/mid/tasks/main.yml': '- shell: echo "mid {{ outer_v }} {{ mid_v }}" >> {{ base }}/out\n',
      'roles/mid/defaults/main.yml': 'mid_v: m\n',
      'roles/outer/vars/main.yml': 'outer_v: o\n',
      'roles/outer/tasks/main.yml': '- include_role: {name: mid}\n- shell: echo "outer {{ mid_v | default(\'unset\') }}" >> {{ base }}/out\n',
      'site.yml': '- hosts: all\n  roles: [outer]\n',
    });
    expect(read('out')).toBe('base 2\nmid o m\nouter unset\n');
  });

  it('a role included twice in a row runs twice, each time with its own block state', async () => {
    const r = await runFiles({
      'roles/b/tasks/main.yml':
        '- block:\n    - shell: echo "try {{ n }}" >> {{ base }}/out\n    - fail: {msg: boom}\n      when: n == 1\n  rescue:\n    - shell: echo "rescued {{ n }}" >> {{ base }}/out\n',
      'site.yml': '- hosts: all\n  tasks:\n    - include_role: {name: b}\n      vars: {n: 1}\n    - include_role: {name: b}\n      vars: {n: 2}\n',
    });
    expect(r.recap.hosts.h1.failed).toBe(0);
    expect(read('out')).toBe('try 1\nrescued 1\ntry 2\n');
  });

  it('include_vars: a value holding {{ }} is a template, read in the host scope (after the play var it names)', async () => {
    const r = await runFiles({
      'roles/v/vars/Debian.yml': 'v_line: "Listen {{ v_port }}"\nv_items:\n  - line: "{{ v_port + 1 }}"\n',
      'roles/v/tasks/main.yml': '- include_vars: Debian.yml\n- shell: echo "{{ v_line }} {{ v_items[0].line }}" >> {{ base }}/out\n',
      'site.yml': '- hosts: all\n  vars: {v_port: 8080}\n  roles: [v]\n',
    });
    expect(r.recap.hosts.h1.failed).toBe(0);
    expect(read('out')).toBe('Listen 8080 8081\n');
  });
});
