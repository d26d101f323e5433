// freeVariables (D8): what a value, a condition or a template file reads, from its syntax tree.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ANY_VARIABLE, freeVariables, freeVariablesHandlebars, freeVariablesInFile } from '../../../src/template/index.js';

const names = (refs: { name: string; path: string[] }[]) => refs.map((r) => [r.name, ...r.path].join('.')).sort();

describe('freeVariables', () => {
  it('cuts the attribute path at the first dynamic part', () => {
    expect(freeVariables("{{ hostvars['lab1'].x }}", 'value')).toEqual([{ name: 'hostvars', path: ['lab1', 'x'] }]);
    expect(names(freeVariables('{{ hostvars[item].x }}', 'value'))).toEqual(['hostvars', 'item']);
    expect(freeVariables('{{ a.b[0].c }}', 'value')).toEqual([{ name: 'a', path: ['b', '0', 'c'] }]);
    expect(names(freeVariables('{{ a[b.c].d }}', 'value'))).toEqual(['a', 'b.c']);
  });

  it('walks every string of a value, at any depth, and every part of an expression', () => {
    const v = {
      cmd: 'echo {{ x | default(y) }} {{ f(z) if cond else "" }}',
      list: ['{{ l | map(attribute="n") | join(sep) }}', 3, null],
      nested: { deep: '{{ d.items() }}' },
    };
    expect(names(freeVariables(v, 'value'))).toEqual(['cond', 'd', 'f', 'l', 'sep', 'x', 'y', 'z']);
    expect(freeVariables('no template here', 'value')).toEqual([]);
  });

  it("names a template binds itself are not free; fleet's functions and omit are not variables", () => {
    const t =
      "{% set a = 1 %}{{ a }}{% for k, v in d.items() %}{{ k }}{{ v }}{{ loop.index }}{% endfor %}{% macro m(p) %}{{ p }}{{ q }}{% endmacro %}{{ m(1) }}{{ range(3) }}{{ lookup('env', 'X') }}{{ x | default(omit) }}";
    expect(names(freeVariables(t, 'value'))).toEqual(['d', 'q', 'x']);
    expect(names(freeVariables('{{ b }}{% set b = 1 %}', 'value'))).toEqual(['b']);
  });

  it("vars['x'] and lookup('vars', 'x') read x", () => {
    expect(names(freeVariables("{{ vars['port'] }} {{ lookup('vars', 'host') }} {{ vars[name] }}", 'value'))).toEqual([
      'host',
      'name',
      'port',
      'vars',
    ]);
  });

  it('conditions: bare expressions, lists of them, and {{ }} inside', () => {
    expect(names(freeVariables('x is defined and r.rc == 0', 'condition'))).toEqual(['r.rc', 'x']);
    expect(names(freeVariables(['a', true, '{{ b }} == 1'], 'condition'))).toEqual([ANY_VARIABLE, 'a', 'b']);
    expect(freeVariables(false, 'condition')).toEqual([]);
    // A syntax error is reported when evaluated; until then it may read anything.
    expect(freeVariables('a ==', 'condition')).toEqual([{ name: ANY_VARIABLE, path: [] }]);
  });

  it('a condition with {{ }} that is rendered, then evaluated, may read anything; a lone {{ x }} reads x', () => {
    expect(names(freeVariables('{{ flag }}', 'condition'))).toEqual(['flag']);
    expect(names(freeVariables('{{ name }} == 1', 'condition'))).toEqual([ANY_VARIABLE, 'name']);
    expect(names(freeVariables("ssh_login_user.stdout == 'root' and ssh_permit_root_login == 'no'", 'condition'))).toEqual([
      'ssh_login_user.stdout',
      'ssh_permit_root_login',
    ]);
    expect(names(freeVariables("hostvars['lab1'].token.stdout", 'condition'))).toEqual(['hostvars.lab1.token.stdout']);
    expect(names(freeVariables("'a' in [b, c[0]]", 'condition'))).toEqual(['b', 'c.0']);
  });

  it('what cannot be known from the text reads anything: include, template lookups, text that does not parse', () => {
    expect(names(freeVariables("{% include 'x.j2' %}", 'value'))).toEqual([ANY_VARIABLE]);
    expect(names(freeVariables("{{ lookup('template', 'x.j2') }}", 'value'))).toEqual([ANY_VARIABLE]);
    expect(names(freeVariables('{{ lookup(kind, x) }}', 'value'))).toEqual([ANY_VARIABLE, 'kind', 'x']);
    expect(names(freeVariables("{{ lookup('env', 'HOME') }}", 'value'))).toEqual([]);
    expect(names(freeVariables('{{#if x}}', 'value'))).toEqual([ANY_VARIABLE]);
  });
});

describe('freeVariablesHandlebars', () => {
  it('reads top-level paths, helper arguments, and parent paths from inside blocks', () => {
    const t =
      '{{ port }} {{#if tls}}{{ cert.path }}{{/if}} {{#each users}}{{ name }}{{ ../domain }}{{ @root.admin }}{{/each}} {{join list ","}} {{#each hosts as |h|}}{{ h.ip }}{{/each}}';
    expect(names(freeVariablesHandlebars(t))).toEqual(['admin', 'cert.path', 'domain', 'hosts', 'list', 'port', 'tls', 'users']);
  });

  it('helper names are not variables; their arguments are', () => {
    expect(names(freeVariablesHandlebars('{{quote admin_user}} {{default fleet_controller_ip "127.0.0.1"}} {{join list ","}}'))).toEqual([
      'admin_user',
      'fleet_controller_ip',
      'list',
    ]);
    expect(names(freeVariablesHandlebars('{{#if (eq item "v4")}}iptables{{else}}ip6tables{{/if}}'))).toEqual(['item']);
  });

  it('inside #each the body reads parts of the list; block params name elements; #with reads its subject', () => {
    expect(names(freeVariablesHandlebars('{{#each ports}}{{this}} {{proto}}{{/each}}'))).toEqual(['ports']);
    expect(names(freeVariablesHandlebars('{{#each rules as |rule|}}{{rule.port}}{{/each}}'))).toEqual(['rules']);
    expect(names(freeVariablesHandlebars('{{#with server as |s|}}{{s.name}} {{port}}{{/with}}'))).toEqual([
      'server',
      'server.name',
      'server.port',
    ]);
  });

  it('a dynamic part cuts the path; `this` at the top and text that does not parse read anything', () => {
    expect(names(freeVariablesHandlebars('{{lookup hostvars "lab1"}}'))).toEqual(['hostvars.lab1']);
    expect(
      names(freeVariablesHandlebars('{{#each groups.all as |h|}}{{lookup (lookup @root.hostvars h) "ansible_host"}}{{/each}}')),
    ).toEqual(['groups.all', 'hostvars']);
    expect(names(freeVariablesHandlebars('{{json this}}'))).toEqual([ANY_VARIABLE]);
    expect(names(freeVariablesHandlebars('{{#if x}}'))).toEqual([ANY_VARIABLE]);
  });
});

describe('freeVariablesInFile', () => {
  it('reads a .hbs file as handlebars and any other as Jinja; a missing file reads nothing (rendering it fails loudly)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-fv-'));
    try {
      writeFileSync(
        join(dir, 't.hbs'),
        'Port {{ssh_port}}\n{{#if ssh_kex_algorithms}}{{join ssh_kex_algorithms ","}}{{else}}{{ssh_kex_supported.stdout}}{{/if}}\n',
      );
      expect(names(freeVariablesInFile(join(dir, 't.hbs')))).toEqual(['ssh_kex_algorithms', 'ssh_kex_supported.stdout', 'ssh_port']);
      writeFileSync(
        join(dir, 't.j2'),
        '#jinja2: lstrip_blocks: True\nPort {{ ssh_port }}\n{% for u in users %}{{ u.name }} {{ domain }}{% endfor %}\n',
      );
      expect(names(freeVariablesInFile(join(dir, 't.j2')))).toEqual(['domain', 'ssh_port', 'users']);
      expect(freeVariablesInFile(join(dir, 'absent.hbs'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
