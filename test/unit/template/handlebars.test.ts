// .hbs template files: handlebars, strict (fleet's own roles).
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/model/errors.js';
import { Lazy, lazyHostvars, renderTemplateFile, templateCacheStats } from '../../../src/template/index.js';
import { hbs, hbsFile, templateError } from './hbs.js';

describe('handlebars templates', () => {
  it('renders variables, nested paths and list indexes without escaping', () => {
    const ctx = { name: 'relay1', net: { cidr: '10.0.0.0/8' }, list: ['a<b>', 'c&d'] };
    expect(hbs('{{ name }} {{net.cidr}} {{ list.[0] }} {{list.[1]}}', ctx)).toBe('relay1 10.0.0.0/8 a<b> c&d');
  });

  it('renders numbers and booleans as text, null as empty, lists and mappings as JSON', () => {
    const ctx = { n: 22, b: false, z: null, l: ['a', 1], m: { k: 'v' } };
    expect(hbs('{{n}} {{b}} [{{z}}] {{l}} {{m}}', ctx)).toBe('22 false [] ["a",1] {"k":"v"}');
  });

  it('names the undefined variable, the file, line and column', () => {
    const f = hbsFile('Port 22\nListenAddress 0.0.0.0\nPort {{ ssh_port }}\n', 'sshd.hbs');
    const e = templateError(() => renderTemplateFile(f, { other: 1 }));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.file).toBe(f);
    expect([e.line, e.column]).toEqual([3, 6]);
    expect(e.variable).toBe('ssh_port');
    expect(e.message).toBe(`${f}:3:6: undefined variable 'ssh_port'`);
  });

  it('names the whole path when a nested key or a list index is missing', () => {
    expect(templateError(() => hbs('{{ a.b.c }}', { a: {} })).message).toContain("undefined variable 'a.b.c'");
    expect(templateError(() => hbs('{{ a.b }}')).variable).toBe('a.b');
    expect(templateError(() => hbs('{{ list.[3] }}', { list: [1] })).variable).toBe('list.[3]');
  });

  it('a defined null is not an error', () => {
    expect(hbs('[{{ a.b }}]', { a: { b: null } })).toBe('[]');
  });

  it('treats #if / #unless / #each / #with on undefined values as false or empty', () => {
    const t = '{{#if x}}X{{else}}noX{{/if}}|{{#unless y}}noY{{/unless}}|{{#each l}}item{{else}}empty{{/each}}|{{#with w}}W{{/with}}';
    expect(hbs(t)).toBe('noX|noY|empty|');
    expect(hbs('{{#if a.b.c}}yes{{else}}no{{/if}}')).toBe('no');
    expect(hbs('{{#each a.list}}i{{/each}}.', { a: null })).toBe('.');
    expect(hbs('{{#if x}}X{{else if y}}Y{{else}}none{{/if}}')).toBe('none');
    expect(hbs('{{#section}}S{{/section}}.')).toBe('.');
  });

  it('still errors on undefined variables inside a block that runs', () => {
    const e = templateError(() => hbs('{{#if on}}\nline2\n{{ nope }}\n{{/if}}', { on: true }));
    expect(e.line).toBe(3);
    expect(e.variable).toBe('nope');
  });

  it('iterates with this, @index, block params and parent access', () => {
    const ctx = { users: [{ name: 'ann' }, { name: 'bob' }], domain: 'ex.org' };
    expect(hbs('{{#each users}}{{@index}}:{{name}}@{{../domain}} {{/each}}', ctx)).toBe('0:ann@ex.org 1:bob@ex.org ');
    expect(hbs('{{#each users as |u|}}{{u.name}},{{/each}}', ctx)).toBe('ann,bob,');
    expect(hbs('{{#each names}}[{{this}}]{{/each}}', { names: ['x', 'y'] })).toBe('[x][y]');
  });

  it('errors (not a TypeError) on a missing key of a list item that is not a mapping', () => {
    expect(templateError(() => hbs('{{#each items}}{{ port }}{{/each}}', { items: [80] })).variable).toBe('port');
  });

  it('strict helper arguments must be defined, tolerant ones may be undefined', () => {
    const e = templateError(() => hbs('a\n{{upper missing}}'));
    expect(e.line).toBe(2);
    expect(e.message).toContain("undefined variable 'missing'");
    expect(templateError(() => hbs('{{join (default x y) ","}}')).message).toContain("'join");
    expect(hbs('{{#if (eq mode "x")}}x{{else}}other{{/if}}')).toBe('other');
  });

  it('errors when a helper call gives undefined, quoting the call', () => {
    expect(templateError(() => hbs('{{lookup hosts "relay9"}}', { hosts: {} })).message).toContain(
      `'lookup hosts "relay9"' gave an undefined value`,
    );
  });

  it('rejects unknown helpers with the line', () => {
    const e = templateError(() => hbs('ok\n\n{{ frobnicate x }}', { x: 1 }));
    expect(e.line).toBe(3);
    expect(e.message).toContain("unknown helper 'frobnicate'");
  });

  it('reports syntax errors with the line, and hints at Jinja filters', () => {
    const e = templateError(() => hbs('one\n{{ port | default(22) }}'));
    expect(e.line).toBe(2);
    expect(e.message).toContain('template syntax error');
    expect(e.message).toContain('Jinja filters');
    const e2 = templateError(() => hbs('a\n{{#if x}}\nb\n{{/each}}'));
    expect(e2.line).toBe(2); // handlebars points at the block that is not closed
    expect(e2.message).toContain("if doesn't match each");
  });

  it('a Jinja tag or comment in a .hbs file is an error with its line and column', () => {
    const f = hbsFile('listen 80;\n  {% if tls %}\nlisten 443;\n{% endif %}\n', 'nginx.conf.hbs');
    const e = templateError(() => renderTemplateFile(f, { tls: true }));
    expect(e.message).toMatch(new RegExp(`^${f.replace(/[.]/g, '\\.')}:2:3: Jinja tag \\{% in a handlebars \\(\\.hbs\\) template`));
    expect(templateError(() => hbs('a {# note #} b')).message).toMatch(/:1:3: Jinja comment \{#/);
    // A shell's ${#array[@]} and handlebars' own {{#each}} are not Jinja.
    expect(hbs('n=${#a[@]} {{#each l}}{{this}}{{/each}}', { l: [1] })).toBe('n=${#a[@]} 1');
    // Inside a raw block anything goes.
    expect(hbs('{{{{raw}}}}{% x %}{{{{/raw}}}}')).toBe('{% x %}');
  });

  it('rejects partials', () => {
    expect(templateError(() => hbs('{{> header}}')).message).toContain('partials');
  });

  it('honours whitespace control and standalone block lines', () => {
    expect(hbs('a\n{{#if x}}\nX\n{{/if}}\nb {{~ y ~}}  c', { x: 1, y: 2 })).toBe('a\nX\nb2c');
  });

  it('literal braces: \\{{ and {{{{raw}}}} blocks (docker and Go templates)', () => {
    expect(hbs("docker ps --format '\\{{.Names}}' {{ flag }}", { flag: '-a' })).toBe("docker ps --format '{{.Names}}' -a");
    expect(hbs('{{{{raw}}}}{{json .}} {{ x }}{{{{/raw}}}} {{ y }}', { y: 1 })).toBe('{{json .}} {{ x }} 1');
  });

  it('compiles each distinct text once', () => {
    const f = hbsFile(`cache-probe-${Math.random()} {{ v }}`);
    const before = templateCacheStats().compiles;
    for (let i = 0; i < 50; i++) expect(renderTemplateFile(f, { v: i })).toMatch(/ \d+$/);
    expect(templateCacheStats().compiles - before).toBe(1);
  });

  it('reads variables that are still templates (resolved when read, in the context)', () => {
    const ctx = { domain: 'ex.org', url: new Lazy('url', 'https://{{ domain }}/', { file: 'group_vars/all.yml', line: 2 }) };
    expect(hbs('{{ url }} {{#if url}}set{{/if}}', ctx)).toBe('https://ex.org/ set');
    const hostvars = lazyHostvars(['a', 'b'], (h) => ({
      ip: h === 'a' ? '10.0.0.1' : '10.0.0.2',
      name: new Lazy('name', '{{ ip }}-x', { file: 'h.yml' }),
    }));
    expect(hbs('{{#each groups}}{{lookup (lookup ../hostvars this) "name"}} {{/each}}', { groups: ['a', 'b'], hostvars })).toBe(
      '10.0.0.1-x 10.0.0.2-x ',
    );
  });

  it('names a missing file', () => {
    const f = '/nonexistent/absent.hbs';
    const e = templateError(() => renderTemplateFile(f, {}));
    expect(e.file).toBe(f);
    expect(e.message).toContain('ENOENT');
  });
});
