// Everything wrong that needs no host is found before any host is contacted.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { selectHosts } from '../../../src/config/index.js';
import { validateBeforeContact } from '../../../src/engine/preflight.js';
import { ConfigError } from '../../../src/model/errors.js';
import { host, inventory, play, playbook, role, task } from './fixtures.js';
import { loadPlaybook } from '../../../src/config/index.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fleet-preflight-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(fn: () => void): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('validateBeforeContact', () => {
  const inv = inventory([host('h1', { port_var: 8080 })]);

  it("Ansible roles: another OS's include_vars (its when false) does not replace this OS's values; a set_fact from a registered part is checked on the way", () => {
    writeFileSync(join(dir, 'Debian.yml'), 'pkgs: [apache2]\n');
    writeFileSync(join(dir, 'Amazon.yml'), 'pkgs: [mod24_ssl]\nonly_amazon: 1\n');
    const iv = (file: string, when?: string) =>
      task(`vars ${file}`, 'include_vars', { file, search: [dir], names: ['pkgs', 'only_amazon'] }, when ? { when } : {});
    const tasks = [
      iv('Debian.yml'),
      iv('Amazon.yml', "ansible_distribution == 'Amazon'"),
      task('install', 'package', { name: '{{ pkgs }}' }),
      task('version', 'command', { cmd: 'apache2 -v' }, { register: 'v' }),
      task('set', 'set_fact', { ver: "{{ v.stdout.split()[2].split('/')[1] }}" }),
      task('use', 'debug', { msg: "{{ ver.split('.')[1] }} {{ only_amazon }}" }),
    ];
    expect(() => validateBeforeContact({ inventory: inv, playbook: playbook([play(tasks)]), extraVars: {}, selectHosts })).not.toThrow();
    // A typo is still found before contact.
    const typo = [...tasks, task('typo', 'debug', { msg: '{{ pkgz }}' })];
    expect(errorOf(() => validateBeforeContact({ inventory: inv, playbook: playbook([play(typo)]), extraVars: {}, selectHosts })).message).toContain('pkgz');
  });

  it('an undefined variable in a task parameter names the task file and line', () => {
    const t = task('uses typo', 'copy', { dest: '/tmp/x', content: '{{ prot_var }}' });
    const e = errorOf(() => validateBeforeContact({ inventory: inv, playbook: playbook([play([t])]), extraVars: {}, selectHosts }));
    expect(e.file).toBe(t.source.file);
    expect(e.line).toBe(t.source.line);
    expect(e.message).toContain('prot_var');
  });

  it('an undefined variable inside a template file names the template and its line', () => {
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'templates', 'app.conf.hbs'), 'port={{port_var}}\nuser={{app_usr}}\n');
    const t = task('render', 'template', { src: 'app.conf.hbs', dest: '/etc/app.conf' }, { roleDir: dir });
    const e = errorOf(() => validateBeforeContact({ inventory: inv, playbook: playbook([play([t])]), extraVars: {}, selectHosts }));
    expect(e.message).toMatch(/app\.conf\.hbs:2/);
    expect(e.message).toContain('app_usr');
  });

  it('facts and registered results stand in with the right shape, so valid tasks pass', () => {
    const tasks = [
      task('q', 'shell', { cmd: 'echo hi' }, { register: 'out', changedWhen: false }),
      task(
        'use',
        'copy',
        { dest: '/tmp/y', content: '{{out.stdout}} on {{facts.os_id}} {{facts.openssh_version}}' },
        { when: 'out.rc == 0 and facts.cpus > 0' },
      ),
      task('per kind', 'command', { cmd: 'ssh -Q {{item}}' }, { register: 'kinds', changedWhen: false, loop: ['kex', 'mac'] }),
      task('second item', 'copy', { dest: '/tmp/z', content: "{{ kinds.results[1].stdout_lines | join(',') }}" }),
    ];
    expect(() => validateBeforeContact({ inventory: inv, playbook: playbook([play(tasks)]), extraVars: {}, selectHosts })).not.toThrow();
  });

  it('what a task registers or sets is seen by the tasks after it: their parameters are still checked', () => {
    // Each task's variables are built once per host while nothing is set (context-cache.ts):
    // a context kept from before the register would not hold the value, and the task would be
    // left to the run as one that reads a result not known yet (its bad parameter found only
    // on the host).
    writeFileSync(join(dir, 'v.yml'), 'from_file: 1\n');
    const use = (cond: string) => task(`use ${cond}`, 'sysctl', { name: 'net.core.somaxconn', value: '1', state: `{{ 'maybe' if ${cond} else 'present' }}` });
    const out = task('q', 'command', { cmd: 'true' }, { register: 'out', changedWhen: false });
    const cases = [
      [out, use('out.rc == 0')],
      [task('set', 'set_fact', { fixed: 'x' }), use("fixed == 'x'")],
      [out, task('set from out', 'set_fact', { ver: '{{ out.stdout.split()[2] }}' }), use("ver == ''")],
      [task('vars', 'include_vars', { file: 'v.yml', search: [dir], names: ['from_file'] }), use('from_file == 1')],
      [task('users', 'getent', { database: 'passwd' }), use('getent_passwd is defined')],
      [{ ...use('ansible_failed_result.failed'), blocks: [{ id: 'b1', part: 'rescue' as const, hasRescue: true, hasAlways: false }] }],
    ];
    for (const tasks of cases) {
      const pb = playbook([play([task('first', 'command', { cmd: 'true' }), ...tasks])]);
      const e = errorOf(() => validateBeforeContact({ inventory: inv, playbook: pb, extraVars: {}, selectHosts }));
      expect(e.message).toMatch(/invalid parameters for module sysctl: state/);
    }
  });

  it('a role variable of the wrong type is refused, naming the role and the host', () => {
    const r = role('web', [task('noop', 'shell', { cmd: 'true' })], { web_port: 80 });
    r.varsSchema = { type: 'object', properties: { web_port: { type: 'integer', default: 80 } } };
    const bad = inventory([host('h1', { web_port: 'eighty' })]);
    const pb = playbook([play([], { roles: [{ role: r, vars: {}, tags: [] }] })]);
    const e = errorOf(() => validateBeforeContact({ inventory: bad, playbook: pb, extraVars: {}, selectHosts }));
    expect(e.message).toMatch(/role web, variable 'web_port' for host h1/);
    expect(e.file).toBe('roles/web/role.yml');
  });

  it('a module parameter of the wrong type, once rendered, is refused', () => {
    const t = task('bad port', 'sysctl', { name: 'net.core.somaxconn', value: '1024', state: 'maybe' });
    const e = errorOf(() => validateBeforeContact({ inventory: inv, playbook: playbook([play([t])]), extraVars: {}, selectHosts }));
    expect(e.message).toMatch(/state/);
    expect(e.line).toBe(t.source.line);
  });
});

describe("validateBeforeContact: reads of other hosts' variables", () => {
  const inv = inventory([host('h1', { db_port: 5432 }), host('h2')]);
  const check =
    (tasks: ReturnType<typeof task>[], extraVars = {}) =>
    () =>
      validateBeforeContact({ inventory: inv, playbook: playbook([play(tasks)]), extraVars, selectHosts });

  it('a typo in the name read through hostvars is an error at the task, before contact', () => {
    const t = task('uses typo', 'command', { cmd: "echo {{ hostvars['h1'].db_prot }}" });
    const e = errorOf(check([t]));
    expect(e.file).toBe(t.source.file);
    expect(e.line).toBe(t.source.line);
    expect(e.message).toContain("hostvars['h1'].db_prot");
    expect(e.message).toContain("no variable 'db_prot'");
  });

  it('a typo in a when condition through hostvars is found too; a host not in the inventory as well', () => {
    expect(errorOf(check([task('c', 'command', { cmd: 'true' }, { when: "hostvars['h2'].nope == 1" })])).message).toContain('nope');
    expect(errorOf(check([task('d', 'command', { cmd: "echo {{ hostvars['h9'].db_port }}" })])).message).toContain('no host h9');
  });

  it('inventory values, registered results, inventory_var keys, -e and facts read through hostvars pass', () => {
    const tasks = [
      task('q', 'command', { cmd: 'echo hi' }, { register: 'out' }),
      task('w', 'inventory_var', { key: 'admin_user', value: 'x' }),
      task('use', 'command', {
        cmd: "echo {{ hostvars['h1'].db_port }} {{ hostvars['h2'].out.stdout }} {{ hostvars['h2'].admin_user }} {{ hostvars['h1'].extra }} {{ hostvars['h1'].facts.os_id }} {{ hostvars['h1'].inventory_hostname }}",
      }),
      task('dynamic', 'command', { cmd: 'echo {{ hostvars[item].anything }}' }, { loop: ['h1'] }),
    ];
    expect(check(tasks, { extra: 1 })).not.toThrow();
  });

  it('what fleet does not do, on a task that never runs here (a role option left off), passes; where it may run, it is refused at its file:line:col', () => {
    mkdirSync(join(dir, 'roles/r/tasks'), { recursive: true });
    writeFileSync(join(dir, 'site.yml'), '- hosts: all\n  roles: [r]\n');
    writeFileSync(join(dir, 'roles/r/tasks/main.yml'), '- file: {path: /x, state: directory}\n  become_user: app\n  when: keys_wanted is defined\n');
    const pb = loadPlaybook(join(dir, 'site.yml'));
    validateBeforeContact({ inventory: inv, playbook: pb, extraVars: {}, selectHosts });
    const e = errorOf(() => validateBeforeContact({ inventory: inv, playbook: pb, extraVars: { keys_wanted: true }, selectHosts }));
    expect([e.file, e.line, e.column]).toEqual([join(dir, 'roles/r/tasks/main.yml'), 2, 16]);
    expect(e.detail).toContain("'become_user: app' is supported on command and shell tasks only");
  });
});
