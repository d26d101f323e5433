import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlaybook, loadRole } from '../../../src/config/index.js';
import { FIXTURES } from './helpers.js';

const PROJECT = join(FIXTURES, 'project');
const SITE = join(PROJECT, 'playbooks/site.yml');

describe('loadPlaybook', () => {
  const pb = loadPlaybook(SITE);
  const [base, rolling] = pb.plays;

  it('reads every play with its keys', () => {
    expect(pb.file).toBe(SITE);
    expect(pb.plays).toHaveLength(2);
    expect(base).toMatchObject({ name: 'base', hosts: 'all', become: true, vars: { motd: 'hello' } });
    expect(base.source).toEqual({ file: SITE, line: 2, column: 3 });
    expect(rolling).toMatchObject({ name: 'webservers:!web03', hosts: 'webservers:!web03', serial: [1, '30%'], maxFailPercentage: 25 });
    expect(rolling.become).toBeUndefined();
  });

  it('finds roles in <playbook dir>/../roles, as names or {role, vars, tags, when}', () => {
    expect(base.roles.map((r) => r.role.name)).toEqual(['legacy', 'web']);
    const web = base.roles[1];
    expect(web.vars).toEqual({ web_port: 8080 });
    expect(web.tags).toEqual(['web', 'http']);
    expect(web.when).toBe("inventory_hostname != 'bastion'");
    expect(web.role.dir).toBe(join(PROJECT, 'roles/web'));
    expect(base.roles[0]).toMatchObject({ vars: {}, tags: [] });
  });

  it('reads play tasks: module, raw params, notify list, role ""', () => {
    const t = base.tasks[0];
    expect(t).toMatchObject({
      name: 'write the motd', module: 'copy', params: { dest: '/etc/motd', content: '{{ motd }}\n' },
      notify: ['restart web', 'motd changed'], tags: [], loopVar: 'item', ignoreErrors: false, runOnce: false, role: '',
    });
    expect(t.source).toEqual({ file: SITE, line: 15, column: 7 });
    expect(t.roleDir).toBeUndefined();
  });

  it('reads command shorthand, loop + loop_var, changed_when, register, comma tags, creates, run_once', () => {
    const [check, once] = rolling.tasks;
    expect(check).toMatchObject({
      module: 'command', params: { cmd: 'curl -fsS http://localhost/{{ site }}' }, loop: ['a', 'b'], loopVar: 'site',
      changedWhen: false, register: 'curl_out', tags: ['check', 'smoke'],
    });
    expect(once).toMatchObject({ module: 'shell', params: { cmd: 'date > /tmp/stamp', chdir: '/tmp' }, creates: '/tmp/stamp', runOnce: true, ignoreErrors: true });
  });

  it('reads play handlers with listen names', () => {
    expect(base.handlers[0]).toMatchObject({ name: 'note motd', listen: ['note motd', 'motd changed'], module: 'command', role: '' });
  });
});

describe('loadRole', () => {
  it('fleet layout: description, schema defaults, tasks with role and roleDir, handlers with listen', () => {
    const dir = join(PROJECT, 'roles/web');
    const role = loadRole(dir);
    expect(role.name).toBe('web');
    expect(role.description).toBe('A small web server.');
    expect(role.defaults).toEqual({ web_port: 80, web_root: '/var/www', web_tls: { enabled: false } });
    expect((role.varsSchema.properties as Record<string, unknown>).web_sites).toEqual({ type: 'array', items: { type: 'string' } });
    expect(role.tasks.map((t) => t.module)).toEqual(['package', 'template', 'directory']);
    expect(role.tasks[1]).toMatchObject({ role: 'web', roleDir: dir, when: 'web_port != 0', notify: ['web config changed'] });
    expect(role.tasks[1].source).toEqual({ file: join(dir, 'tasks.yml'), line: 4, column: 3 });
    expect(role.handlers.map((h) => h.listen)).toEqual([['restart web'], ['reload web', 'web config changed']]);
    expect(role.source.file).toBe(join(dir, 'role.yml'));
  });

  it("Ansible layout: tasks/main.yml, defaults/main.yml, handlers/main.yml", () => {
    const role = loadRole(join(PROJECT, 'roles/legacy'));
    expect(role.defaults).toEqual({ legacy_pkg: 'cron' });
    expect(role.tasks[0]).toMatchObject({ module: 'package', params: { name: '{{ legacy_pkg }}' }, notify: ['legacy restart'] });
    expect(role.handlers[0].listen).toEqual(['legacy restart']);
  });
});
