// A file is read in the format that parses, as Ansible's inventory plugins do (yaml, then
// ini): an INI inventory named hosts.yml loads, and says it was read as INI. Expected values
// are what `ansible-inventory -i FILE --list` (ansible-core 2.14) printed for these fixtures.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory, setHostVar } from '../../../src/config/index.js';
import { FIXTURES, expectConfigError, tree } from './helpers.js';

const INI_IN_YML = join(FIXTURES, 'ini-in-yml', 'hosts.yml');

describe('inventory file formats', () => {
  it('an INI inventory in hosts.yml loads as INI: nested children, ranges, ports, [group:vars], many vars per host', () => {
    const inv = loadInventory([INI_IN_YML]);
    expect(inv.files).toEqual([{ file: INI_IN_YML, format: 'ini', note: expect.stringMatching(/^not YAML \(line \d+:\d+: invalid YAML: .*\), read as INI$/) }]);
    expect([...inv.hosts.keys()]).toEqual([
      'matrix.example.org', 'mx01.example.org', 'mx02.example.org', 'mx03.example.org', 'relay-a.example.net', 'relay-b.example.net', 'hidden1',
    ]);
    expect(inv.groups.get('debian')!.children).toEqual(['chat', 'mail']);
    expect(inv.hosts.get('mx02.example.org')!.groups).toEqual(['all', 'debian', 'mail', 'mail_servers']);
    const m = inv.hosts.get('matrix.example.org')!;
    expect(m.connection).toMatchObject({ address: '203.0.113.10', port: 2222, user: 'admin', become: true });
    expect(m.vars).toMatchObject({
      matrix_domain: 'example.org', matrix_server_fqn_element: 'element.example.org', backup_retention_days: 30,
      ntp_servers: ['0.debian.pool.ntp.org', '1.debian.pool.ntp.org'], ansible_become: 'true',
    });
    const relay = inv.hosts.get('relay-b.example.net')!;
    expect(relay.connection).toMatchObject({ port: 2200, user: 'relay' });
    expect(relay.vars).toMatchObject({ postfix_relayhost: '[smtp.example.net]:587', postfix_tls: true, dkim_selectors: { 'example.org': 'mail2024' } });
    expect(inv.hosts.get('hidden1')!.connection.socksProxy).toBe('127.0.0.1:9050');
  });

  it('YAML files say YAML; a YAML file is never read as INI', () => {
    const dir = tree({ 'a.yml': 'all:\n  hosts:\n    h1:\n' });
    expect(loadInventory([dir]).files).toEqual([{ file: join(dir, 'a.yml'), format: 'yaml' }]);
  });

  it('bad in both formats: one error at the line where the further reader stopped, naming what each expected', () => {
    const file = join(FIXTURES, 'bad-both', 'hosts.yml');
    expectConfigError(() => loadInventory([file]), file, 6, 9,
      'not an inventory in either format Ansible reads: as YAML, line 6:9: invalid YAML:', "as INI, line 1:1: host 'all:': a host name cannot end with ':'");
  });

  it('a YAML string (a file of bare host names) is INI', () => {
    const dir = tree({ 'hosts': 'web1\nweb2 ansible_port=2222\n' });
    const inv = loadInventory([dir]);
    expect(inv.hosts.get('web2')!.connection.port).toBe(2222);
    expect(inv.files![0].format).toBe('ini');
  });

  it('the inventory writer refuses to edit an INI file, whatever its name', () => {
    const dir = tree({ 'hosts.yml': '[web]\nw1\n' });
    expect(() => setHostVar(join(dir, 'hosts.yml'), 'w1', 'ansible_port', 2222)).toThrow(/INI/);
  });

  it('fleet inventory lists each file with its format; -v says why', () => {
    const main = resolve('dist/fleet.cjs');
    const r = spawnSync(process.execPath, [main, 'inventory', '-v', '-i', INI_IN_YML], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^FILES\n  .*ini-in-yml\/hosts\.yml  INI: not YAML \(line \d+:\d+: invalid YAML/m);
    const plain = spawnSync(process.execPath, [main, 'inventory', '-i', INI_IN_YML], { encoding: 'utf8' });
    expect(plain.stdout).toMatch(/ini-in-yml\/hosts\.yml  INI\n/);
  });
});
