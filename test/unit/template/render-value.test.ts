// YAML values (task parameters, loops, variables) are Jinja: types, omit, handlebars
// written by mistake, and errors that point at the right line of the file.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referencesHostvars, renderString, renderValue, templateCacheStats } from '../../../src/template/index.js';
import { templateError as thrown } from './hbs.js';
import { j, jinjaError, jv, origin } from './jinja.js';

describe('renderValue', () => {
  it('a value that renders to a Python literal is that data, as in Ansible (a block scalar building a list)', () => {
    const o = { file: 'group_vars/all.yml', line: 1 };
    expect(renderValue("{{\n  (['a'] if x else [])\n  +\n  ['b']\n}}\n", { x: true }, o)).toEqual(['a', 'b']);
    expect(renderValue('[{{ a }}, "{{ b }}", None, -1]', { a: 1, b: 'x' }, o)).toEqual([1, 'x', null, -1]);
    expect(renderValue("{{ '{' }}'k': True}", {}, o)).toEqual({ k: true });
    expect(renderValue('{{ a }}{{ b }}', { a: 'Tr', b: 'ue' }, o)).toBe(true);
    // JSON is not a Python literal (true, null): it stays text; so does anything else.
    expect(renderValue('{{ "{" }}"a": true}', {}, o)).toBe('{"a": true}');
    expect(renderValue('[{{ a }}] and more', { a: 1 }, o)).toBe('[1] and more');
    expect(renderValue('{{ d | to_json }}', { d: { a: 1 } }, o)).toBe('{"a": 1}');
    // Task text (renderString) is never read back.
    expect(renderString('[{{ a }}]', { a: 1 }, o)).toBe('[1]');
  });

  const ctx = { ports: [22, 2222], port: 22, on: true, cfg: { a: 1 }, name: 'relay', nothing: null };

  it('a lone expression keeps its type, like Ansible', () => {
    expect(jv('{{ ports }}', ctx)).toEqual([22, 2222]);
    expect(jv('{{port}}', ctx)).toBe(22);
    expect(jv('{{ on }}', ctx)).toBe(true);
    expect(jv('{{ cfg }}', ctx)).toEqual({ a: 1 });
    expect(jv('{{ nothing }}', ctx)).toBeNull();
    expect(jv('{{ missing | default(8080) }}', ctx)).toBe(8080);
    expect(jv('{{ ports[1] }}', ctx)).toBe(2222);
  });

  it('renders other strings to strings', () => {
    expect(jv('port {{ port }}', ctx)).toBe('port 22');
    expect(jv('{{ port }}{{ port }}', ctx)).toBe('2222');
    expect(jv('{{ port }}\n', ctx)).toBe('22\n');
    expect(jv('no template', ctx)).toBe('no template');
    expect(jv('{% if on %}yes{% endif %}', ctx)).toBe('yes');
  });

  it('recurses through lists and mappings and leaves other values alone', () => {
    const raw = { name: '{{ name }}-1', list: ['{{ port }}', 'x', 3, { deep: '{{ ports }}' }], n: 5, b: false, z: null };
    expect(jv(raw, ctx)).toEqual({ name: 'relay-1', list: [22, 'x', 3, { deep: [22, 2222] }], n: 5, b: false, z: null });
    expect(raw.name).toBe('{{ name }}-1'); // input not mutated
  });

  it('is strict', () => {
    expect(thrown(() => jv({ a: ['{{ ok }}', '{{ missing }}'] }, { ok: 1 })).variable).toBe('missing');
  });

  it('a shell ${#var} is Jinja comment syntax, as in Ansible: an error, not silently eaten', () => {
    expect(jinjaError('echo ${#list[@]}').message).toContain('missing end of comment tag');
  });
});

describe('handlebars written in a YAML value', () => {
  it.each([
    ['{{#if tls}}443{{/if}}', 'handlebars block {{#if}} in a Jinja template: write {% if tls %}'],
    ["{{#if (eq item 'v4')}}iptables{{/if}}", "write {% if item == 'v4' %}"],
    ['{{#unless (and a (not b))}}x{{/unless}}', 'write {% if not (a and (not b)) %}'],
    ['{{#if (not (or a b))}}x{{/if}}', 'write {% if not (a or b) %}'],
    ['{{#each users}}{{this}}{{/each}}', 'write {% for item in users %}'],
    ['a{{/if}}', 'write {% endif %}'],
    ['{{#if a}}x{{else}}y{{/if}}', 'write {% if a %}'],
    ['x {{else}} y', 'handlebars {{else}} in a Jinja template: write {% else %}'],
    ['{{this}}', 'write {{ item }} inside {% for item in ... %}'],
    ['{{ list.[0] }}', 'write {{ list[0] }}'],
    ['{{quote admin_user}}', 'write {{ admin_user | quote }}'],
    ["{{default fleet_controller_ip '127.0.0.1'}}", "write {{ fleet_controller_ip | default('127.0.0.1') }}"],
    ['{{join l ","}}', 'write {{ l | join(",") }}'],
    ['{{eq item "v4"}}', 'write {{ item == "v4" }}'],
    ['{{{raw}}}', 'write {{ raw }}'],
    ["--format '\\{{.Names}}'", "write {{ '{{' }} for literal braces, or wrap the text in {% raw %}...{% endraw %}"],
    ['{{> partial}}', "write {% include 'name' %}"],
  ])('%s', (text, hint) => {
    const e = jinjaError(text);
    expect(e.message).toContain(hint);
    expect(e.line).toBe(origin.line);
  });

  it('valid Jinja that looks alike is not mistaken for handlebars', () => {
    expect(j('{{ not x }} {{ first }} {% raw %}{{#if}}{% endraw %}', { x: false, first: 1 })).toBe('True 1 {{#if}}');
  });
});

describe('error positions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-pos-'));
  const file = join(dir, 'tasks.yml');
  writeFileSync(
    file,
    [
      '- name: first', //                           1
      '  shell: echo {{ ok }}', //                   2
      '- name: configure', //                        3
      '  copy:', //                                  4
      '    dest: /etc/app.conf', //                  5
      '    content: |', //                           6
      '      [main]', //                             7
      '      name = {{ name }}', //                  8
      '      {% if tls %}', //                       9
      '      cert = /etc/ssl/{{ name }}.pem', //     10
      '      key = {{ tls_key_path }}', //           11
      '      {% endif %}', //                        12
      '    mode: "0644"', //                         13
    ].join('\n') + '\n',
  );
  const content = '[main]\nname = {{ name }}\n{% if tls %}\ncert = /etc/ssl/{{ name }}.pem\nkey = {{ tls_key_path }}\n{% endif %}\n';

  it('an error on a line of a block scalar points at that line and column of the file', () => {
    const e = thrown(() => renderValue({ dest: '/etc/app.conf', content }, { name: 'n', tls: true }, { file, line: 3, column: 3 }));
    expect(e.message).toBe(`${file}:11:16: undefined variable 'tls_key_path'`);
  });

  it('a single-line value points at its column', () => {
    const e = thrown(() => renderString('echo {{ ok }}', {}, { file, line: 1, column: 3 }));
    expect([e.line, e.column]).toEqual([2, 18]);
  });

  it('a cached failing text is reported with each caller’s origin', () => {
    const text = 'x {{ nope_cached }}';
    expect(thrown(() => renderString(text, {}, { file: 'a.yml', line: 1 })).message).toBe("a.yml:1:6: undefined variable 'nope_cached'");
    expect(thrown(() => renderString(text, {}, { file: 'b.yml', line: 7 })).message).toBe("b.yml:7:6: undefined variable 'nope_cached'");
  });
});

describe('parsing is cached', () => {
  it('parses each distinct text once', () => {
    const text = `cache-probe-${Math.random()} {{ v }}`;
    const before = templateCacheStats().compiles;
    for (let i = 0; i < 50; i++) expect(j(text, { v: i })).toMatch(/ \d+$/);
    expect(templateCacheStats().compiles - before).toBe(1);
  });
});

describe('referencesHostvars', () => {
  it('finds hostvars in templates and expressions, at any depth', () => {
    expect(referencesHostvars({ a: [1, { b: "hostvars['lab1'].ip is defined" }] })).toBe(true);
    expect(referencesHostvars(['{{ hostvars.lab1.swarm_token }}'])).toBe(true);
    expect(referencesHostvars({ a: ['{{ host_vars }}', 'myhostvarsfile', 3, true, null] })).toBe(false);
    expect(referencesHostvars(undefined)).toBe(false);
  });
});
