// The variables a raw value reads, from the parsed templates.
import { describe, expect, it } from 'vitest';
import { freeVariables, freeVariablesHandlebars } from '../../../src/template/index.js';

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
    expect(names(freeVariables(['a', true, '{{ b }} == 1'], 'condition'))).toEqual(['a', 'b']);
    expect(freeVariables(false, 'condition')).toEqual([]);
    expect(freeVariables('a ==', 'condition')).toEqual([]); // a syntax error is reported when evaluated
  });
});

describe('freeVariablesHandlebars', () => {
  it('reads top-level paths, helper arguments, and parent paths from inside blocks', () => {
    const t =
      '{{ port }} {{#if tls}}{{ cert.path }}{{/if}} {{#each users}}{{ name }}{{ ../domain }}{{ @root.admin }}{{/each}} {{join list ","}} {{#each hosts as |h|}}{{ h.ip }}{{/each}}';
    expect(names(freeVariablesHandlebars(t))).toEqual(['admin', 'cert.path', 'domain', 'hosts', 'list', 'port', 'tls', 'users']);
  });
});
