import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../../src/config/index.js';
import { tree } from './helpers.js';

const load = (yml: string, files: Record<string, string> = {}) => loadInventory([join(tree({ 'inv.yml': yml, ...files }), 'inv.yml')]);

describe('connection settings', () => {
  it('become is only true for a non-root user', () => {
    const inv = load('all:\n  vars: {become: true}\n  hosts:\n    r:\n    d: {user: deploy}\n');
    expect(inv.hosts.get('r')!.connection.become).toBe(false);
    expect(inv.hosts.get('d')!.connection.become).toBe(true);
  });

  it('proxy jump from ansible_ssh_common_args -J, a ProxyCommand too, with no warning', () => {
    const inv = load('all:\n  hosts:\n    a: {ansible_ssh_common_args: "-J admin@bastion:2222"}\n    b: {ansible_ssh_common_args: "-o \'ProxyCommand=nc %h %p\'"}\n');
    expect(inv.hosts.get('a')!.connection.proxyJump).toBe('admin@bastion:2222');
    expect(inv.hosts.get('b')!.connection).toMatchObject({ proxyCommand: 'nc %h %p' });
    expect(inv.hosts.get('b')!.connection.proxyJump).toBeUndefined();
    expect(inv.warnings).toEqual([]);
  });

  it('between a fleet key and its ansible_* twin the higher-precedence definition wins', () => {
    const inv = load('all:\n  hosts:\n    a: {ansible_user: admin}\n', { 'group_vars/all.yml': 'user: deploy\nansible_port: 2200\nport: 2300\n' });
    // host inline ansible_user beats group_vars user; at the same level the fleet name wins.
    expect(inv.hosts.get('a')!.connection).toMatchObject({ user: 'admin', port: 2300 });
  });

  it('a template in a connection setting is refused where it is written, before any host is contacted', () => {
    // Ansible renders these; fleet reads them before any template: "{{ who }}" was the user it
    // logged in as, and an address was refused for "holding spaces".
    for (const [k, v] of [['ansible_user', '"{{ who }}"'], ['ansible_host', '"{{ addr }}"'], ['port', '"{{ p }}"'], ['ansible_ssh_private_key_file', '"keys/{{ k }}"'], ['ansible_become', '"{% if x %}true{% endif %}"']]) {
      expect(() => load(`all:\n  hosts:\n    a:\n      ${k}: ${v}\n`)).toThrow(new RegExp(`inv\\.yml:4:\\d+: host 'a': '${k}' is a template \\(.*\\); fleet reads connection settings before any template is rendered`));
    }
  });

  it('the become password is referenced by env var name or file, never read', () => {
    const inv = load('all:\n  hosts:\n    a: {user: d, become: yes, become_password_env: SUDO_PW, become_password_file: secrets/pw}\n');
    const c = inv.hosts.get('a')!.connection;
    expect(c.becomePasswordEnv).toBe('SUDO_PW');
    expect(c.becomePasswordFile).toBe(join(inv.sources[0], '../secrets/pw'));
  });

  it('a host listed in two groups merges its entries; the later entry wins and the earlier is shadowed', () => {
    const inv = load('all:\n  children:\n    g1:\n      hosts:\n        h: {x: 1, y: 1}\n    g2:\n      hosts:\n        h: {x: 2}\n');
    const h = inv.hosts.get('h')!;
    expect(h.vars).toEqual({ x: 2, y: 1 });
    expect(h.varSources.x.shadowed).toEqual([{ value: 1, source: { file: inv.sources[0], line: 5, column: 13 } }]);
  });

  it('socks_proxy must be host:port', () => {
    expect(() => load('all:\n  hosts:\n    a: {socks_proxy: tor}\n')).toThrow(/inv.yml:3:9: host 'a': 'socks_proxy' must be "host:port"/);
    expect(load('all:\n  hosts:\n    a: {socks_proxy: "socks5h://127.0.0.1:9050"}\n').hosts.get('a')!.connection.socksProxy).toBe('127.0.0.1:9050');
  });
});
