import { readFileSync, statSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addHost, loadInventory, removeHost, setHostVar } from '../../../src/config/index.js';
import { expectConfigError, tree } from './helpers.js';

const INV = `# Production inventory: keep this comment
all:
  vars:
    ntp: pool.ntp.org   # inline comment
  hosts:
    bastion:   # the jump host
      address: 198.51.100.2
  children:
    workers:
      hosts:
        w1: {address: 10.0.0.11}
        w2:
    managers:
      hosts:
        m1:
          address: 10.0.0.1
          ansible_port: 22
`;

function inv(extra: Record<string, string> = {}): string {
  return join(tree({ 'hosts.yml': INV, ...extra }), 'hosts.yml');
}

describe('setHostVar', () => {
  it('updates an existing var in place, keeping comments and layout', () => {
    const f = inv();
    setHostVar(f, 'm1', 'ansible_port', 2222);
    const text = readFileSync(f, 'utf8');
    expect(text).toBe(INV.replace('ansible_port: 22', 'ansible_port: 2222'));
    expect(loadInventory([f]).hosts.get('m1')!.connection.port).toBe(2222);
  });

  it('adds a var to a host written as a flow mapping, a block mapping or with no vars', () => {
    const f = inv();
    setHostVar(f, 'w1', 'user', 'deploy');
    setHostVar(f, 'w2', 'become', true);
    setHostVar(f, 'bastion', 'tags', ['a', 'b']);
    const text = readFileSync(f, 'utf8');
    expect(text).toContain('# Production inventory: keep this comment');
    expect(text).toContain('ntp: pool.ntp.org   # inline comment');
    expect(text).toContain('bastion:   # the jump host');
    const loaded = loadInventory([f]);
    expect(loaded.hosts.get('w1')!.connection).toMatchObject({ address: '10.0.0.11', user: 'deploy' });
    expect(loaded.hosts.get('w2')!.vars.become).toBe(true);
    expect(loaded.hosts.get('bastion')!.vars.tags).toEqual(['a', 'b']);
  });

  it('writes into host_vars/HOST.yml when that file already sets the key, so the new value wins', () => {
    const f = inv({ 'host_vars/m1.yml': '# m1 overrides\nansible_port: 22\n' });
    setHostVar(f, 'm1', 'ansible_port', 2200);
    expect(readFileSync(join(f, '../host_vars/m1.yml'), 'utf8')).toBe('# m1 overrides\nansible_port: 2200\n');
    expect(readFileSync(f, 'utf8')).toBe(INV);
    expect(loadInventory([f]).hosts.get('m1')!.connection.port).toBe(2200);
  });

  it('given a directory, edits the YAML file in it that declares the host', () => {
    const dir = tree({ 'a.yml': 'all:\n  hosts:\n    x1:\n', 'b.yml': 'all:\n  hosts:\n    y1:\n' });
    setHostVar(dir, 'y1', 'port', 2022);
    expect(readFileSync(join(dir, 'b.yml'), 'utf8')).toBe('all:\n  hosts:\n    y1: {port: 2022}\n');
    expect(loadInventory([dir]).hosts.get('y1')!.connection.port).toBe(2022);
  });

  it('multi-line strings stay on one line (double-quoted) and read back equal', () => {
    const f = inv();
    const pem = '-----BEGIN X-----\nabc\n-----END X-----\n';
    setHostVar(f, 'w1', 'cert', pem);
    setHostVar(f, 'w2', 'motd', 'a\nb');
    setHostVar(f, 'm1', 'lines', ['x\ny', 'z']);
    const loaded = loadInventory([f]);
    expect(loaded.hosts.get('w1')!.vars.cert).toBe(pem);
    expect(loaded.hosts.get('w2')!.vars.motd).toBe('a\nb');
    expect(loaded.hosts.get('m1')!.vars.lines).toEqual(['x\ny', 'z']);
    expect(loaded.hosts.get('m1')!.connection.port).toBe(22);
  });

  it('an unknown host is an error', () => {
    const f = inv();
    expect(() => setHostVar(f, 'nope', 'a', 1)).toThrow(/host 'nope' is not in this inventory/);
  });

  it('keeps the file mode', () => {
    const f = inv();
    chmodSync(f, 0o600);
    setHostVar(f, 'w1', 'x', 1);
    expect(statSync(f).mode & 0o777).toBe(0o600);
  });
});

describe('addHost', () => {
  it('adds under an existing group and a new one (created under all.children); comments survive', () => {
    const f = inv();
    addHost(f, { name: 'relay3', address: '203.0.113.7', port: 2222, user: 'admin', groups: ['workers', 'relays'], vars: { become: true } });
    const text = readFileSync(f, 'utf8');
    expect(text.startsWith('# Production inventory: keep this comment\n')).toBe(true);
    expect(text).toContain('bastion:   # the jump host');
    const loaded = loadInventory([f]);
    const h = loaded.hosts.get('relay3')!;
    expect(h.groups).toEqual(['all', 'relays', 'workers']);
    expect(h.connection).toMatchObject({ address: '203.0.113.7', port: 2222, user: 'admin', become: true });
    expect(loaded.groups.get('workers')!.hosts).toEqual(['w1', 'w2', 'relay3']);
    expect(loaded.groups.get('all')!.children).toContain('relays');
  });

  it('writes exactly the new lines, in the style around them (block map, flow map, empty group)', () => {
    const f = join(tree({ 'inv.yml': '# c\nall:\n  children:\n    workers:\n      hosts:\n        w1: {address: 10.0.0.11}\n    empty:\n    flowy: {hosts: {f1: }}\n' }), 'inv.yml');
    addHost(f, { name: 'r3', address: '203.0.113.7', port: 2222, groups: ['workers', 'empty', 'flowy', 'fresh'] });
    expect(readFileSync(f, 'utf8')).toBe(
      '# c\nall:\n  children:\n    workers:\n      hosts:\n        w1: {address: 10.0.0.11}\n        r3: {address: 203.0.113.7, port: 2222}\n' +
        '    empty: {hosts: {r3: {}}}\n    flowy: {hosts: {f1: , r3: {}}}\n    fresh:\n      hosts:\n        r3: {}\n',
    );
    expect(loadInventory([f]).hosts.get('r3')!.groups).toEqual(['all', 'empty', 'flowy', 'fresh', 'workers']);
  });

  it('adds under all.hosts when no group is given', () => {
    const f = inv();
    addHost(f, { name: 'solo', address: '192.0.2.9', groups: [] });
    const loaded = loadInventory([f]);
    expect(loaded.groups.get('all')!.hosts).toEqual(['bastion', 'solo']);
    expect(loaded.hosts.get('solo')!.connection).toMatchObject({ address: '192.0.2.9', port: 22, user: 'root' });
  });

  it('creates the inventory file (and its directory) when it does not exist', () => {
    const f = join(tree({}), 'inventory/new.yml');
    addHost(f, { name: 'n1', address: '10.1.1.1', groups: ['lab'] });
    expect(loadInventory([f]).hosts.get('n1')!.groups).toEqual(['all', 'lab']);
  });

  it("writes the connection settings in the file's own spelling: ansible_host where the hosts use it (review9)", () => {
    const ansible =
      '# lab\nall:\n  vars:\n    ansible_user: root\n  children:\n    workers:\n      hosts:\n        lab1:\n          ansible_host: 10.0.0.11\n          mail: {address: x, port: 25}\n';
    const f = join(tree({ 'hosts.yml': ansible }), 'hosts.yml');
    addHost(f, { name: 'relay3', address: '203.0.113.7', port: 2222, user: 'admin', groups: ['workers'] });
    expect(readFileSync(f, 'utf8')).toBe(ansible + '        relay3: {ansible_host: 203.0.113.7, ansible_port: 2222, ansible_user: admin}\n');
    expect(loadInventory([f]).hosts.get('relay3')!.connection).toMatchObject({ address: '203.0.113.7', port: 2222, user: 'admin' });
    // Each setting as the file spells it most; one it never spells in the style most of its keys use.
    const mixed = 'all:\n  hosts:\n    a: {address: 10.0.0.1, ansible_ssh_port: 22}\n    b: {address: 10.0.0.2, ansible_ssh_port: 22}\n';
    const g = join(tree({ 'hosts.yml': mixed }), 'hosts.yml');
    addHost(g, { name: 'c', address: '10.0.0.3', port: 2200, user: 'u', groups: [] });
    expect(readFileSync(g, 'utf8')).toBe(mixed + '    c: {address: 10.0.0.3, ansible_ssh_port: 2200, user: u}\n');
  });

  it('refuses a host that exists, naming where', () => {
    const f = inv();
    expectConfigError(() => addHost(f, { name: 'w2', address: 'x', groups: [] }), f, 12, 9, "host 'w2' already exists");
  });

  it('INI inventories: a clear error, for both writers', () => {
    const f = join(tree({ hosts: '[web]\nw1\n' }), 'hosts');
    expect(() => setHostVar(f, 'w1', 'a', 1)).toThrow(/writing supports YAML inventories only/);
    expect(() => addHost(f, { name: 'w2', address: 'x', groups: [] })).toThrow(/writing supports YAML inventories only/);
  });
});

describe('removeHost', () => {
  it('removes the host from every group it is listed under, keeping comments and the rest byte for byte', () => {
    const file = inv();
    const text = readFileSync(file, 'utf8');
    expect(removeHost(file, 'm1')).toBe(1);
    const after = readFileSync(file, 'utf8');
    expect(after).toBe(text.replace('        m1:\n          address: 10.0.0.1\n          ansible_port: 22\n', ''));
    expect(loadInventory([file]).hosts.has('m1')).toBe(false);
    // a flow-style entry, then a host with an empty value
    expect(removeHost(file, 'w1')).toBe(1);
    expect(removeHost(file, 'w2')).toBe(1);
    const inv2 = loadInventory([file]);
    expect([...inv2.hosts.keys()]).toEqual(['bastion']);
    expect(readFileSync(file, 'utf8')).toContain('# Production inventory: keep this comment');
    expect(readFileSync(file, 'utf8')).toContain('    bastion:   # the jump host');
    expect(removeHost(file, 'nope')).toBe(0);
  });

  it('a host listed in two groups and in a flow mapping goes from both', () => {
    const file = join(tree({ 'hosts.yml': 'all:\n  children:\n    a:\n      hosts: {x: {address: 1.2.3.4}, y: {}}\n    b:\n      hosts:\n        x:\n        z: {}\n' }), 'hosts.yml');
    expect(removeHost(file, 'x')).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe('all:\n  children:\n    a:\n      hosts: {y: {}}\n    b:\n      hosts:\n        z: {}\n');
  });
});
