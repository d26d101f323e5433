import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/model/errors.js';
import {
  TemplateError,
  referencesHostvars,
  renderString,
  renderTemplateFile,
  renderValue,
  templateCacheStats,
} from '../../../src/template/index.js';

const origin = { file: 'roles/ssh/tasks.yml', line: 20, column: 9 };

function renderError(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateError);
    return e as TemplateError;
  }
  throw new Error('expected a TemplateError');
}

describe('renderString', () => {
  it('renders variables, nested paths and list indexes without escaping', () => {
    const ctx = { name: 'relay1', net: { cidr: '10.0.0.0/8' }, list: ['a<b>', 'c&d'] };
    expect(renderString('{{ name }} {{net.cidr}} {{ list.[0] }} {{list.[1]}}', ctx, origin)).toBe(
      'relay1 10.0.0.0/8 a<b> c&d',
    );
  });

  it('returns text without mustaches untouched', () => {
    expect(renderString('plain text { not } a template', {}, origin)).toBe('plain text { not } a template');
  });

  it('renders numbers and booleans as text, null as empty, lists and mappings as JSON', () => {
    const ctx = { n: 22, b: false, z: null, l: ['a', 1], m: { k: 'v' } };
    expect(renderString('{{n}} {{b}} [{{z}}] {{l}} {{m}}', ctx, origin)).toBe('22 false [] ["a",1] {"k":"v"}');
  });

  it('names the undefined variable, the file and the absolute line and column', () => {
    const text = 'Port 22\nListenAddress 0.0.0.0\nPort {{ ssh_port }}\n';
    const e = renderError(() => renderString(text, { other: 1 }, origin));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.file).toBe('roles/ssh/tasks.yml');
    expect(e.line).toBe(origin.line + 2);
    expect(e.column).toBe(6);
    expect(e.variable).toBe('ssh_port');
    expect(e.message).toBe(`roles/ssh/tasks.yml:22:6: undefined variable 'ssh_port'`);
  });

  it('offsets the column by the origin column on the first line', () => {
    const e = renderError(() => renderString('x {{ missing }}', {}, origin));
    expect(e.line).toBe(20);
    expect(e.column).toBe(origin.column + 2);
  });

  it('names the whole path when a nested key or a list index is missing', () => {
    expect(renderError(() => renderString('{{ a.b.c }}', { a: {} }, origin)).message).toContain("undefined variable 'a.b.c'");
    expect(renderError(() => renderString('{{ a.b }}', {}, origin)).variable).toBe('a.b');
    expect(renderError(() => renderString('{{ list.[3] }}', { list: [1] }, origin)).variable).toBe('list.[3]');
  });

  it('a defined null is not an error', () => {
    expect(renderString('[{{ a.b }}]', { a: { b: null } }, origin)).toBe('[]');
  });

  it('treats #if / #unless / #each / #with on undefined values as false or empty', () => {
    const t = '{{#if x}}X{{else}}noX{{/if}}|{{#unless y}}noY{{/unless}}|{{#each l}}item{{else}}empty{{/each}}|{{#with w}}W{{/with}}';
    expect(renderString(t, {}, origin)).toBe('noX|noY|empty|');
    expect(renderString('{{#if a.b.c}}yes{{else}}no{{/if}}', {}, origin)).toBe('no');
    expect(renderString('{{#each a.list}}i{{/each}}.', { a: null }, origin)).toBe('.');
    expect(renderString('{{#if x}}X{{else if y}}Y{{else}}none{{/if}}', {}, origin)).toBe('none');
    expect(renderString('{{#section}}S{{/section}}.', {}, origin)).toBe('.');
  });

  it('still errors on undefined variables inside a block that runs', () => {
    const text = '{{#if on}}\nline2\n{{ nope }}\n{{/if}}';
    const e = renderError(() => renderString(text, { on: true }, origin));
    expect(e.line).toBe(22);
    expect(e.variable).toBe('nope');
  });

  it('iterates with this, @index, block params and parent access', () => {
    const ctx = { users: [{ name: 'ann' }, { name: 'bob' }], domain: 'ex.org' };
    expect(renderString('{{#each users}}{{@index}}:{{name}}@{{../domain}} {{/each}}', ctx, origin)).toBe(
      '0:ann@ex.org 1:bob@ex.org ',
    );
    expect(renderString('{{#each users as |u|}}{{u.name}},{{/each}}', ctx, origin)).toBe('ann,bob,');
    expect(renderString('{{#each names}}[{{this}}]{{/each}}', { names: ['x', 'y'] }, origin)).toBe('[x][y]');
  });

  it('errors (not a TypeError) on a missing key of a list item that is not a mapping', () => {
    const e = renderError(() => renderString('{{#each items}}{{ port }}{{/each}}', { items: [80] }, origin));
    expect(e.variable).toBe('port');
  });

  it('strict helper arguments must be defined, tolerant ones may be undefined', () => {
    const e = renderError(() => renderString('a\n{{upper missing}}', {}, origin));
    expect(e.line).toBe(21);
    expect(e.message).toContain("undefined variable 'missing'");
    expect(renderError(() => renderString('{{join (default x y) ","}}', {}, origin)).message).toContain("'join");
    expect(renderString('{{#if (eq mode "x")}}x{{else}}other{{/if}}', {}, origin)).toBe('other');
  });

  it('errors when a helper call gives undefined, quoting the call', () => {
    const e = renderError(() => renderString('{{lookup hosts "relay9"}}', { hosts: {} }, origin));
    expect(e.message).toContain(`'lookup hosts "relay9"' gave an undefined value`);
  });

  it('rejects unknown helpers with the line', () => {
    const e = renderError(() => renderString('ok\n\n{{ frobnicate x }}', { x: 1 }, origin));
    expect(e.line).toBe(22);
    expect(e.message).toContain("unknown helper 'frobnicate'");
  });

  it('reports syntax errors with the line, and hints at Jinja filters', () => {
    const e = renderError(() => renderString('one\n{{ port | default(22) }}', {}, origin));
    expect(e.line).toBe(21);
    expect(e.message).toContain('template syntax error');
    expect(e.message).toContain('Jinja filters');
    const e2 = renderError(() => renderString('a\n{{#if x}}\nb\n{{/each}}', {}, origin));
    expect(e2.line).toBe(21); // handlebars points at the block that is not closed
    expect(e2.message).toContain("if doesn't match each");
  });

  it('rejects partials', () => {
    expect(renderError(() => renderString('{{> header}}', {}, origin)).message).toContain('partials');
  });

  it('honours whitespace control and standalone block lines', () => {
    expect(renderString('a\n{{#if x}}\nX\n{{/if}}\nb {{~ y ~}}  c', { x: 1, y: 2 }, origin)).toBe('a\nX\nb2c');
  });

  it('compiles each distinct text once', () => {
    const text = `cache-probe-${Math.random()} {{ v }}`;
    const before = templateCacheStats().compiles;
    for (let i = 0; i < 50; i++) expect(renderString(text, { v: i }, origin)).toMatch(/ \d+$/);
    expect(templateCacheStats().compiles - before).toBe(1);
    renderString(`${text} other`, { v: 1 }, origin);
    expect(templateCacheStats().compiles - before).toBe(2);
  });

  it('reports a cached failing template with each caller’s origin', () => {
    const text = 'x {{ nope_cached }}';
    expect(renderError(() => renderString(text, {}, { file: 'a.yml', line: 1 })).message).toBe("a.yml:1:3: undefined variable 'nope_cached'");
    expect(renderError(() => renderString(text, {}, { file: 'b.yml', line: 7 })).message).toBe("b.yml:7:3: undefined variable 'nope_cached'");
  });
});

describe('renderValue', () => {
  const ctx = { ports: [22, 2222], port: 22, on: true, cfg: { a: 1 }, name: 'relay', nothing: null };

  it('keeps the type of a lone expression, like Ansible', () => {
    expect(renderValue('{{ ports }}', ctx, origin)).toEqual([22, 2222]);
    expect(renderValue('{{port}}', ctx, origin)).toBe(22);
    expect(renderValue('{{ on }}', ctx, origin)).toBe(true);
    expect(renderValue('{{ cfg }}', ctx, origin)).toEqual({ a: 1 });
    expect(renderValue('{{ nothing }}', ctx, origin)).toBeNull();
    expect(renderValue('{{default missing 8080}}', ctx, origin)).toBe(8080);
    expect(renderValue('{{ ports.[1] }}', ctx, origin)).toBe(2222);
  });

  it('renders other strings to strings', () => {
    expect(renderValue('port {{ port }}', ctx, origin)).toBe('port 22');
    expect(renderValue('{{ port }}{{ port }}', ctx, origin)).toBe('2222');
    expect(renderValue('{{ port }}\n', ctx, origin)).toBe('22\n');
    expect(renderValue('no template', ctx, origin)).toBe('no template');
  });

  it('recurses through lists and mappings and leaves other values alone', () => {
    const raw = { name: '{{ name }}-1', list: ['{{ port }}', 'x', 3, { deep: '{{ ports }}' }], n: 5, b: false, z: null };
    expect(renderValue(raw, ctx, origin)).toEqual({
      name: 'relay-1',
      list: [22, 'x', 3, { deep: [22, 2222] }],
      n: 5,
      b: false,
      z: null,
    });
    expect(raw.name).toBe('{{ name }}-1'); // input not mutated
  });

  it('is strict too', () => {
    const e = renderError(() => renderValue({ a: ['{{ ok }}', '{{ missing }}'] }, { ok: 1 }, origin));
    expect(e.variable).toBe('missing');
  });
});

describe('renderTemplateFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-tpl-'));

  it('renders a file', () => {
    const f = join(dir, 'sshd.conf.hbs');
    writeFileSync(f, 'Port {{ port }}\n{{#each users}}AllowUsers {{this}}\n{{/each}}');
    expect(renderTemplateFile(f, { port: 2222, users: ['ann', 'bob'] })).toBe('Port 2222\nAllowUsers ann\nAllowUsers bob\n');
  });

  it('names the template file and line of an undefined variable', () => {
    const f = join(dir, 'torrc.hbs');
    writeFileSync(f, 'SocksPort 0\n\nHiddenServicePort {{ onion_port }} 127.0.0.1:80\n');
    const e = renderError(() => renderTemplateFile(f, {}));
    expect(e.file).toBe(f);
    expect(e.line).toBe(3);
    expect(e.column).toBe(19);
    expect(e.message).toBe(`${f}:3:19: undefined variable 'onion_port'`);
  });

  it('names a missing file', () => {
    const f = join(dir, 'absent.hbs');
    const e = renderError(() => renderTemplateFile(f, {}));
    expect(e.file).toBe(f);
    expect(e.message).toContain('ENOENT');
  });
});

describe('referencesHostvars', () => {
  it('finds hostvars in templates and expressions, at any depth', () => {
    expect(referencesHostvars('{{ lookup hostvars "lab1" }}')).toBe(true);
    expect(referencesHostvars({ a: [1, { b: "hostvars['lab1'].ip is defined" }] })).toBe(true);
    expect(referencesHostvars(['{{ hostvars.lab1.swarm_token }}'])).toBe(true);
  });

  it('is false otherwise', () => {
    expect(referencesHostvars({ a: ['{{ host_vars }}', 'myhostvarsfile', 3, true, null] })).toBe(false);
    expect(referencesHostvars(undefined)).toBe(false);
    expect(referencesHostvars(false)).toBe(false);
  });
});
