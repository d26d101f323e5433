import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../../src/config/index.js';
import { FIXTURES, expectConfigError, tree } from './helpers.js';

const DIR = join(FIXTURES, 'ini-inv');
const FILE = join(DIR, 'hosts');

describe('INI inventory (Ansible format)', () => {
  const inv = loadInventory([FILE]);

  it('reads ungrouped hosts, [group] host lines with ranges and host:port', () => {
    expect([...inv.hosts.keys()]).toEqual(['mail.example.com', 'web1.example.com', 'web2.example.com', 'web3.example.com', 'db1']);
    expect(inv.hosts.get('mail.example.com')!.groups).toEqual(['all', 'ungrouped']);
    expect(inv.hosts.get('mail.example.com')!.connection.port).toBe(2200);
    expect(inv.hosts.get('web3.example.com')!.connection).toMatchObject({ address: '10.0.0.13', port: 2222, user: 'root' });
    expect(inv.hosts.get('web1.example.com')!.connection.user).toBe('deploy');
  });

  it('reads inline vars with quotes and Python-literal values, ignoring trailing comments', () => {
    const web3 = inv.hosts.get('web3.example.com')!;
    expect(web3.vars.motd).toBe('hello world');
    expect(web3.varSources.motd.source).toEqual({ file: FILE, line: 7, column: 46 });
    expect(inv.hosts.get('db1')!.connection).toMatchObject({ address: '10.0.0.21', user: 'dbadmin', become: true });
  });

  it('reads [group:vars] and [group:children]', () => {
    expect(inv.groups.get('prod')!.children).toEqual(['webservers', 'dbservers']);
    expect(inv.hosts.get('web2.example.com')!.groups).toEqual(['all', 'prod', 'webservers']);
    const v = inv.hosts.get('web1.example.com')!.vars;
    // `ssl=false` is the string "false": Ansible reads INI values as Python literals
    // (ansible-inventory --list shows "ssl": "false" for this very file).
    expect(v).toMatchObject({ http_port: 80, ssl: 'false', greeting: 'hi there' });
  });

  it('group_vars/ beats [group:vars]; an extensionless host_vars file is read', () => {
    const db1 = inv.hosts.get('db1')!;
    expect(db1.vars.env).toBe('prod-from-group-vars');
    expect(db1.varSources.env.shadowed).toEqual([{ value: 'production', source: { file: FILE, line: 22, column: 1 } }]);
    expect(db1.vars.role_name).toBe('primary');
  });

  it('warns about ansible_connection=local and a string that looks boolean, with file:line', () => {
    expect(inv.warnings).toEqual([
      expect.stringMatching(new RegExp(`^${FILE}:14: ssl=false is the string "false" in an INI inventory .* write False`)),
      `${FILE}:10: ansible_connection is not supported: fleet connects over SSH only; kept as a plain variable`,
    ]);
  });

  it('loads INI and YAML together from a directory, YAML by extension, INI by sniffing', () => {
    const dir = tree({
      'a.ini': '[web]\nw1\n',
      'b.yml': 'all:\n  children:\n    web:\n      hosts:\n        w2:\n',
      'x.example.yml': 'all: {hosts: {nope: }}\n',
      'known_hosts': 'w1 ssh-ed25519 AAAA\n',
    });
    const both = loadInventory([dir]);
    expect(both.groups.get('web')!.hosts).toEqual(['w1', 'w2']);
    expect(both.hosts.has('nope')).toBe(false);
  });

  it('rejects a malformed section header at its line and column', () => {
    const dir = tree({ 'inv.ini': 'h1\n[web:bogus]\n' });
    expectConfigError(() => loadInventory([join(dir, 'inv.ini')]), join(dir, 'inv.ini'), 2, 5, "unknown section kind ':bogus'", ':vars, :children');
  });

  it('rejects a host line token that is not key=value', () => {
    const dir = tree({ 'inv.ini': '[web]\nw1 ansible_port=22 oops\n' });
    expectConfigError(() => loadInventory([join(dir, 'inv.ini')]), join(dir, 'inv.ini'), 2, 20, 'expected key=value', 'oops');
  });
});
