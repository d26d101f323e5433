// Bad input found at load, with file:line:col and what was expected (issue 13): YAML aliases,
// host ranges, values that can never converge or that a shell would change.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory, loadPlaybook } from '../../../src/config/index.js';
import { expectConfigError, tree } from './helpers.js';

const play = (body: string) => {
  const dir = tree({ 'playbooks/site.yml': body });
  return join(dir, 'playbooks/site.yml');
};

describe('YAML aliases', () => {
  it('an alias with no anchor is an error at the alias', () => {
    const f = play('- hosts: all\n  vars:\n    a: *nowhere\n  tasks: []\n');
    expectConfigError(() => loadPlaybook(f), f, 3, 8, 'alias *nowhere has no anchor');
  });

  it('an alias bomb is refused at an alias, without expanding it', () => {
    const levels = ['    a: &a [x,x,x,x,x,x,x,x,x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(
        `    ${cur}: &${cur} [${Array(9)
          .fill('*' + prev)
          .join(',')}]`,
      );
    }
    const f = play(`- hosts: all\n  vars:\n${levels.join('\n')}\n  tasks: []\n`);
    const e = expectConfigError(() => loadPlaybook(f), f, 8, 12, 'expand to more than', 'alias bomb');
    expect(e.detail).toContain('100000');
  });

  it('an alias inside its own anchor is refused', () => {
    const f = play('- hosts: all\n  vars:\n    a: &a [1, *a]\n  tasks: []\n');
    expectConfigError(() => loadPlaybook(f), f, 3, 15, 'inside the node');
  });

  it('ordinary anchors, aliases and merge keys still load', () => {
    const f = play('- hosts: all\n  vars:\n    base: &b {x: 1}\n    more:\n      <<: *b\n      y: 2\n    same: *b\n  tasks: []\n');
    const pb = loadPlaybook(f);
    expect(pb.plays[0].vars).toMatchObject({ base: { x: 1 }, more: { x: 1, y: 2 }, same: { x: 1 } });
  });

  it('an inventory with an alias bomb is refused too', () => {
    const dir = tree({
      'hosts.yml':
        'all:\n  vars:\n    a: &a [x,x,x,x,x,x,x,x,x,x]\n    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n    e: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n',
    });
    const f = join(dir, 'hosts.yml');
    expectConfigError(() => loadInventory([f]), f, 7, 30, 'alias bomb');
  });
});

describe('host ranges', () => {
  it('a range over the limit is refused with file:line:col, counted without expanding it', () => {
    const dir = tree({ 'hosts.yml': 'all:\n  hosts:\n    h[1:100000000]:\n' });
    const f = join(dir, 'hosts.yml');
    expectConfigError(() => loadInventory([f]), f, 3, 5, "host range 'h[1:100000000]' would make 100000000 hosts", 'at most 10000');
  });

  it('nested ranges multiply; INI inventories are limited the same way', () => {
    const dir = tree({ hosts: '[web]\nr[1:200]-n[1:200]\n' });
    const f = join(dir, 'hosts');
    expectConfigError(() => loadInventory([f]), f, 2, 1, 'would make 40000 hosts');
  });

  it('a range at the limit loads, every host in its group once', () => {
    const dir = tree({ 'hosts.yml': 'all:\n  children:\n    web:\n      hosts:\n        w[00001:10000]:\n        w00002:\n' });
    const inv = loadInventory([join(dir, 'hosts.yml')]);
    expect(inv.hosts.size).toBe(10000);
    expect(inv.groups.get('web')!.hosts.length).toBe(10000);
    expect(inv.hosts.get('w10000')!.groups).toContain('web');
  });
});

describe('values that could never converge are refused at load', () => {
  it('line: a value with a newline, at the value', () => {
    const f = play('- hosts: all\n  tasks:\n    - name: l\n      line: {path: /tmp/x, line: "a\\nb"}\n');
    expectConfigError(() => loadPlaybook(f), f, 4, 34, "parameter 'line' must be one line, without a newline");
  });

  it('block: a marker with a newline, at the marker', () => {
    const f = play(
      '- hosts: all\n  tasks:\n    - name: b\n      block:\n        path: /tmp/x\n        block: "x"\n        marker: "# {mark}\\nmore"\n',
    );
    expectConfigError(() => loadPlaybook(f), f, 7, 17, "parameter 'marker' must be one line containing {mark}");
  });

  it('block: marker_begin with a newline', () => {
    const f = play('- hosts: all\n  tasks:\n    - name: b\n      block: {path: /tmp/x, block: "x", marker_begin: "A\\nB"}\n');
    expectConfigError(() => loadPlaybook(f), f, 4, 55, "parameter 'marker_begin' must be one line");
  });
});

describe('inventory names and values that would be read as something else', () => {
  const inv = (text: string, extra: Record<string, string> = {}) => {
    const dir = tree({ 'inventory/hosts.yml': text, ...extra });
    return { dir, f: join(dir, 'inventory/hosts.yml'), load: () => loadInventory([join(dir, 'inventory')]) };
  };

  it('an address with a space (an ssh option smuggled in) or a newline', () => {
    const a = inv('all:\n  hosts:\n    h1: {ansible_host: "192.0.2.1 -oProxyCommand=x"}\n');
    expectConfigError(a.load, a.f, 3, 10, "host 'h1': address", 'is not a host name or IP address');
    const b = inv('all:\n  hosts:\n    h1:\n      address: "a\\nb"\n');
    expectConfigError(b.load, b.f, 4, 7, 'is not a host name or IP address');
  });

  it('a group named "a b"', () => {
    const a = inv('all:\n  children:\n    "a b":\n      hosts:\n        h1:\n');
    expectConfigError(a.load, a.f, 3, 5, 'group name "a b"', 'host patterns could not name it');
  });

  it('an empty key in group_vars', () => {
    const a = inv('all:\n  hosts:\n    h1:\n', { 'inventory/group_vars/all.yml': 'x: 1\n"": 2\n' });
    const gv = join(a.dir, 'inventory/group_vars/all.yml');
    expectConfigError(a.load, gv, 2, 1, 'empty name');
  });

  it('a NUL byte in a value, in an inventory or a playbook', () => {
    const a = inv('all:\n  hosts:\n    h1: {x: "a\\0b"}\n');
    expectConfigError(a.load, a.f, 3, 13, 'NUL character');
    const f = play('- hosts: all\n  tasks:\n    - name: t\n      command: "echo a\\0b"\n');
    expectConfigError(() => loadPlaybook(f), f, 4, 16, 'NUL character');
  });

  it('a known_hosts path that is a directory', () => {
    const a = inv('all:\n  hosts:\n    h1:\n', { 'inventory/known_hosts/x': '' });
    let err: unknown;
    try {
      a.load();
    } catch (e) {
      err = e;
    }
    expect(String(err)).toContain(join(a.dir, 'inventory/known_hosts'));
    expect(String(err)).toContain('found a directory');
  });

  it('ordinary names and addresses still load (dashes in group names, IPv6, host names)', () => {
    const a = inv(
      'all:\n  children:\n    web-servers:\n      hosts:\n        h1: {ansible_host: "2001:db8::1"}\n        h2: {ansible_host: relay.example.org}\n',
    );
    expect([...a.load().hosts.keys()]).toEqual(['h1', 'h2']);
  });
});

describe('Ansible role dependencies (meta/main.yml)', () => {
  it('a dependency that is not found is an error at its entry, naming where fleet looked', () => {
    const dir = tree({
      'playbooks/site.yml': '- hosts: all\n  roles: [app]\n',
      'roles/app/tasks/main.yml': '- name: t\n  command: echo\n',
      'roles/app/meta/main.yml': 'galaxy_info: {author: x}\ndependencies:\n  - role: common\n',
    });
    const meta = join(dir, 'roles/app/meta/main.yml');
    expectConfigError(() => loadPlaybook(join(dir, 'playbooks/site.yml')), meta, 3, 5, "role 'common' not found", 'looked in');
  });

  it('an empty dependencies list is fine', () => {
    const dir = tree({
      'playbooks/site.yml': '- hosts: all\n  roles: [app]\n',
      'roles/app/tasks/main.yml': '- name: t\n  command: echo\n',
      'roles/app/meta/main.yml': 'dependencies: []\n',
    });
    expect(loadPlaybook(join(dir, 'playbooks/site.yml')).plays[0].roles[0].role.name).toBe('app');
  });
});
