import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeVar, loadInventory } from '../../../src/config/index.js';
import { FIXTURES } from './helpers.js';

const DIR = join(FIXTURES, 'yaml-inv');
const FILE = join(DIR, 'hosts.yml');

describe('YAML inventory (Ansible format)', () => {
  const inv = loadInventory([FILE]);

  it('lists hosts in inventory order, with ranges expanded', () => {
    expect([...inv.hosts.keys()]).toEqual(['bastion', 'web01', 'web02', 'web03', 'db1']);
  });

  it('gives every host its ancestor groups and all, parents first', () => {
    expect(inv.hosts.get('web01')!.groups).toEqual(['all', 'prod', 'webservers']);
    expect(inv.hosts.get('web02')!.groups).toEqual(['all', 'prod', 'tor', 'webservers']);
    expect(inv.hosts.get('bastion')!.groups).toEqual(['all', 'ungrouped']);
    expect(inv.groups.get('prod')!.children).toEqual(['webservers', 'dbservers']);
    expect(inv.groups.get('all')!.children).toEqual(expect.arrayContaining(['prod', 'tor', 'ungrouped']));
    expect(inv.groups.get('webservers')!.hosts).toEqual(['web01', 'web02', 'web03']);
  });

  it('reads ansible_* connection vars', () => {
    const c = inv.hosts.get('bastion')!.connection;
    expect(c).toMatchObject({ address: '198.51.100.2', port: 22, user: 'admin', become: true });
    expect(c.privateKeyFile).toBe(join(DIR, 'keys/admin_ed25519'));
  });

  it('reads fleet connection keys, expands ~ and converts the timeout to ms', () => {
    const c = inv.hosts.get('db1')!.connection;
    expect(c).toEqual({
      address: '10.0.0.21', port: 2222, user: 'deploy', become: true,
      privateKeyFile: join(homedir(), '.ssh/db_key'), proxyJump: 'admin@198.51.100.2',
      connectTimeoutMs: 3000, keepaliveIntervalMs: 15000,
    });
    expect(inv.hosts.get('web02')!.connection.socksProxy).toBe('127.0.0.1:9050');
  });

  it('defaults: address = name, port 22, root, no become, 10 s timeout', () => {
    expect(inv.hosts.get('web03')!.connection).toEqual({
      address: 'web03', port: 22, user: 'root', become: false, connectTimeoutMs: 10000, keepaliveIntervalMs: 15000,
    });
  });

  it('puts known_hosts beside the first inventory source', () => {
    expect(inv.knownHostsFile).toBe(join(DIR, 'known_hosts'));
    expect(loadInventory([DIR]).knownHostsFile).toBe(join(DIR, 'known_hosts'));
  });

  it('warns (file:line, never the value) about unsupported ansible_* settings and keeps them as vars', () => {
    expect(inv.warnings).toHaveLength(1);
    expect(inv.warnings[0]).toMatch(new RegExp(`^${FILE.replace(/[.]/g, '\\.')}:33: ansible_password is not supported`));
    expect(inv.warnings.join('\n')).not.toContain('hunter2');
    expect(inv.hosts.get('db1')!.vars.ansible_password).toBe('hunter2-secret');
  });

  it('merges all < parent group < child group < host inline, with provenance', () => {
    const web02 = inv.hosts.get('web02')!;
    expect(web02.vars.tier).toBe('onion');
    expect(web02.varSources.tier.source).toEqual({ file: FILE, line: 38, column: 11 });
    expect(web02.varSources.tier.shadowed.map((s) => s.value)).toEqual(['web', 'prod', 'base']);
    expect(inv.hosts.get('web01')!.vars.tier).toBe('web');
    expect(inv.hosts.get('db1')!.vars.tier).toBe('prod');
    expect(inv.hosts.get('bastion')!.vars.tier).toBe('base');
  });

  it('group_vars files (NAME.yml and NAME/ dirs) beat inline group vars; host_vars beat both', () => {
    expect(inv.hosts.get('web02')!.vars.http_port).toBe(8443);
    expect(inv.hosts.get('web02')!.vars.tls).toBe(true);
    const d = describeVar(inv, 'web01', 'http_port')!;
    expect(d.value).toBe(9000);
    expect(d.source).toEqual({ file: join(DIR, 'host_vars/web01.yml'), line: 1, column: 1 });
    expect(d.shadowed).toEqual([
      { value: 8443, source: { file: join(DIR, 'group_vars/webservers/20-tls.yaml'), line: 2, column: 1 } },
      { value: 8080, source: { file: join(DIR, 'group_vars/webservers/10-base.yml'), line: 1, column: 1 } },
      { value: 80, source: { file: FILE, line: 22, column: 13 } },
    ]);
    expect(describeVar(inv, 'db1', 'ntp_server')).toEqual({
      value: 'time.example.org',
      source: { file: join(DIR, 'group_vars/all.yml'), line: 2, column: 1 },
      shadowed: [{ value: 'pool.ntp.org', source: { file: FILE, line: 4, column: 5 } }],
    });
    expect(inv.hosts.get('db1')!.vars.ignored).toBeUndefined();
  });

  it('describeVar: undefined for an unset var, an error naming the hosts for an unknown host', () => {
    expect(describeVar(inv, 'db1', 'nope')).toBeUndefined();
    expect(() => describeVar(inv, 'db9', 'x')).toThrow(/unknown host 'db9' \(hosts: bastion, web01/);
  });

  it('loads a directory: every inventory file in it, not *.example.*', () => {
    const dirInv = loadInventory([DIR]);
    expect([...dirInv.hosts.keys()]).toEqual([...inv.hosts.keys()]);
  });
});
