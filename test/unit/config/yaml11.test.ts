// YAML 1.1 as Ansible (PyYAML) reads it, in every file fleet shares with Ansible. The expected
// values are what PyYAML 6.0's safe_load returns for the same text (ansible-core 2.14's loader
// resolves plain scalars the same way).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory, loadPlaybook } from '../../../src/config/index.js';
import { parseYaml, toJS } from '../../../src/config/yaml-source.js';
import { setHostVar } from '../../../src/config/inventory-writer.js';
import { readFileSync } from 'node:fs';
import { expectConfigError, tree } from './helpers.js';

const load = (text: string) => toJS(parseYaml('/x.yml', text), parseYaml('/x.yml', text).doc.contents);

describe('YAML 1.1 scalars, as PyYAML resolves them', () => {
  it('booleans: yes/no/on/off in their three spellings; y and n stay strings', () => {
    expect(load('[yes, Yes, YES, no, No, NO, on, On, ON, off, Off, OFF, true, False, y, n, Y, N, yES]')).toEqual([
      true, true, true, false, false, false, true, true, true, false, false, false, true, false, 'y', 'n', 'Y', 'N', 'yES',
    ]);
  });

  it('integers: octal, hex, binary, underscores, base 60; 08 and 0o17 stay strings', () => {
    expect(load('[0644, 0755, 0x1f, 0b101, 1_000, "0644", 1:30, 190:20:30, 08, 0o17, +1]')).toEqual([
      420, 493, 31, 5, 1000, '0644', 90, 685230, '08', '0o17', 1,
    ]);
  });

  it('floats need a dot (and a signed exponent); versions like 1.2.3 stay strings', () => {
    expect(load('[1.5, 3.10, 1.0e+3, 1e3, 1.0e3, .5, 190:20:30.15, 1.2.3, .inf, -.inf]')).toEqual([
      1.5, 3.1, 1000, '1e3', '1.0e3', 0.5, 685230.15, '1.2.3', Infinity, -Infinity,
    ]);
    expect(Number.isNaN(load('.nan'))).toBe(true);
  });

  it('null: ~, null, empty; timestamps stay their text', () => {
    expect(load('{a: ~, b: null, c: , d: 2001-12-14, e: 2001-12-14t21:59:43.10-05:00}')).toEqual({
      a: null, b: null, c: null, d: '2001-12-14', e: '2001-12-14t21:59:43.10-05:00',
    });
  });

  it('merge keys (<<) merge, explicit keys win', () => {
    expect(load('base: &b {user: admin, port: 22}\nhost:\n  <<: *b\n  port: 2222\n')).toEqual({
      base: { user: 'admin', port: 22 },
      host: { user: 'admin', port: 2222 },
    });
  });

  it('an unknown tag is refused with its position, not read as a string', () => {
    expectConfigError(() => parseYaml('/x.yml', 'a: 1\nb: !unsafe "{{ x }}"\n'), '/x.yml', 2, 4, 'unknown YAML tag !unsafe', 'no !unsafe');
    expectConfigError(() => parseYaml('/x.yml', 'a: !foo 1\n'), '/x.yml', 1, 4, 'unknown YAML tag !foo');
  });
});

describe('YAML 1.1 surprises are warned about with file:line:col', () => {
  const warnings = (text: string) => parseYaml('/w.yml', text).warnings;

  it('the Norway problem, booleans in lists, boolean keys', () => {
    const w = warnings('country: NO\ncountries: [SE, no, DK]\non: 1\nenable_tls: no\n');
    expect(w).toEqual([
      expect.stringMatching(/^\/w\.yml:1:10: NO is the boolean false in YAML 1\.1.*quote it \('NO'\)/),
      expect.stringMatching(/^\/w\.yml:2:17: no is the boolean false/),
      expect.stringMatching(/^\/w\.yml:3:1: the key on is the boolean true .*the name becomes "true"/),
    ]);
  });

  it('base 60 and octal outside a mode are warned about; a mode is not', () => {
    const w = warnings('duration: 1:30\nzip: 01234\nmode: 0644\ndir_mode: 0755\nport: 22\nfile_mode: 644\n');
    expect(w).toEqual([
      expect.stringMatching(/^\/w\.yml:1:11: 1:30 is the number 90 in YAML 1\.1 \(base 60\)/),
      expect.stringMatching(/^\/w\.yml:2:6: 01234 is the octal number 668/),
      '/w.yml:6:12: file_mode: 644 is the decimal number 644, which as a file mode is 01204 (as in Ansible); write 0644 for the octal mode',
    ]);
  });

  it('quoted scalars and plain booleans as values say nothing', () => {
    expect(warnings('a: "no"\nb: yes\nc: true\nd: "1:30"\ne: [true, false]\n')).toEqual([]);
  });
});

describe('YAML 1.1 in inventories, vars files and playbooks', () => {
  it('inventory and group_vars: no is false, 0644 is 420; warnings reach the inventory', () => {
    const dir = tree({
      'hosts.yml': 'all:\n  hosts:\n    h1:\n      enable_tls: no\n      ansible_user: admin\n      ansible_become: yes\n      file_mode: 0644\n',
      'group_vars/all.yml': 'backup: off\nwindow: 1:30\n',
    });
    const inv = loadInventory([dir]);
    const h = inv.hosts.get('h1')!;
    expect(h.vars).toMatchObject({ enable_tls: false, file_mode: 420, backup: false, window: 90 });
    expect(h.connection.become).toBe(true);
    expect(inv.warnings).toEqual([expect.stringMatching(/group_vars\/all\.yml:2:9: 1:30 is the number 90/)]);
  });

  it('playbooks and roles: yes/no are booleans; surprises are the playbook\'s warnings', () => {
    const dir = tree({
      'playbooks/site.yml': '- hosts: all\n  become: yes\n  vars: {tls: off, hours: [ON, 1:30]}\n  roles: [r]\n',
      'roles/r/tasks.yml': '- name: t\n  file: {path: /tmp/x, state: directory, mode: 0750}\n  when: no\n',
    });
    const pb = loadPlaybook(join(dir, 'playbooks/site.yml'));
    const play = pb.plays[0];
    expect(play.become).toBe(true);
    expect(play.vars).toEqual({ tls: false, hours: [true, 90] });
    const task = play.roles[0].role.tasks[0];
    expect(task.when).toBe(false);
    expect(task.params.mode).toBe(0o750);
    expect(pb.warnings).toEqual([
      expect.stringMatching(/site\.yml:3:28: ON is the boolean true/),
      expect.stringMatching(/site\.yml:3:32: 1:30 is the number 90/),
    ]);
  });

  it('the inventory writer quotes strings YAML 1.1 would read as something else', () => {
    const dir = tree({ 'hosts.yml': 'all:\n  hosts:\n    h1: {ansible_host: 10.0.0.1}\n' });
    const f = join(dir, 'hosts.yml');
    setHostVar(f, 'h1', 'answer', 'no');
    setHostVar(f, 'h1', 'perm', '0644');
    setHostVar(f, 'h1', 'flag', true);
    expect(readFileSync(f, 'utf8')).toContain(`answer: "no"`);
    const h = loadInventory([f]).hosts.get('h1')!;
    expect(h.vars).toMatchObject({ answer: 'no', perm: '0644', flag: true });
  });
});

describe('file modes in YAML 1.1', () => {
  it('mode: 0644 unquoted reaches the module as 420, which it applies as 0644', async () => {
    const { normaliseMode } = await import('../../../src/modules/lib/mode.js');
    const dir = tree({ 'roles/r/tasks.yml': '- name: t\n  copy: {dest: /tmp/x, content: x, mode: 0644}\n', 'site.yml': '- hosts: all\n  roles: [r]\n' });
    const mode = loadPlaybook(join(dir, 'site.yml')).plays[0].roles[0].role.tasks[0].params.mode;
    expect(mode).toBe(420);
    expect(normaliseMode(mode as number)).toBe('0644');
  });

  it("a quoted mode ('644', '0644', '0o644') stays a string, which is octal (Ansible: int(mode, 8))", async () => {
    const { normaliseMode } = await import('../../../src/modules/lib/mode.js');
    for (const text of ["'644'", '"0644"', "'0o644'"]) {
      const dir = tree({ 'roles/r/tasks.yml': `- name: t\n  copy: {dest: /tmp/x, content: x, mode: ${text}}\n`, 'site.yml': '- hosts: all\n  roles: [r]\n' });
      const mode = loadPlaybook(join(dir, 'site.yml')).plays[0].roles[0].role.tasks[0].params.mode;
      expect(mode).toBe(text.slice(1, -1));
      expect(normaliseMode(mode as string)).toBe('0644');
    }
  });

  it('mode: 644 (a decimal number, 01204 in Ansible) is refused where it is written', () => {
    const dir = tree({ 'roles/r/tasks.yml': '- name: t\n  file: {path: /tmp/x, state: touch, mode: 644}\n', 'site.yml': '- hosts: all\n  roles: [r]\n' });
    expectConfigError(() => loadPlaybook(join(dir, 'site.yml')), join(dir, 'roles/r/tasks.yml'), 2, 44,
      'mode 644 is a decimal number (Ansible would apply it as the mode 01204)', "0644 or '0644'");
  });
});

describe('a YAML 1.1 boolean where a role expects the word', () => {
  it('says to quote it', () => {
    const dir = tree({
      'roles/r/role.yml': 'variables:\n  type: object\n  properties:\n    login: {type: string, enum: ["no", "yes"], default: "no"}\n',
      'roles/r/tasks.yml': '- name: t\n  command: {cmd: "true"}\n',
      'site.yml': '- hosts: all\n  roles: [{role: r, vars: {login: no}}]\n',
    });
    expectConfigError(() => loadPlaybook(join(dir, 'site.yml')), join(dir, 'site.yml'), 2, 35, 'got boolean false (an unquoted yes/no/on/off is a boolean in YAML 1.1, as in Ansible: write "no" in quotes)');
  });
});
