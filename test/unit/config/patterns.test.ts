import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory, selectHosts } from '../../../src/config/index.js';
import { FIXTURES, expectConfigError } from './helpers.js';

const inv = loadInventory([join(FIXTURES, 'yaml-inv/hosts.yml')]);
const sel = (p: string) => selectHosts(inv, p);

describe('selectHosts', () => {
  it('all and * select every host in inventory order', () => {
    expect(sel('all')).toEqual(['bastion', 'web01', 'web02', 'web03', 'db1']);
    expect(sel('*')).toEqual(sel('all'));
  });

  it('a group name selects its members, including through children', () => {
    expect(sel('webservers')).toEqual(['web01', 'web02', 'web03']);
    expect(sel('prod')).toEqual(['web01', 'web02', 'web03', 'db1']);
    expect(sel('ungrouped')).toEqual(['bastion']);
  });

  it('a host name selects that host', () => {
    expect(sel('db1')).toEqual(['db1']);
  });

  it('globs match host and group names', () => {
    expect(sel('web0*')).toEqual(['web01', 'web02', 'web03']);
    expect(sel('db?')).toEqual(['db1']);
    expect(sel('*servers')).toEqual(['web01', 'web02', 'web03', 'db1']);
  });

  it('~regex matches names', () => {
    expect(sel('~^(bastion|db\\d)$')).toEqual(['bastion', 'db1']);
  });

  it('a:b and a,b are unions, in inventory order whatever the order written', () => {
    expect(sel('db1:bastion')).toEqual(['bastion', 'db1']);
    expect(sel('db1,web02')).toEqual(['web02', 'db1']);
  });

  it('a:&b is an intersection', () => {
    expect(sel('webservers:&tor')).toEqual(['web02']);
    expect(sel('prod:&dbservers')).toEqual(['db1']);
  });

  it('a:!b is an exclusion, applied after unions whatever the order', () => {
    expect(sel('prod:!webservers')).toEqual(['db1']);
    expect(sel('!web02:webservers')).toEqual(['web01', 'web03']);
    expect(sel('!prod')).toEqual(['bastion']);
  });

  it('combines all three', () => {
    expect(sel('prod:bastion:&all:!web0*')).toEqual(['bastion', 'db1']);
  });

  it('an unknown name is a ConfigError at the source the pattern came from, listing what exists', () => {
    const e = expectConfigError(() => selectHosts(inv, 'webserver:!db1', { file: 'site.yml', line: 3, column: 10 }),
      'site.yml', 3, 10, "'webserver' matches no host or group", "did you mean 'webservers'", 'groups: all, prod, webservers');
    expect(e.detail).toContain('hosts: bastion, web01, web02, web03, db1');
  });

  it('an empty pattern is an error', () => {
    expect(() => selectHosts(inv, ' , ')).toThrow(/expected a group or host name/);
  });
});
