// The second front door: Ansible-format roles and playbooks load as fleet tasks, with Ansible's
// module names, parameters and keywords mapped; what fleet cannot do is refused at file:line:col.
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlaybook } from '../../../src/config/index.js';
import type { Task } from '../../../src/model/playbook.js';
import { ansibleFactVars } from '../../../src/engine/ansible-facts.js';
import { buildProgram } from '../../../src/engine/program.js';
import { expectConfigError, tree } from './helpers.js';

/** A role `r` with these tasks (Ansible layout), run by an Ansible-shaped playbook. */
function roleTasks(tasks: string, files: Record<string, string> = {}): Task[] {
  const dir = tree({ 'site.yml': '- hosts: all\n  roles: [r]\n', 'roles/r/tasks/main.yml': tasks, ...files });
  return loadPlaybook(join(dir, 'site.yml')).plays[0].roles[0].role.tasks;
}
function roleError(tasks: string, line: number, column: number, ...text: string[]): void {
  const dir = tree({ 'site.yml': '- hosts: all\n  roles: [r]\n', 'roles/r/tasks/main.yml': tasks });
  expectConfigError(() => loadPlaybook(join(dir, 'site.yml')), join(dir, 'roles/r/tasks/main.yml'), line, column, ...text);
}

describe('Ansible module names and parameters', () => {
  it('apt: update_cache with cache_valid_time refreshes lists older than that; without it, always before an install', () => {
    const [a, b, c] = roleTasks(
      '- apt: {name: [nginx, curl], update_cache: true, cache_valid_time: 600}\n' +
        '- ansible.builtin.apt: {pkg: tor, update_cache: yes, state: latest}\n' +
        '- apt: {name: ntp, state: absent, purge: true}\n',
    );
    expect(a.module).toBe('package');
    expect(a.params).toEqual({
      name: ['nginx', 'curl'],
      state: 'present',
      install_recommends: true,
      update_cache: 'auto',
      cache_valid_time: 600,
    });
    expect(b.params).toEqual({ name: 'tor', state: 'latest', install_recommends: true, update_cache: 'always' });
    expect(c.params).toMatchObject({ name: 'ntp', state: 'absent', purge: true });
  });

  it('hostname and modprobe: a shell guarded by the state Ansible checks, the name in the environment; the guards and checks run in a real shell', () => {
    const [h, m, r] = roleTasks(
      '- hostname: {name: "{{ inventory_hostname }}"}\n- community.general.modprobe: {name: br_netfilter, params: "a=1 b=2"}\n- modprobe: name=dummy state=absent\n',
    );
    expect([h.module, (h.params.environment as Record<string, unknown>).FLEET_HOSTNAME]).toEqual(['shell', '{{ inventory_hostname }}']);
    expect([m.module, m.params.environment]).toEqual(['shell', { FLEET_MODULE: 'br_netfilter', FLEET_MODULE_PARAMS: 'a=1 b=2' }]);
    expect(r.params.cmd).toContain('modprobe -r --');
    const sh = (script: string, env: Record<string, string>) => spawnSync('sh', ['-c', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
    // A name that is not a hostname stops before anything is written.
    const bad = sh(String(h.params.cmd), { FLEET_HOSTNAME: 'x; touch /tmp/pwned' });
    expect([bad.status, bad.stderr]).toEqual([1, 'hostname: invalid name: x; touch /tmp/pwned\n']);
    expect(sh(String(h.params.unless), { FLEET_HOSTNAME: `${hostname()}-not-this` }).status).not.toBe(0);
    expect(sh(String(m.params.cmd), { FLEET_MODULE: '../evil' }).status).toBe(1);
    // A module that is not loaded: present has work to do, absent has none.
    expect(sh(String(m.params.unless), { FLEET_MODULE: 'fleet_no_such_module' }).status).not.toBe(0);
    expect(sh(String(r.params.unless), { FLEET_MODULE: 'fleet_no_such_module' }).status).toBe(0);
    roleError('- modprobe: {name: x, persistent: present}\n', 1, 23, "parameter 'persistent' is not supported", 'modules-load.d');
    roleError('- hostname: {name: x, use: redhat}\n', 1, 13, 'the Debian way');
  });

  it('replace: dest/destfile/name are path; encoding is refused by name', () => {
    const [r] = roleTasks("- replace: {dest: /etc/hosts, regexp: 'old', replace: new}\n");
    expect([r.module, r.params]).toEqual(['replace', { path: '/etc/hosts', regexp: 'old', replace: 'new' }]);
    roleError("- replace: {path: /x, regexp: a, encoding: latin-1}\n", 1, 34, "parameter 'encoding' is not supported", 'UTF-8');
  });

  it('key=value arguments (package: name=iptables state=present) and the old state spellings', () => {
    const [t, u] = roleTasks('- package: name=iptables state=installed\n- service: name=firewall state=restarted\n');
    expect(t.params).toMatchObject({ name: 'iptables', state: 'present' });
    expect(u.module).toBe('service');
    expect(u.params).toEqual({ name: 'firewall', state: 'restarted' });
    expect(t.name).toBe('package'); // no name: Ansible shows the module's
  });

  it("command's free form: creates=/chdir= are taken out of the command text", () => {
    const [t] = roleTasks('- command: >\n    iptables -F\n    creates=/etc/firewall.bash\n');
    expect(t.module).toBe('command');
    expect(t.params).toEqual({ cmd: 'iptables -F', creates: '/etc/firewall.bash' });
    const [s] = roleTasks('- ansible.builtin.shell: "echo {{ x }} > /tmp/y chdir=/tmp"\n');
    expect(s.params).toEqual({ cmd: 'echo {{ x }} > /tmp/y', chdir: '/tmp' });
  });

  it('lineinfile, blockinfile, file, copy, template, systemd, user, sysctl, authorized_key', () => {
    const ts = roleTasks(
      [
        '- lineinfile: {dest: /etc/x, regexp: "^a", line: "a=1", validate: "sshd -T -f %s", mode: "0644"}',
        '- blockinfile: {path: /etc/y, content: "k v", marker: "# {mark} X"}',
        '- file: {name: /srv/d, state: directory, owner: root}',
        '- copy: {content: "hi\\n", dest: /etc/hi}',
        '- systemd_service: {daemon_reload: true}',
        '- ansible.builtin.systemd: {name: tor, enabled: true, state: started}',
        '- user: {name: deploy, groups: "adm,sudo", createhome: yes}',
        '- ansible.posix.sysctl: {name: vm.swappiness, value: 10, sysctl_set: true}',
        '- ansible.posix.authorized_key: {user: root, key: "ssh-ed25519 AAAA a\\nssh-ed25519 BBBB b"}',
      ].join('\n') + '\n',
    );
    expect(ts.map((t) => t.module)).toEqual(['line', 'block', 'file', 'copy', 'command', 'service', 'user', 'sysctl', 'authorized_key']);
    expect(ts[0].params).toMatchObject({ path: '/etc/x', regexp: '^a', line: 'a=1', validate: 'sshd -T -f %s' });
    expect(ts[1].params).toMatchObject({ path: '/etc/y', block: 'k v' });
    expect(ts[2].params).toMatchObject({ path: '/srv/d', state: 'directory' });
    expect(ts[4].params).toEqual({ cmd: 'systemctl daemon-reload' }); // daemon_reload alone: no unit
    expect(ts[5].params).toEqual({ name: 'tor', enabled: true, state: 'started' });
    expect(ts[6].params).toMatchObject({ name: 'deploy', groups: ['adm', 'sudo'], create_home: true });
    expect(ts[7].params).toMatchObject({ name: 'vm.swappiness', value: 10, reload: true });
    expect(ts[8].params).toMatchObject({ key: ['ssh-ed25519 AAAA a', 'ssh-ed25519 BBBB b'] });
  });

  it('an unsupported parameter is an error at its key naming what to do instead', () => {
    roleError('- name: x\n  apt:\n    name: x\n    deb: /tmp/x.deb\n', 4, 5, "apt: parameter 'deb' is not supported", 'dpkg -i');
    roleError('- name: x\n  service: {name: x, state: started, bogus: 1}\n', 2, 38, "service: unknown parameter 'bogus'");
    roleError('- systemd: {name: x, masked: true}\n', 1, 22, "'masked' is not supported");
  });

  it('an unsupported module is an error at its key with what to do instead; a collection must be the right one', () => {
    roleError('- name: v\n  timezone: {name: UTC}\n', 2, 3, "module 'timezone' is not supported", '/etc/localtime');
    roleError('- name: v\n  uri: {url: "http://x"}\n', 2, 3, "module 'uri' is not supported");
    roleError('- ansible.builtin.sysctl: {name: a, value: 1}\n', 1, 3, "unknown module 'ansible.builtin.sysctl'");
    roleError('- frobnicate: {}\n', 1, 3, "unknown module 'frobnicate'");
  });
});

describe('Ansible keywords', () => {
  it('block: its when, tags and become go to each task (as Ansible documents); block is the keyword here', () => {
    const ts = roleTasks(
      '- name: group\n  when: a\n  tags: [t1]\n  become: true\n  block:\n    - command: echo 1\n      when: b\n    - command: echo 2\n      tags: t2\n',
    );
    expect(ts.map((t) => [t.when, t.tags, t.become])).toEqual([
      [['a', 'b'], ['t1'], true],
      [['a'], ['t1', 't2'], true],
    ]);
  });

  it('until/retries/delay are read with their numbers; delegate_to is checked at the keyword', () => {
    const [u] = roleTasks('- command: a\n  register: r\n  until: r.rc == 0\n  retries: "10"\n  delay: 2\n');
    expect([u.until, u.retries, u.delay]).toEqual(['r.rc == 0', 10, 2]);
    roleError('- command: a\n  retries: 3\n', 2, 3, "'retries' without 'until'");
    roleError('- command: a\n  until: x\n  delay: "{{ d }}"\n', 3, 10, "'delay' expects a whole number", 'from a variable');
    roleError('- command: a\n  delegate_to: localhost\n', 2, 3, "add 'become: false'");
    roleError('- debug: {msg: x}\n  delegate_to: other\n', 2, 3, 'only tasks of host modules');
    expect(roleTasks('- command: a\n  delegate_to: "{{ groups.db[0] }}"\n')[0].delegateTo).toBe('{{ groups.db[0] }}');
    // debug/set_fact/assert/fail/include_vars run on the controller anyway: to localhost it is a no-op.
    const [d, f] = roleTasks('- debug: {msg: hi}\n  delegate_to: localhost\n  run_once: true\n- set_fact: {a: 1}\n  delegate_to: 127.0.0.1\n');
    expect([d.module, d.runOnce, f.module, f.params]).toEqual(['debug', true, 'set_fact', { a: 1 }]);
    roleError('- check_mode: false\n  block:\n    - command: a\n', 1, 15, "'check_mode: false' on a block");
    roleError('- copy: {dest: /a, content: x}\n  check_mode: false\n', 2, 15, "'check_mode: false' is supported only");
  });

  it('block/rescue/always: each task knows its blocks (outermost first) and its part; when and tags reach the rescue and always too', () => {
    const ts = roleTasks(
      [
        '- when: x',
        '  tags: [t]',
        '  block:',
        '    - command: a',
        '    - block:',
        '        - command: b',
        '      always:',
        '        - command: c',
        '  rescue:',
        '    - command: d',
        '  always:',
        '    - command: e',
        '- command: f',
        '',
      ].join('\n'),
    );
    const shape = ts.map((t) => [t.params.cmd, (t.blocks ?? []).map((f) => `${f.part}${f.hasRescue ? '+r' : ''}${f.hasAlways ? '+a' : ''}`), t.when ?? null, t.tags]);
    expect(shape).toEqual([
      ['a', ['block+r+a'], ['x'], ['t']],
      ['b', ['block+r+a', 'block+a'], ['x'], ['t']],
      ['c', ['block+r+a', 'always+a'], ['x'], ['t']],
      ['d', ['rescue+r+a'], ['x'], ['t']],
      ['e', ['always+r+a'], ['x'], ['t']],
      ['f', [], null, []],
    ]);
    expect(ts[0].blocks![0].id).toBe(ts[3].blocks![0].id);
    expect(ts[1].blocks![1].id).not.toBe(ts[0].blocks![0].id);
    roleError('- command: a\n  rescue:\n    - command: b\n', 2, 3, "'rescue' without 'block'");
    roleError('- block:\n    - command: a\n  rescue:\n    - command: b\n  until: x\n', 5, 3, "'until' on a block is not supported");
  });

  it('task and block vars: the task wins over its block, nested blocks merge; a bad name is an error at it', () => {
    const [t] = roleTasks('- vars: {a: 1, b: 1}\n  block:\n    - vars: {b: 2, c: "{{ a }}"}\n      block:\n        - command: echo\n          vars: {c: 3}\n');
    expect(t.vars).toEqual({ a: 1, b: 2, c: 3 });
    roleError('- command: a\n  vars: [x]\n', 2, 9, "'vars' expects a mapping");
    roleError('- command: a\n  vars: {"x-y": 1}\n', 2, 10, "'x-y' is not a valid variable name");
  });

  it('become_user: command and shell run through runuser as that user; other modules and become: false as Ansible', () => {
    const [a, b, c, d] = roleTasks(
      '- command: psql -c "select 1"\n  become_user: postgres\n- shell: echo $HOME\n  become: true\n  become_user: app\n' +
        '- command: whoami\n  become: false\n  become_user: app\n- command: id\n  become_user: root\n',
    );
    expect([a.params.cmd, a.become]).toEqual(['runuser -u postgres -- psql -c "select 1"', true]);
    // The script travels in a variable: whatever it renders to, it is never spliced into sh -c.
    expect(b.params).toEqual({ cmd: 'exec runuser -u app -- sh -c "$FLEET_BECOME_USER_SCRIPT"', environment: { FLEET_BECOME_USER_SCRIPT: 'echo $HOME' } });
    expect([c.params.cmd, c.become]).toEqual(['whoami', false]); // Ansible: become_user does nothing without become
    expect(d.params.cmd).toBe('id');
    // Refused only where the task may run (a role's option a play leaves off never does):
    // the task is a failure naming file:line:col, which the checks before contact refuse.
    const [f, g] = roleTasks('- file: {path: /x, state: touch}\n  become_user: app\n- command: id\n  become_user: "{{ u }}"\n');
    expect([f.module, f.refused?.source.line, f.refused?.source.column]).toEqual(['fail', 2, 16]);
    expect(f.refused?.msg).toContain("'become_user: app' is supported on command and shell tasks only");
    expect(f.refused?.msg).toContain('owner');
    expect(String(f.params.msg)).toMatch(/^\{% raw %\}.*main\.yml:2:16: 'become_user: app' is supported/);
    expect([g.module, g.refused?.source.line, g.refused?.msg]).toEqual(['fail', 4, "'become_user' built from variables is not supported: name the user"]);
  });

  it('import_tasks carries run_once to each task; its delegate_to: localhost is dropped on controller modules; loop_control without a loop is ignored, as Ansible does', () => {
    const [a, c] = roleTasks('- import_tasks: checks.yml\n  run_once: true\n  delegate_to: localhost\n- command: id\n  loop_control: {label: x}\n', {
      'roles/r/tasks/checks.yml': '- assert: {that: [x is defined]}\n',
    });
    expect([a.module, a.runOnce, a.delegateTo]).toEqual(['assert', true, undefined]);
    expect([c.loop, c.loopVar]).toEqual([undefined, 'item']);
    roleError('- command: id\n  loop_control: {pause: 1}\n', 2, 18, "loop_control 'pause' is not supported");
  });

  it('include_tasks with a loop: each included task carries it (the engine lays out a copy per item); import_tasks refuses a loop', () => {
    const [t] = roleTasks('- include_tasks: {file: u.yml}\n  loop: "{{ users }}"\n  loop_control: {loop_var: user, index_var: n}\n  when: users is defined\n', {
      'roles/r/tasks/u.yml': '- block:\n    - command: "id {{ user.name }}"\n  rescue:\n    - debug: {msg: none}\n',
    });
    expect(t.includeLoop).toMatchObject({ loop: '{{ users }}', loopVar: 'user', indexVar: 'n', when: ['users is defined'], blocksInside: 1 });
    roleError('- import_tasks: u.yml\n  loop: [1]\n', 2, 3, "'loop' on import_tasks is not supported");
  });

  it('environment reaches command and shell only; no_log takes a boolean', () => {
    const [t] = roleTasks('- command: env\n  environment: {PATH: /bin, N: 1}\n  no_log: yes\n');
    expect(t.params.environment).toEqual({ PATH: '/bin', N: 1 });
    expect(t.noLog).toBe(true);
    roleError('- apt: {name: x}\n  environment: {http_proxy: p}\n', 2, 3, "'environment' reaches command and shell tasks only");
    roleError('- command: env\n  no_log: maybe\n', 2, 11, "'no_log' expects true or false");
    // From a variable: hidden, whatever it says (decided at load, on the safe side).
    expect(roleTasks('- command: env\n  no_log: "{{ x_no_log }}"\n')[0].noLog).toBe(true);
  });

  it('with_fileglob is listed at load; a templated pattern or a wildcard directory is refused', () => {
    const [t] = roleTasks('- command: cat {{ item }}\n  with_fileglob: "*.j2"\n', { 'roles/r/files/x.j2': '', 'roles/r/files/y.txt': '' });
    expect(t.loop).toEqual([expect.stringMatching(/roles\/r\/files\/x\.j2$/)]);
    roleError('- command: cat {{ item }}\n  with_fileglob: "{{ d }}/*"\n', 2, 18, 'built from variables');
    roleError('- command: cat {{ item }}\n  with_fileglob: "*/x"\n', 2, 18, 'wildcards in directory names');
  });

  it('debug, assert, fail, stat, meta: flush_handlers map onto controller actions with Ansible\'s parameters', () => {
    const [a, b, c, d, e] = roleTasks(
      '- debug: var=x\n- assert: {that: "x > 1", msg: too small}\n- fail: msg=stop\n- stat: {dest: /etc/x, checksum_algo: sha256, get_mime: false}\n- meta: flush_handlers\n',
    );
    expect([a.module, a.params]).toEqual(['debug', { var: 'x', value: '{{ x }}' }]);
    expect([b.module, b.params]).toEqual(['assert', { fail_msg: 'too small', that: [{ cond: 'x > 1', result: '{% if (x > 1) %}True{% else %}False{% endif %}' }] }]);
    expect([c.module, c.params]).toEqual(['fail', { msg: 'stop' }]);
    expect([d.module, d.params]).toEqual(['stat', { path: '/etc/x', checksum_algorithm: 'sha256' }]);
    expect([e.module, e.params]).toEqual(['flush_handlers', {}]);
    roleError('- stat: {path: /x, get_mime: true}\n', 1, 9, 'get_mime', 'mime types');
    roleError('- meta: end_play\n', 1, 9, 'meta: end_play is not supported', 'when');
    roleError('- debug: {msg: a, var: b}\n', 1, 10, 'mutually exclusive');
  });

  it("in fleet's own format, a block: with a list says where the keyword works", () => {
    const dir = tree({ 'playbooks/site.yml': '- hosts: all\n  tasks:\n    - name: b\n      block:\n        - command: x\n' });
    expectConfigError(
      () => loadPlaybook(join(dir, 'playbooks/site.yml')),
      join(dir, 'playbooks/site.yml'),
      5,
      9,
      "Ansible's block keyword",
    );
  });

  it('import_tasks / include_tasks are read at load, with their when and tags on each task', () => {
    const ts = roleTasks('- import_tasks: a.yml\n  when: x\n- include_tasks: {file: b.yml}\n  tags: bt\n', {
      'roles/r/tasks/a.yml': '- command: echo a\n  when: y\n',
      'roles/r/tasks/b.yml': '- command: echo b\n',
    });
    expect(ts.map((t) => [t.params.cmd, t.when, t.tags])).toEqual([
      ['echo a', ['x', 'y'], []],
      ['echo b', undefined, ['bt']],
    ]);
    roleError('- include_tasks: "{% if a %}x{% endif %}.yml"\n', 1, 18, 'built with {% %}');
    roleError('- include_tasks: "{{ d }}/main.yml"\n', 1, 18, 'a directory from variables');
    roleError('- include_tasks: missing.yml\n', 1, 18, 'file not found');
  });

  it('include_role / import_role: expanded at load into the role\'s tasks, in its scope; what fleet cannot do is refused at the option', () => {
    const dir = tree({
      'site.yml': '- hosts: all\n  roles: [r]\n',
      'roles/r/tasks/main.yml': '- import_role: {name: lib, tasks_from: t}\n  tags: x\n  when: a\n',
      'roles/lib/tasks/t.yml': '- command: echo lib\n  when: b\n',
    });
    const play = loadPlaybook(join(dir, 'site.yml')).plays[0];
    const [t] = play.roles[0].role.tasks;
    expect([t.params.cmd, t.when, t.tags, t.role, t.roleRef?.role.name]).toEqual(['echo lib', ['a', 'b'], ['x'], 'lib', 'lib']);
    const unit = buildProgram(play, 0, {}).units[0];
    // The included role's scope, with the listing role's variables below it.
    expect([unit.roleRef?.role.name, unit.roleRef?.outer?.role.name]).toEqual(['lib', 'r']);
    roleError('- include_role: {name: lib, apply: {tags: x}}\n', 1, 29, "'apply' is not supported");
    roleError('- include_role: {name: lib, public: true}\n', 1, 37, "'public: true' is not supported");
    roleError('- include_role: {name: "{{ which }}"}\n', 1, 24, 'from a variable is not supported');
    roleError('- include_role: {name: lib, bogus: 1}\n', 1, 29, "unknown option 'bogus'");
    roleError('- include_role: {tasks_from: x}\n', 1, 17, "has no 'name'");
    roleError('- include_role: {name: lib}\n  environment: {A: b}\n', 2, 3, "'environment' on a include_role is not supported");
    roleError('- include_role: {name: nope}\n', 1, 3, "role 'nope' not found");
    const cyc = tree({
      'site.yml': '- hosts: all\n  roles: [r]\n',
      'roles/r/tasks/main.yml': '- include_role: {name: lib}\n',
      'roles/lib/tasks/main.yml': '- include_role: {name: r}\n',
      'roles/lib/tasks/t.yml': '- command: echo\n',
    });
    expectConfigError(() => loadPlaybook(join(cyc, 'site.yml')), join(cyc, 'roles/lib/tasks/main.yml'), 1, 3, 'role cycle', '->');
    const missing = tree({
      'site.yml': '- hosts: all\n  gather_facts: false\n  tasks: [{include_role: {name: lib, tasks_from: nope}}]\n',
      'roles/lib/tasks/main.yml': '- command: echo\n',
    });
    expectConfigError(() => loadPlaybook(join(missing, 'site.yml')), join(missing, 'site.yml'), 3, 12, "tasks_from 'nope': no such file");
  });

  it('an include cycle is an error naming the chain', () => {
    const dir = tree({
      'site.yml': '- hosts: all\n  roles: [r]\n',
      'roles/r/tasks/main.yml': '- import_tasks: a.yml\n',
      'roles/r/tasks/a.yml': '- import_tasks: main.yml\n',
    });
    expectConfigError(() => loadPlaybook(join(dir, 'site.yml')), join(dir, 'roles/r/tasks/a.yml'), 1, 17, 'includes', '->');
  });

  it('with_items flattens one level, with_dict gives key/value items; loop_control label is display only', () => {
    const [a, b, c, d] = roleTasks(
      '- command: echo {{ item }}\n  with_items: [[1, 2], 3]\n- command: echo\n  with_items: "{{ xs }}"\n- command: echo {{ item.key }}\n  with_dict: {a: 1}\n' +
        '- command: echo {{ p }}\n  loop: [1]\n  loop_control: {loop_var: p, label: "{{ p }}"}\n',
    );
    expect(a.loop).toEqual([1, 2, 3]);
    expect(b.loop).toBe('{{ ( xs ) | flatten(levels=1) }}');
    expect(c.loop).toEqual([{ key: 'a', value: 1 }]);
    expect(d.loopVar).toBe('p');
    roleError('- command: echo\n  loop: [1]\n  loop_control: {pause: 1}\n', 3, 18, "loop_control 'pause' is not supported");
    const [i] = roleTasks('- command: echo\n  loop: [1]\n  loop_control: {index_var: idx}\n');
    expect(i.indexVar).toBe('idx');
  });

  it('check_mode: false is taken only where fleet runs the task in check mode too (a command with changed_when: false)', () => {
    const [t] = roleTasks('- command: yum list installed x\n  register: r\n  changed_when: false\n  check_mode: false\n');
    expect(t.changedWhen).toBe(false);
    roleError('- command: touch /x\n  check_mode: false\n', 2, 15, 'check_mode: false');
  });
});

describe('Ansible role layout and playbook shape', () => {
  it('vars/main.yml, handlers, meta dependencies run first and once per play for the same parameters', () => {
    const dir = tree({
      'site.yml': '- hosts: all\n  roles: [app, web]\n',
      'roles/common/tasks/main.yml': '- command: echo common\n',
      'roles/app/tasks/main.yml': '- command: echo app\n  notify: restart app\n',
      'roles/app/handlers/main.yml': '- name: restart app\n  service: name=app state=restarted\n',
      'roles/app/vars/main.yml': 'app_port: 80\n',
      'roles/app/meta/main.yml': 'dependencies:\n  - common\n',
      'roles/web/tasks/main.yml': '- command: echo web\n',
      'roles/web/meta/main.yml': 'dependencies:\n  - role: common\n  - {role: common, common_x: 2}\n',
    });
    const play = loadPlaybook(join(dir, 'site.yml')).plays[0];
    expect(play.roles.map((r) => [r.role.name, r.vars])).toEqual([
      ['common', {}],
      ['app', {}],
      ['common', { common_x: 2 }],
      ['web', {}],
    ]);
    expect(play.roles[1].role.vars).toEqual({ app_port: 80 });
    expect(play.roles[1].role.handlers[0].listen).toEqual(['restart app']);
  });

  it('pre_tasks run before the roles, post_tasks after the tasks; roles_path comes from ansible.cfg', () => {
    const dir = tree({
      'ansible.cfg': '[defaults]\nroles_path = ./vendor/roles:./other\n',
      'site.yml':
        '- hosts: all\n  gather_facts: false\n  pre_tasks: [{command: echo pre}]\n  roles: [{role: r, r_x: 1}]\n  tasks: [{command: echo task}]\n  post_tasks: [{command: echo post}]\n',
      'vendor/roles/r/tasks/main.yml': '- command: echo role\n',
    });
    const play = loadPlaybook(join(dir, 'site.yml')).plays[0];
    expect(play.roles[0].vars).toEqual({ r_x: 1 });
    // Ansible runs the notified handlers after pre_tasks and before post_tasks: so does fleet.
    const order = buildProgram(play, 0, { tags: ['sometag'] }).units.map((u) => u.task.params.cmd ?? u.task.module);
    expect(order).toEqual(['flush_handlers', 'flush_handlers']); // they run whatever --tags selects
    const all = buildProgram(play, 0, {}).units.map((u) => u.task.params.cmd ?? u.task.module);
    expect(all).toEqual(['echo pre', 'flush_handlers', 'echo role', 'echo task', 'flush_handlers', 'echo post']);
  });

  it('import_playbook reads the plays of another file in place; a cycle is an error', () => {
    const dir = tree({
      'site.yml': '- import_playbook: a.yml\n- hosts: web\n  tasks: [{command: echo}]\n',
      'a.yml': '- hosts: db\n  tasks: [{apt: {name: x}}]\n',
      'loop.yml': '- import_playbook: loop.yml\n',
    });
    expect(loadPlaybook(join(dir, 'site.yml')).plays.map((p) => p.hosts)).toEqual(['db', 'web']);
    expectConfigError(() => loadPlaybook(join(dir, 'loop.yml')), join(dir, 'loop.yml'), 1, 20, 'imports');
  });

  it('play keys fleet does not run are refused by name', () => {
    const dir = tree({ 'site.yml': '- hosts: all\n  gather_facts: no\n  strategy: free\n  tasks: []\n' });
    expectConfigError(() => loadPlaybook(join(dir, 'site.yml')), join(dir, 'site.yml'), 3, 3, "play key 'strategy' is not supported");
  });
});

describe('Ansible facts', () => {
  it("fleet's facts under Ansible's names, both spellings", () => {
    const v = ansibleFactVars({
      os_id: 'debian',
      os_version: '12',
      os_codename: 'bookworm',
      arch: 'x86_64',
      hostname: 'h',
      init: 'systemd',
      addresses: ['10.0.0.2', 'fe80::1'],
      memory_mb: 512,
      cpus: 2,
    });
    expect(v).toMatchObject({
      ansible_os_family: 'Debian',
      ansible_distribution: 'Debian',
      ansible_distribution_major_version: '12',
      ansible_service_mgr: 'systemd',
      ansible_system: 'Linux',
    });
    expect(v.ansible_facts).toMatchObject({ os_family: 'Debian', distribution_release: 'bookworm', all_ipv4_addresses: ['10.0.0.2'] });
    expect(ansibleFactVars({ os_id: 'ubuntu', os_version: '24.04' })).toMatchObject({
      ansible_distribution: 'Ubuntu',
      ansible_os_family: 'Debian',
      ansible_distribution_major_version: '24',
    });
  });
});

describe('set_fact and include_vars', () => {
  it('set_fact takes any variable name; include_vars knows its search path and every name its candidate files define', () => {
    const [inc, sf] = roleTasks(
      '- include_vars: "{{ ansible_facts.os_family }}.yml"\n- set_fact:\n    u: "{{ __u }}"\n  when: u is not defined\n',
      {
        'roles/r/vars/Debian.yml': '__u: memcache\nconf: /etc/memcached.conf\n',
        'roles/r/vars/RedHat.yml': '__u: memcached\nother: 1\n',
      },
    );
    expect(inc.module).toBe('include_vars');
    expect(inc.params.file).toBe('{{ ansible_facts.os_family }}.yml');
    expect([...(inc.params.names as string[])].sort()).toEqual(['__u', 'conf', 'other']);
    expect(sf.module).toBe('set_fact');
    expect(sf.params).toEqual({ u: '{{ __u }}' });
    roleError('- set_fact: {a: 1, cacheable: true}\n', 1, 20, "'cacheable' is not supported");
    roleError('- include_vars: {file: a.yml, dir: vars}\n', 1, 31, "'dir' is not supported");
  });

  it('apt: update_cache alone refreshes lists older than cache_valid_time, as a guarded command', () => {
    const [t] = roleTasks('- apt: update_cache=yes cache_valid_time=86400\n');
    expect(t.module).toBe('shell');
    expect(t.params.cmd).toContain('apt-get update');
    expect(String(t.params.unless)).toContain('-le 86400');
  });

  it('the vendored geerlingguy.memcached loads unchanged (include_vars, set_fact, key=value booleans)', () => {
    const pb = loadPlaybook(join(__dirname, '../../fixtures/ansible/memcached.yml'));
    const tasks = pb.plays[0].roles[0].role.tasks;
    expect(tasks.map((t) => t.module)).toEqual(['include_vars', 'set_fact', 'shell', 'package', 'template', 'service']);
    expect(tasks[5].params).toEqual({ name: 'memcached', state: 'started', enabled: true });
  });

  it('the vendored geerlingguy.apache-php-fpm loads unchanged: its meta dependency geerlingguy.apache first, each with its own role', () => {
    const pb = loadPlaybook(join(__dirname, '../../fixtures/ansible/apache.yml'));
    const refs = pb.plays[0].roles;
    expect(refs.map((r) => r.role.name)).toEqual(['geerlingguy.apache', 'geerlingguy.apache-php-fpm']);
    expect(refs[1].role.tasks.map((t) => [t.module, t.params.state])).toEqual([['file', 'link']]);
    // The SSL check's no_log comes from a variable: hidden.
    expect(refs[0].role.tasks.find((t) => t.name === 'Check whether certificates defined in vhosts exist.')?.noLog).toBe(true);
  });
});
