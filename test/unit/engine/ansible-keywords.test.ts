// Ansible's keywords and controller modules, run by the engine over a local shell transport
// from Ansible-format files: each result is the one Ansible documents for the same task.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPlaybook } from '../../../src/config/index.js';
import { NO_LOG_MSG } from '../../../src/engine/task-event.js';
import { host, inventory } from './fixtures.js';
import { runLocal } from './run-local.js';

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'fleet-ansible-kw-'));
  process.env.XDG_CACHE_HOME = join(base, 'cache');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

/** Runs role `r` (these tasks, handlers and files) on one local host h1. */
async function runRole(tasks: string, files: Record<string, string> = {}, mode: 'apply' | 'check' = 'apply', diff = true) {
  const all = { 'site.yml': '- hosts: all\n  roles: [r]\n', 'roles/r/tasks/main.yml': tasks, ...files };
  for (const [p, content] of Object.entries(all)) {
    mkdirSync(dirname(join(base, 'p', p)), { recursive: true });
    writeFileSync(join(base, 'p', p), content);
  }
  const { recap, tasks: results, sessions } = await runLocal(inventory([host('h1')]), loadPlaybook(join(base, 'p/site.yml')), base, { mode, forks: 1, diff });
  const roundTrips = sessions.get('h1')?.roundTrips;
  return { recap, results, roundTrips, byName: (n: string) => results.find((t) => t.task === n) };
}
const read = (f: string) => readFileSync(join(base, f), 'utf8');

describe('Ansible keywords in the engine', () => {
  it('task and block vars: the task sees them (the task wins over its block), the next task does not', async () => {
    const r = await runRole(
      [
        '- name: b',
        '  vars: {greeting: hello, who: block}',
        '  block:',
        '    - name: inner',
        '      shell: echo "{{ greeting }} {{ who }}" > {{ base }}/a',
        '      vars: {who: task}',
        '- name: after',
        '  shell: echo "{{ greeting | default(\'unset\') }}" > {{ base }}/b',
        '',
      ].join('\n'),
    );
    expect(r.recap.hosts.h1.failed).toBe(0);
    expect(read('a')).toBe('hello task\n');
    expect(read('b')).toBe('unset\n');
  });

  it('a task var is a template, read lazily in the host scope (it may read a registered value)', async () => {
    const r = await runRole(
      '- command: echo 41\n  register: out\n  changed_when: false\n' +
        '- copy: {dest: "{{ base }}/n", content: "{{ answer }}\\n"}\n  vars: {answer: "{{ out.stdout | int + 1 }}"}\n',
    );
    expect(r.recap.hosts.h1.failed).toBe(0);
    expect(read('n')).toBe('42\n');
  });

  it('loop_control index_var: the 0-based position of each item', async () => {
    await runRole('- shell: echo "{{ i }}={{ x }}" >> {{ base }}/l\n  loop: [a, b, c]\n  loop_control: {loop_var: x, index_var: i, label: "{{ x }}"}\n');
    expect(read('l')).toBe('0=a\n1=b\n2=c\n');
  });

  it('with_fileglob: the role files matching the pattern, sorted, dot files left out', async () => {
    await runRole('- shell: basename {{ item }} >> {{ base }}/g\n  with_fileglob: ["*.conf"]\n', {
      'roles/r/files/b.conf': '',
      'roles/r/files/a.conf': '',
      'roles/r/files/.hidden.conf': '',
      'roles/r/files/c.txt': '',
    });
    expect(read('g')).toBe('a.conf\nb.conf\n');
  });

  it('environment: a block and a task give command and shell their variables', async () => {
    await runRole(
      '- environment: {A: from-block, B: b}\n  block:\n    - shell: echo "$A $B" > {{ base }}/e\n      environment: {A: from-task}\n',
    );
    expect(read('e')).toBe('from-task b\n');
  });

  it('become_user: the command runs as that user (runuser), with its HOME; a rendered quote stays text', async () => {
    const r = await runRole(
      [
        '- shell: id -un; echo $HOME; echo "{{ s }}"',
        '  vars: {s: "it\'s"}',
        '  become: true',
        '  become_user: nobody',
        '  register: who',
        '- copy: {dest: "{{ base }}/who", content: "{{ who.stdout }}"}',
        '',
      ].join('\n'),
    );
    expect(r.recap.hosts.h1.failed, JSON.stringify(r.results)).toBe(0);
    expect(read('who')).toBe("nobody\n/nonexistent\nit's");
  });

  it('no_log: the status stays, the message, diff and failure output are hidden', async () => {
    const r = await runRole(
      '- name: secret file\n  copy: {dest: "{{ base }}/s", content: "hunter2\\n"}\n  no_log: true\n' +
        '- name: secret fail\n  shell: echo hunter2 >&2; exit 3\n  no_log: true\n',
    );
    const written = r.byName('secret file')!;
    expect(written.status).toBe('changed');
    expect(written.diff).toBeUndefined();
    const failed = r.byName('secret fail')!;
    expect(failed.status).toBe('failed');
    expect(failed.failure).toMatchObject({ msg: NO_LOG_MSG, rc: 3 });
    expect(JSON.stringify(r.results)).not.toContain('hunter2');
  });

  it('meta: flush_handlers runs the notified handlers there, not at the end of the play', async () => {
    await runRole(
      [
        '- copy: {dest: "{{ base }}/conf", content: "x\\n"}',
        '  notify: h',
        '- meta: flush_handlers',
        '- shell: echo task >> {{ base }}/order',
        '',
      ].join('\n'),
      { 'roles/r/handlers/main.yml': '- name: h\n  shell: echo handler >> {{ base }}/order\n' },
    );
    expect(read('order')).toBe('handler\ntask\n');
  });
});

describe('Ansible controller modules in the engine', () => {
  it('debug msg and var; fail; assert with that/fail_msg/success_msg (Ansible\'s messages)', async () => {
    const r = await runRole(
      [
        '- set_fact: {n: 3, words: [a, b]}',
        '- name: m',
        '  debug: msg="n is {{ n }}"',
        '- name: v',
        '  debug: {var: words}',
        '- name: ok',
        '  assert: {that: ["n == 3", "words | length == 2"], success_msg: fine}',
        '  register: good',
        '- name: bad',
        '  assert: {that: ["n == 3", "n > 5"], fail_msg: "n too small"}',
        '  ignore_errors: true',
        '  register: nope',
        '- copy: {dest: "{{ base }}/r", content: "{{ good.msg }}|{{ nope.assertion }}|{{ nope.evaluated_to }}"}',
        '- name: stop',
        '  fail: msg="stop here"',
        '- name: never',
        '  debug: msg=never',
        '',
      ].join('\n'),
    );
    expect(r.byName('m')).toMatchObject({ status: 'ok', msg: 'n is 3' });
    expect(r.byName('v')?.msg).toBe('words: [\n  "a",\n  "b"\n]');
    expect(r.byName('ok')).toMatchObject({ status: 'ok', msg: 'fine' });
    expect(r.byName('bad')).toMatchObject({ status: 'failed', ignored: true });
    expect(read('r')).toBe('fine|n > 5|False');
    expect(r.byName('stop')).toMatchObject({ status: 'failed', msg: 'stop here' });
    expect(r.byName('never')).toBeUndefined();
  });

  it('stat: exists, isdir/isreg, size, owner, checksum (sha1 by default); a missing path is exists: false only', async () => {
    writeFileSync(join(base, 'f'), 'abc');
    const r = await runRole(
      [
        '- stat: {path: "{{ base }}/f"}',
        '  register: f',
        '- stat: path={{ base }}/missing',
        '  register: m',
        '- stat: {path: "{{ base }}", checksum_algorithm: sha256}',
        '  register: d',
        '- copy:',
        '    dest: "{{ base }}/out"',
        '    content: "{{ f.stat.exists }} {{ f.stat.isreg }} {{ f.stat.size }} {{ f.stat.checksum }} {{ f.stat.pw_name }} {{ m.stat.exists }} {{ d.stat.isdir }} {{ d.stat.checksum is defined }}"',
        '  when: not m.stat.exists',
        '',
      ].join('\n'),
    );
    expect(r.recap.hosts.h1.failed, JSON.stringify(r.results)).toBe(0);
    // sha1("abc") as Python's hashlib gives it.
    expect(read('out')).toBe('True True 3 a9993e364706816aba3e25717850c26c9cd0d89d root False True False');
  });
});

describe('until / retries / delay', () => {
  it('retries until the condition holds, registering attempts (each retry reads the host afresh)', async () => {
    const r = await runRole(
      [
        '- name: count',
        '  shell: echo x >> {{ base }}/c; wc -l < {{ base }}/c',
        '  register: c',
        '  until: c.stdout | int >= 3',
        '  retries: 5',
        '  delay: 0',
        '- copy: {dest: "{{ base }}/attempts", content: "attempts={{ c.attempts }}"}',
        '',
      ].join('\n'),
    );
    expect(r.recap.hosts.h1.failed, JSON.stringify(r.results)).toBe(0);
    expect(read('attempts')).toBe('attempts=3');
  });

  it('a query (changed_when: false) is re-run too, not answered from the probe cache', async () => {
    const r = await runRole(
      '- shell: echo x >> {{ base }}/q; wc -l < {{ base }}/q\n  register: q\n  changed_when: false\n  until: q.stdout == "2"\n  delay: 0\n',
    );
    expect(r.recap.hosts.h1.failed).toBe(0);
    expect(read('q')).toBe('x\nx\n');
  });

  it('fails after retries + 1 attempts (3 without retries), naming the condition', async () => {
    const r = await runRole(
      '- name: never\n  command: "false"\n  register: n\n  until: n.rc == 0\n  retries: 1\n  delay: 0\n  ignore_errors: true\n' +
        '- copy: {dest: "{{ base }}/n", content: "{{ n.attempts }} {{ n.failed }}"}\n' +
        '- name: default\n  shell: echo x >> {{ base }}/d; exit 1\n  register: d\n  until: d is succeeded\n  delay: 0\n',
    );
    expect(r.byName('never')).toMatchObject({ status: 'failed', ignored: true });
    expect(r.byName('never')?.msg).toContain('until (n.rc == 0) still false after 2 attempts');
    expect(read('n')).toBe('2 True');
    expect(read('d')).toBe('x\nx\nx\n');
    expect(r.byName('default')?.status).toBe('failed');
  });
});

describe('the handler runs Ansible makes between pre_tasks, roles and post_tasks', () => {
  it('a handler notified in pre_tasks runs before the roles; one notified by a role, before post_tasks', async () => {
    const files = {
      'site.yml':
        '- hosts: all\n  pre_tasks:\n    - copy: {dest: "{{ base }}/pre", content: "1"}\n      notify: h\n  roles: [r]\n' +
        '  post_tasks:\n    - shell: echo post >> {{ base }}/order\n  handlers:\n    - name: h\n      shell: echo handler >> {{ base }}/order\n',
      'roles/r/handlers/main.yml': '- name: rh\n  shell: echo role-handler >> {{ base }}/order\n',
    };
    await runRole('- shell: echo role >> {{ base }}/order\n  notify: rh\n', files);
    expect(read('order')).toBe('handler\nrole\nrole-handler\npost\n');
  });
});

describe('include_tasks with a file name from variables', () => {
  const files = (os: string) => ({
    'roles/r/defaults/main.yml': `os: ${os}\n`,
    'roles/r/tasks/setup-Debian.yml': '- shell: echo debian >> {{ base }}/os\n',
    'roles/r/tasks/setup-RedHat.yml': '- yum: {name: httpd}\n',
  });
  const tasks = '- include_tasks: "setup-{{ os }}.yml"\n- shell: echo after >> {{ base }}/os\n';

  it('runs the tasks of the file the name renders to on the host, and only those', async () => {
    const r = await runRole(tasks, files('Debian'));
    expect(r.recap.hosts.h1.failed, JSON.stringify(r.results)).toBe(0);
    expect(read('os')).toBe('debian\nafter\n');
  });

  it('a file fleet cannot read fails only on a host that picks it, with the load error', async () => {
    const r = await runRole(tasks, files('RedHat'));
    const failed = r.results.find((t) => t.status === 'failed');
    expect(failed?.msg).toMatch(/setup-RedHat\.yml cannot run in fleet: .*setup-RedHat\.yml:1:3: unknown module 'yum'/);
  });

  it('a name that matches no file fails, naming the candidates', async () => {
    const r = await runRole(tasks, files('Arch'));
    const failed = r.results.find((t) => t.status === 'failed');
    expect(failed?.msg).toMatch(/setup-Arch\.yml not found \(candidates .*: setup-Debian\.yml, setup-RedHat\.yml\)/);
  });
});

describe('check_mode and diff keywords', () => {
  it('check_mode: true in an apply: the task reports the change it would make and makes none; a block passes it on', async () => {
    const r = await runRole(
      '- name: dry\n  copy: {dest: "{{ base }}/f", content: "x\\n"}\n  check_mode: true\n' +
        '- check_mode: yes\n  block:\n    - name: dry2\n      copy: {dest: "{{ base }}/g", content: "x\\n"}\n' +
        '- name: real\n  copy: {dest: "{{ base }}/h", content: "x\\n"}\n',
    );
    expect(r.byName('dry')?.status).toBe('changed');
    expect(r.byName('dry2')?.status).toBe('changed');
    expect(existsSync(join(base, 'f')) || existsSync(join(base, 'g'))).toBe(false);
    expect(read('h')).toBe('x\n');
  });

  it('diff: false hides the diff under --diff; diff: true shows it without --diff (the block passes it on, the task wins)', async () => {
    const tasks =
      '- name: hidden\n  copy: {dest: "{{ base }}/a", content: "x\\n"}\n  diff: false\n' +
      '- diff: true\n  block:\n    - name: shown\n      copy: {dest: "{{ base }}/b", content: "x\\n"}\n    - name: own\n      copy: {dest: "{{ base }}/c", content: "x\\n"}\n      diff: no\n';
    const withDiff = await runRole(tasks);
    expect(withDiff.byName('hidden')?.diff).toBeUndefined();
    expect(withDiff.byName('shown')?.diff).toContain('+x');
    expect(withDiff.byName('own')?.diff).toBeUndefined();
    rmSync(join(base, 'p'), { recursive: true });
    for (const f of ['a', 'b', 'c']) rmSync(join(base, f));
    const without = await runRole(tasks, {}, 'apply', false);
    expect(without.byName('shown')?.diff).toContain('+x');
    expect(without.byName('hidden')?.diff).toBeUndefined();
    expect(without.byName('own')?.diff).toBeUndefined();
  });
});

describe('block/rescue/always (Ansible semantics)', () => {
  const mark = (n: string) => `    - shell: echo ${n} >> {{ base }}/log\n`;
  const top = (n: string) => `- shell: echo ${n} >> {{ base }}/log\n`;
  const log = () => read('log');

  it('a failed task in block: the rest of the block is skipped, rescue runs with ansible_failed_task/_result, always runs, the host goes on', async () => {
    const r = await runRole(
      '- name: b\n  block:\n' +
        mark('one') +
        '    - name: boom\n      command: sh -c "echo out; exit 3"\n' +
        mark('not-reached') +
        '  rescue:\n' +
        '    - shell: echo "rescued {{ ansible_failed_task.name }} rc={{ ansible_failed_result.rc }} {{ ansible_failed_result.stdout }}" >> {{ base }}/log\n' +
        '  always:\n' +
        mark('always') +
        top('after'),
    );
    expect(log()).toBe('one\nrescued boom rc=3 out\nalways\nafter\n');
    expect(r.recap.hosts.h1.failed).toBe(0);
    expect(r.recap.hosts.h1.rescued).toBe(1);
    expect(r.byName('boom')).toMatchObject({ status: 'failed', rescued: true });
    expect(r.recap.failures).toEqual([]);
  });

  it('no failure: the rescue does not run (and is not shown), always does', async () => {
    const r = await runRole('- block:\n' + mark('one') + '  rescue:\n    - name: rescue task\n      shell: echo rescue >> {{ base }}/log\n  always:\n' + mark('always'));
    expect(log()).toBe('one\nalways\n');
    expect(r.byName('rescue task')).toBeUndefined();
    expect(r.recap.hosts.h1.rescued ?? 0).toBe(0);
  });

  it('a failure in the rescue: always still runs, then the host fails and nothing after the block runs', async () => {
    const r = await runRole(
      '- block:\n    - command: "false"\n  rescue:\n    - name: bad rescue\n      command: "false"\n' + mark('rescue-rest') + '  always:\n' + mark('always') + top('after'),
    );
    expect(log()).toBe('always\n');
    expect(r.recap.hosts.h1.failed).toBe(1);
    expect(r.recap.hosts.h1.rescued).toBe(1);
    expect(r.recap.failures.map((f) => f.task)).toEqual(['bad rescue']);
  });

  it('a block without rescue: its always runs, then the host fails; a failure in always skips the rest of it', async () => {
    const a = await runRole('- block:\n    - command: "false"\n' + mark('skipped') + '  always:\n' + mark('always') + top('after'));
    expect(log()).toBe('always\n');
    expect(a.recap.hosts.h1.failed).toBe(1);
    rmSync(join(base, 'log'));
    const b = await runRole('- block:\n' + mark('one') + '  always:\n    - command: "false"\n' + mark('always-rest') + top('after'));
    expect(log()).toBe('one\n');
    expect(b.recap.hosts.h1.failed).toBe(1);
  });

  it('nested: the inner block (no rescue) runs its always, then the outer rescue handles the failure', async () => {
    const r = await runRole(
      '- block:\n    - block:\n        - name: inner\n          command: "false"\n' +
        '      always:\n    ' + mark('inner-always').trimStart().replace(/^/, '    ') +
        mark('outer-rest') +
        '  rescue:\n    - shell: echo "outer rescue {{ ansible_failed_task.name }}" >> {{ base }}/log\n' +
        top('after'),
    );
    expect(log()).toBe('inner-always\nouter rescue inner\nafter\n');
    expect(r.recap.hosts.h1.failed).toBe(0);
  });

  it('ignore_errors in a block: not a failure, the rescue does not run', async () => {
    const r = await runRole('- block:\n    - command: "false"\n      ignore_errors: true\n' + mark('one') + '  rescue:\n' + mark('rescue'));
    expect(log()).toBe('one\n');
    expect(r.recap.hosts.h1.failed).toBe(0);
  });

  it('check mode: a fail in the block runs the rescue, whose change is reported, not made; the host is not failed', async () => {
    const r = await runRole(
      '- block:\n    - fail: {msg: nope}\n  rescue:\n    - name: write\n      copy: {dest: "{{ base }}/f", content: "x\\n"}\n',
      {},
      'check',
    );
    expect(r.byName('write')?.status).toBe('changed');
    expect(existsSync(join(base, 'f'))).toBe(false);
    expect(r.recap.hosts.h1.failed).toBe(0);
    expect(r.recap.hosts.h1.rescued).toBe(1);
  });
});

describe('include_tasks with a loop', () => {
  // robertdebock.users' shape: a file included per user (loop_var), with a block whose rescue
  // takes over when getent does not find the user; each item's block is its own.
  const files = {
    'roles/r/tasks/user.yml': [
      '- name: home of {{ u.name }}',
      '  block:',
      '    - name: look up {{ u.name }}',
      '      getent: {database: passwd, key: "{{ u.name }}", split: ":"}',
      '    - set_fact: {home_base: "{{ ansible_facts[\'getent_passwd\'][u.name][4] | dirname }}"}',
      '  rescue:',
      '    - set_fact: {home_base: /home}',
      '- shell: echo "{{ i }} {{ u.name }} {{ home_base }} {{ getent_passwd[u.name] | default([\'-\'])| first }}" >> {{ base }}/log',
      '',
    ].join('\n'),
  };
  const log = () => read('log');

  it('runs the file once per item, in order, with loop_var and index_var; a rescued item does not stop the next', async () => {
    const r = await runRole(
      '- include_tasks: user.yml\n  loop: "{{ people }}"\n  loop_control: {loop_var: u, index_var: i, label: "{{ u.name }}"}\n  when: people is defined\n',
      { ...files, 'roles/r/defaults/main.yml': 'people: [{name: fleet-no-such-user}, {name: root}]\n' },
    );
    expect(r.recap.hosts.h1, JSON.stringify(r.results)).toMatchObject({ failed: 0, rescued: 1 });
    expect(log()).toBe('0 fleet-no-such-user /home -\n1 root / x\n');
    expect(r.results.filter((t) => t.task.startsWith('look up')).map((t) => [t.status, t.rescued ?? false])).toEqual([
      ['failed', true],
      ['ok', false],
    ]);
  });

  it('a loop its condition leaves undefined runs nothing; a literal list needs no guard', async () => {
    const none = await runRole('- include_tasks: user.yml\n  loop: "{{ people }}"\n  loop_control: {loop_var: u}\n  when: people is defined\n', files);
    expect(none.recap.hosts.h1.failed).toBe(0);
    expect(existsSync(join(base, 'log'))).toBe(false);
    await runRole('- include_tasks: user.yml\n  with_items: [[{name: root}]]\n  loop_control: {loop_var: u, index_var: i}\n', files);
    expect(log()).toBe('0 root / x\n');
  });

  it('a loop known only on the host (facts, registered results) is refused before contact, at the include', async () => {
    await expect(runRole('- include_tasks: user.yml\n  loop: "{{ ansible_facts.all_ipv4_addresses }}"\n  loop_control: {loop_var: u}\n', files)).rejects.toThrow(
      /main\.yml:2:3: 'include_tasks': the loop of an include_tasks must be known before contact/,
    );
  });
});

describe('one round trip on a run that changes nothing', () => {
  it('paths from include_vars and set_fact are known when the first round trip is built', async () => {
    const tasks =
      '- include_vars: paths.yml\n- set_fact: {conf_dir: "{{ base }}/{{ sub }}"}\n  when: conf_dir is not defined\n' +
      '- file: {path: "{{ conf_dir }}", state: directory, mode: "0755"}\n- copy: {dest: "{{ conf_dir }}/{{ name }}", content: "x\\n"}\n' +
      '- stat: {path: "{{ conf_dir }}/{{ name }}"}\n  register: st\n- assert: {that: st.stat.exists}\n';
    const files = { 'roles/r/vars/paths.yml': 'sub: etc\nname: app.conf\n' };
    const first = await runRole(tasks, files);
    expect(first.recap.hosts.h1.failed, JSON.stringify(first.results)).toBe(0);
    expect(read('etc/app.conf')).toBe('x\n');
    const second = await runRole(tasks, files);
    expect(second.recap.hosts.h1).toMatchObject({ changed: 0, failed: 0 });
    expect(second.roundTrips).toBe(1);
  });
});
