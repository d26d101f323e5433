// freeVariables: what a value, a condition or a template file reads, from its syntax tree.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ANY_VARIABLE, freeVariables, freeVariablesInFile, type VarRef } from '../../../src/template/free-vars.js';

const show = (refs: VarRef[]) => refs.map((r) => [r.name, ...r.path].join('.')).sort();
const value = (v: unknown) => show(freeVariables(v, 'value'));
const cond = (c: unknown) => show(freeVariables(c, 'condition'));

describe('freeVariables: values', () => {
  it('plain text reads nothing; {{ x }} and {{ a.b.c }} read their whole path', () => {
    expect(value('no templates here')).toEqual([]);
    expect(value('{{ x }}')).toEqual(['x']);
    expect(value('{{a.b.c}} and {{list.[0]}}')).toEqual(['a.b.c', 'list.0']);
  });

  it('walks lists and mappings; a number or a boolean reads nothing', () => {
    expect(value({ dest: '/srv/{{ inventory_hostname }}', opts: ['{{ a }}', 3, true, { k: '{{ b.c }}' }] })).toEqual(['a', 'b.c', 'inventory_hostname']);
  });

  it('helper names are not variables; their arguments are', () => {
    expect(value('{{quote admin_user}} {{default fleet_controller_ip "127.0.0.1"}} {{join list ","}}')).toEqual(['admin_user', 'fleet_controller_ip', 'list']);
    expect(value('{{#if (eq item "v4")}}iptables{{else}}ip6tables{{/if}}')).toEqual(['item']);
  });

  it('inside #each the body reads parts of the list; ../ and @root climb out; block params name elements', () => {
    expect(value('{{#each ports}}{{this}} {{proto}}{{/each}}')).toEqual(['ports']);
    expect(value('{{#each ports}}{{../base}}{{@root.top}}{{@index}}{{/each}}')).toEqual(['base', 'ports', 'top']);
    expect(value('{{#each rules as |rule|}}{{rule.port}}{{/each}}')).toEqual(['rules']);
    expect(value('{{#with server as |s|}}{{s.name}} {{port}}{{/with}}')).toEqual(['server', 'server.name', 'server.port']);
  });

  it('a dynamic part cuts the path: lookup with a variable key reads the whole object, with a literal key its member', () => {
    expect(value('{{lookup hostvars "lab1"}}')).toEqual(['hostvars.lab1']);
    expect(value('{{#each groups.all as |h|}}{{lookup (lookup @root.hostvars h) "ansible_host"}}{{/each}}')).toEqual(['groups.all', 'hostvars']);
  });

  it('`this` at the top reads anything, and so does text that does not parse', () => {
    expect(value('{{json this}}')).toEqual([ANY_VARIABLE]);
    expect(value('{{#if x}}')).toEqual([ANY_VARIABLE]);
  });
});

describe('freeVariables: conditions', () => {
  it('reads the variables of an expression with their constant attribute paths', () => {
    expect(cond("ssh_login_user.stdout == 'root' and ssh_permit_root_login == 'no'")).toEqual(['ssh_login_user.stdout', 'ssh_permit_root_login']);
    expect(cond('x is defined and not (r.changed or y | default(z))')).toEqual(['r.changed', 'x', 'y', 'z']);
    expect(cond("hostvars['lab1'].token.stdout")).toEqual(['hostvars.lab1.token.stdout']);
    expect(cond('hostvars[item].x')).toEqual(['hostvars', 'item']);
    expect(cond("'a' in [b, c[0]]")).toEqual(['b', 'c.0']);
  });

  it('booleans read nothing; a list reads what its items read; {{ }} in a condition may read anything', () => {
    expect(cond(true)).toEqual([]);
    expect(cond(['a', 'b.c'])).toEqual(['a', 'b.c']);
    expect(cond('{{ flag }}')).toEqual(['flag']);
    expect(cond('{{ name }} == 1')).toEqual([ANY_VARIABLE, 'name']);
  });
});

describe('freeVariablesInFile', () => {
  it('reads a handlebars template file; a missing file reads nothing (rendering it fails loudly)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-fv-'));
    try {
      writeFileSync(join(dir, 't.hbs'), 'Port {{ssh_port}}\n{{#if ssh_kex_algorithms}}{{join ssh_kex_algorithms ","}}{{else}}{{ssh_kex_supported.stdout}}{{/if}}\n');
      expect(show(freeVariablesInFile(join(dir, 't.hbs')))).toEqual(['ssh_kex_algorithms', 'ssh_kex_supported.stdout', 'ssh_port']);
      expect(freeVariablesInFile(join(dir, 'absent.hbs'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
