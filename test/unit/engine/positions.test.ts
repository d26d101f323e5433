// Errors in conditions, templates and host patterns point at the real line and column of
// the file, inside multi-line values too (issue 13: they pointed at the task's start).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory, loadPlaybook, selectHosts } from '../../../src/config/index.js';
import { validateBeforeContact } from '../../../src/engine/preflight.js';
import { ConfigError } from '../../../src/model/errors.js';
import { tree } from '../config/helpers.js';

function errorOf(site: string): ConfigError {
  const dir = tree({ 'playbooks/site.yml': site, 'inventory/hosts.yml': 'all:\n  hosts:\n    h1: {x: 1}\n' });
  try {
    validateBeforeContact({
      inventory: loadInventory([join(dir, 'inventory')]),
      playbook: loadPlaybook(join(dir, 'playbooks/site.yml')),
      extraVars: {},
      selectHosts,
    });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const at = (e: ConfigError) => `${e.line}:${e.column}`;

describe('error positions', () => {
  it('an undefined variable on the 3rd line of a folded `when: >`', () => {
    const e = errorOf(
      '- hosts: all\n  tasks:\n    - name: w\n      command: echo\n      when: >\n        x == 1 and\n        true and\n        nosuch == 1\n',
    );
    expect(at(e)).toBe('8:9');
    expect(e.detail).toContain("undefined variable 'nosuch'");
  });

  it('a syntax error in a literal-block `when: |` points at its line', () => {
    const e = errorOf('- hosts: all\n  tasks:\n    - name: w\n      command: echo\n      when: |\n        x == 1 and\n        (1 + )\n');
    expect(at(e)).toBe('7:14');
    expect(e.detail).toContain("found ')'");
  });

  it('an undefined variable on line 4 of a multi-line template value', () => {
    const e = errorOf(
      '- hosts: all\n  tasks:\n    - name: t\n      copy:\n        dest: /tmp/x\n        content: |\n          one\n          two {{ x }}\n          three {{ nosuch }}\n',
    );
    expect(at(e)).toBe('9:20');
  });

  it('a syntax error in a task that reads hostvars (not renderable before contact) is found anyway', () => {
    const e = errorOf("- hosts: all\n  tasks:\n    - name: w\n      command: echo {{ hostvars['h1'].x }}\n      when: (1 + ) and x\n");
    expect(at(e)).toBe('5:18');
    const e2 = errorOf("- hosts: all\n  tasks:\n    - name: w\n      command: echo {{ hostvars['h1'].x + }}\n");
    expect(e2.line).toBe(4);
  });

  it("a host pattern error points at the play's hosts line", () => {
    const e = errorOf('- name: p\n  become: false\n  hosts: "web:&&db"\n  tasks: []\n');
    expect(at(e)).toBe('3:10');
    expect(e.detail).toContain('host pattern');
  });
});

describe('when as a list (Ansible: every condition must hold)', () => {
  it('loads, and an error in its second item points at that item', () => {
    const ok = '- hosts: all\n  tasks:\n    - name: w\n      command: echo\n      when:\n        - x == 1\n        - true\n';
    const dir = tree({ 'playbooks/site.yml': ok });
    expect(loadPlaybook(join(dir, 'playbooks/site.yml')).plays[0].tasks[0].when).toEqual(['x == 1', true]);
    const e = errorOf('- hosts: all\n  tasks:\n    - name: w\n      command: echo\n      when:\n        - x == 1\n        - nosuch == 2\n');
    expect(at(e)).toBe('7:11');
    expect(e.detail).toContain("undefined variable 'nosuch'");
  });
});
