// One test per configuration error: each asserts file, line, column and the expected text.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory, loadPlaybook, loadRole } from '../../../src/config/index.js';
import { expectConfigError, tree } from './helpers.js';

const ROLE_YML = `description: r1
variables:
  type: object
  additionalProperties: false
  properties:
    r1_port: {type: integer, default: 1}
handlers:
  - name: restart r1
    service: {name: r1, state: restarted}
`;
const ROLE_TASKS = `- name: r1 file
  file: {path: /etc/r1}
`;

/** A project with playbooks/site.yml = `site` and a valid role r1; returns the playbook path. */
function project(site: string, files: Record<string, string> = {}): string {
  const dir = tree({ 'playbooks/site.yml': site, 'roles/r1/role.yml': ROLE_YML, 'roles/r1/tasks.yml': ROLE_TASKS, ...files });
  return join(dir, 'playbooks/site.yml');
}

describe('playbook errors', () => {
  it('invalid YAML: the parser position', () => {
    const f = project('- hosts: all\n  tasks: [\n    - name: x\n');
    const e = expectConfigError(() => loadPlaybook(f), f, 3, 5, 'invalid YAML');
    expect(e.detail).not.toContain('\n');
  });

  it('a wrong secret parameter or credential URL is refused without showing it', () => {
    // The error was `parameter 'url_password' must be text matching /^[^\n\r]*$/, got string "S3cret\nx"`:
    // printed before any secret was registered for masking.
    const f = project('- hosts: all\n  tasks:\n    - name: g\n      get_url: {url: "http://h/f", dest: /f, url_username: u, url_password: "S3cretPw\\nx"}\n');
    const e = expectConfigError(() => loadPlaybook(f), f, 4, 77, "parameter 'url_password' must be", 'not shown');
    expect(e.message).not.toContain('S3cretPw');
    const g = project('- hosts: all\n  tasks:\n    - name: g\n      get_url: {url: "ftp2://al:UrlS3cret@h/f", dest: /f}\n');
    const e2 = expectConfigError(() => loadPlaybook(g), g, 4, 22, "parameter 'url' must be");
    expect(e2.message).not.toContain('UrlS3cret');
    const roleYml = ROLE_YML.replace('r1_port: {type: integer, default: 1}', 'r1_port: {type: integer, default: 1}\n    r1_db_password: {type: integer, default: 1}');
    const r = project('- hosts: all\n  roles: [{role: r1, vars: {r1_db_password: "hunter2pw"}}]\n', { 'roles/r1/role.yml': roleYml });
    let err: unknown;
    try {
      loadPlaybook(r);
    } catch (x) {
      err = x;
    }
    expect(String((err as Error)?.message)).toContain("'r1_db_password' must be integer");
    expect(String((err as Error)?.message)).not.toContain('hunter2pw');
  });

  it('not a list of plays', () => {
    const f = project('hosts: all\n');
    expectConfigError(() => loadPlaybook(f), f, 1, 1, 'expected a list of plays', 'got a mapping');
  });

  it('unknown play key', () => {
    const f = project('- name: p\n  hsots: all\n');
    expectConfigError(() => loadPlaybook(f), f, 2, 3, "unknown key 'hsots' in play", 'allowed: name, hosts, roles, tasks, handlers, vars, serial, max_fail_percentage, become');
  });

  it('missing hosts', () => {
    const f = project('- name: p\n  roles: [r1]\n');
    expectConfigError(() => loadPlaybook(f), f, 1, 3, "play has no 'hosts'");
  });

  it('wrong type: serial: "abc"', () => {
    const f = project('- hosts: all\n  serial: "abc"\n');
    expectConfigError(() => loadPlaybook(f), f, 2, 11, "'serial' must be a number or a percentage like \"30%\"", 'got the string "abc"');
  });

  it('wrong type: serial list with a bad item', () => {
    const f = project('- hosts: all\n  serial: [1, 0]\n');
    expectConfigError(() => loadPlaybook(f), f, 2, 15, "'serial' must be a number or a percentage");
  });

  it('wrong type: hosts: 3', () => {
    const f = project('- hosts: 3\n');
    expectConfigError(() => loadPlaybook(f), f, 1, 10, "'hosts' must be a host pattern string", 'got number 3');
  });

  it('wrong type: max_fail_percentage', () => {
    const f = project('- hosts: all\n  max_fail_percentage: 150\n');
    expectConfigError(() => loadPlaybook(f), f, 2, 24, "'max_fail_percentage' must be a number from 0 to 100");
  });

  it('unknown task key', () => {
    const f = project('- hosts: all\n  tasks:\n    - name: t\n      file: {path: /x}\n      whne: x\n');
    expectConfigError(() => loadPlaybook(f), f, 5, 7, "unknown task key 'whne'", 'allowed: name, when, notify');
  });

  it('an Ansible-only task key gets a hint', () => {
    const f = project('- hosts: all\n  tasks:\n    - name: t\n      file: {path: "/{{ item }}"}\n      with_items: [a]\n');
    expectConfigError(() => loadPlaybook(f), f, 5, 7, "unknown task key 'with_items' (use loop)");
  });

  it('unknown module', () => {
    const f = project('- hosts: all\n  tasks:\n    - name: t\n      apt: {name: x}\n');
    expectConfigError(() => loadPlaybook(f), f, 4, 7, "unknown module 'apt'", 'known modules:', 'package');
  });

  it('two modules in a task', () => {
    const f = project('- hosts: all\n  tasks:\n    - name: t\n      file: {path: /x}\n      copy: {dest: /y, content: z}\n');
    expectConfigError(() => loadPlaybook(f), f, 5, 7, "two modules, 'file' and 'copy'", 'exactly one module');
  });

  it('no module in a task', () => {
    const f = project('- hosts: all\n  tasks:\n    - name: t\n      when: x\n');
    expectConfigError(() => loadPlaybook(f), f, 3, 7, 'task has no module', 'expected exactly one of');
  });

  it('task without a name', () => {
    const f = project('- hosts: all\n  tasks:\n    - file: {path: /x}\n');
    expectConfigError(() => loadPlaybook(f), f, 3, 7, "task needs a 'name'");
  });

  it('unknown module param', () => {
    const f = project('- hosts: all\n  tasks:\n    - name: t\n      file: {path: /x, mdoe: "0644"}\n');
    expectConfigError(() => loadPlaybook(f), f, 4, 24, "unknown parameter 'mdoe' for module 'file'", 'allowed:', 'mode');
  });

  it('missing required module param', () => {
    const f = project('- hosts: all\n  tasks:\n    - name: t\n      file: {state: absent}\n');
    expectConfigError(() => loadPlaybook(f), f, 4, 7, "module 'file' needs the parameter 'path'");
  });

  it('wrong param type is reported, but a {{ template }} value is not type-checked', () => {
    const bad = project('- hosts: all\n  tasks:\n    - name: t\n      file: {path: /x, force: "sure"}\n');
    expectConfigError(() => loadPlaybook(bad), bad, 4, 31, "parameter 'force' must be boolean");
    const templated = project('- hosts: all\n  tasks:\n    - name: t\n      file: {path: /x, force: "{{ f }}"}\n');
    expect(loadPlaybook(templated).plays[0].tasks[0].params).toEqual({ path: '/x', force: '{{ f }}' });
  });

  it('creates on a module other than command/shell', () => {
    const f = project('- hosts: all\n  tasks:\n    - name: t\n      file: {path: /x}\n      creates: /x\n');
    expectConfigError(() => loadPlaybook(f), f, 5, 7, "'creates' only applies to the command and shell modules");
  });

  it('unknown loop_control key', () => {
    const f = project('- hosts: all\n  tasks:\n    - name: t\n      file: {path: "/{{ item }}"}\n      loop: [a]\n      loop_control: {label: x}\n');
    expectConfigError(() => loadPlaybook(f), f, 6, 22, "unknown key 'label' in loop_control", 'allowed: loop_var');
  });

  it('unknown role', () => {
    const f = project('- hosts: all\n  roles:\n    - r1\n    - nginx\n');
    const roles = join(f, '../../roles');
    expectConfigError(() => loadPlaybook(f, { rolesPath: [roles] }), f, 4, 7, "role 'nginx' not found", `looked in: ${roles}/nginx;`, 'roles there: r1)');
  });

  it('unknown key in a role entry', () => {
    const f = project('- hosts: all\n  roles:\n    - {role: r1, params: {a: 1}}\n');
    expectConfigError(() => loadPlaybook(f), f, 3, 18, "unknown key 'params' in role entry", 'allowed: role, vars, tags, when');
  });

  it('unknown role variable when the role schema forbids extras', () => {
    const f = project('- hosts: all\n  roles:\n    - role: r1\n      vars: {r1_prot: 2}\n');
    expectConfigError(() => loadPlaybook(f), f, 4, 14, "unknown variable 'r1_prot' for role 'r1'", 'allowed: r1_port');
  });

  it('unknown handler in notify (play task)', () => {
    const f = project('- hosts: all\n  roles: [r1]\n  tasks:\n    - name: t\n      file: {path: /x}\n      notify: [restart r1, restrat r1]\n');
    expectConfigError(() => loadPlaybook(f), f, 6, 28, "notify 'restrat r1' names no handler of play 'all'", "'restart r1'");
  });

  it('unknown handler in notify (role task, reported in the role file)', () => {
    const f = project('- hosts: all\n  roles: [r2]\n', {
      'roles/r2/tasks.yml': '- name: t\n  file: {path: /x}\n  notify: gone\n',
    });
    const roleTasks = join(f, '../../roles/r2/tasks.yml');
    expectConfigError(() => loadPlaybook(f), roleTasks, 3, 11, "notify 'gone' names no handler", 'handlers: none');
  });

  it('one Role object is shared by the plays that use it', () => {
    const f = project('- hosts: all\n  roles: [r1]\n- hosts: all\n  roles: [r1]\n');
    const pb = loadPlaybook(f);
    expect(pb.plays[0].roles[0].role).toBe(pb.plays[1].roles[0].role);
  });
});

describe('role errors', () => {
  it('unknown key in role.yml', () => {
    const dir = tree({ 'r/role.yml': 'description: x\nvars: {}\n', 'r/tasks.yml': '[]\n' });
    expectConfigError(() => loadRole(join(dir, 'r')), join(dir, 'r/role.yml'), 2, 1, "unknown key 'vars' in role 'r'", 'allowed: description, variables, handlers');
  });

  it('variables schema that is not a valid JSON Schema', () => {
    const dir = tree({ 'r/role.yml': 'variables:\n  type: object\n  properties:\n    a: {type: strin}\n', 'r/tasks.yml': '[]\n' });
    expectConfigError(() => loadRole(join(dir, 'r')), join(dir, 'r/role.yml'), 4, 15, 'invalid variables schema', "at '/properties/a/type'");
  });

  it('misspelt schema keyword', () => {
    const dir = tree({ 'r/role.yml': 'variables:\n  type: object\n  properties:\n    a: {type: string, defualt: x}\n', 'r/tasks.yml': '[]\n' });
    expectConfigError(() => loadRole(join(dir, 'r')), join(dir, 'r/role.yml'), 4, 23, "unknown JSON Schema keyword 'defualt'");
  });

  it('variables schema that is not an object schema', () => {
    const dir = tree({ 'r/role.yml': 'variables:\n  type: array\n', 'r/tasks.yml': '[]\n' });
    expectConfigError(() => loadRole(join(dir, 'r')), join(dir, 'r/role.yml'), 2, 9, "'variables' must have type: object");
  });

  it('template src missing from the role templates/', () => {
    const dir = tree({ 'r/tasks.yml': '- name: t\n  template: {src: sit.conf.hbs, dest: /etc/x}\n', 'r/templates/site.conf.hbs': 'x' });
    expectConfigError(() => loadRole(join(dir, 'r')), join(dir, 'r/tasks.yml'), 2, 19, "template src 'sit.conf.hbs' not found", 'there: site.conf.hbs');
  });

  it('copy src missing from the role files/', () => {
    const dir = tree({ 'r/tasks.yml': '- name: t\n  copy:\n    src: a.txt\n    dest: /etc/x\n' });
    expectConfigError(() => loadRole(join(dir, 'r')), join(dir, 'r/tasks.yml'), 3, 10, "copy src 'a.txt' not found", 'no files/ directory');
  });

  it('tasks.yml that is not a list', () => {
    const dir = tree({ 'r/tasks.yml': 'name: x\n' });
    expectConfigError(() => loadRole(join(dir, 'r')), join(dir, 'r/tasks.yml'), 1, 1, 'expected a list of tasks', 'got a mapping');
  });
});

describe('inventory errors', () => {
  it('group cycle', () => {
    const dir = tree({ 'inv.yml': 'all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n' });
    expectConfigError(() => loadInventory([join(dir, 'inv.yml')]), join(dir, 'inv.yml'), 7, 13, 'group cycle: a -> b -> a');
  });

  it('group cycle in INI', () => {
    const dir = tree({ 'inv.ini': '[a:children]\nb\n\n[b:children]\na\n' });
    expectConfigError(() => loadInventory([join(dir, 'inv.ini')]), join(dir, 'inv.ini'), 5, 1, 'group cycle: a -> b -> a');
  });

  it('invalid YAML in an inventory', () => {
    const dir = tree({ 'inv.yml': 'all:\n  hosts:\n    a: {x: 1\n' });
    expectConfigError(() => loadInventory([join(dir, 'inv.yml')]), join(dir, 'inv.yml'), 4, 1, 'invalid YAML');
  });

  it('unknown key in a group', () => {
    const dir = tree({ 'inv.yml': 'all:\n  host:\n    a:\n' });
    expectConfigError(() => loadInventory([join(dir, 'inv.yml')]), join(dir, 'inv.yml'), 2, 3, "unknown key 'host' in group 'all'", 'allowed: children, hosts, vars');
  });

  it('hosts as a list', () => {
    const dir = tree({ 'inv.yml': 'all:\n  hosts: [a, b]\n' });
    expectConfigError(() => loadInventory([join(dir, 'inv.yml')]), join(dir, 'inv.yml'), 2, 10, 'hosts must be a mapping of host names');
  });

  it('bad port', () => {
    const dir = tree({ 'inv.yml': 'all:\n  hosts:\n    a: {ansible_port: ssh}\n' });
    expectConfigError(() => loadInventory([join(dir, 'inv.yml')]), join(dir, 'inv.yml'), 3, 9, "host 'a': 'port' must be a number from 1 to 65535");
  });

  it('bad become value in group_vars', () => {
    const dir = tree({ 'inv.yml': 'all:\n  hosts:\n    a:\n', 'group_vars/all.yml': 'user: deploy\nbecome: maybe\n' });
    expectConfigError(() => loadInventory([join(dir, 'inv.yml')]), join(dir, 'group_vars/all.yml'), 2, 1, "'become' must be true or false");
  });

  it('missing inventory file', () => {
    expect(() => loadInventory(['/nonexistent/inv.yml'])).toThrow(/\/nonexistent\/inv.yml: inventory not found/);
  });
});
