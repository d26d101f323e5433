// Variables are templates until used: resolved when read, in the scope of the context (the
// host) reading them, to any depth, cached per context; cycles and undefined names are
// errors naming the chain with each variable's file:line.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Lazy,
  VarChainError,
  assignVars,
  contextView,
  evalExpression,
  lazyHostvars,
  renderTemplateFile,
  renderValue,
  resolveVar,
} from '../../../src/template/index.js';
import type { VarOrigin } from '../../../src/template/index.js';
import { templateError as thrown } from './hbs.js';

const use = { file: 'roles/matrix/tasks.yml', line: 4, column: 5 };


/** A context built as the engine does: layers lowest first, each with where it was written. */
function context(layers: [Record<string, unknown>, (k: string) => VarOrigin][]): Record<string, unknown> {
  const ctx: Record<string, unknown> = {};
  for (const [vars, origin] of layers) assignVars(ctx, vars, origin);
  return ctx;
}

describe('lazy variables', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-lazy-'));
  const groupVars = join(dir, 'group_vars', 'all.yml');
  const hostVars = join(dir, 'host_vars', 'h1.yml');
  const play = join(dir, 'site.yml');
  writeFileSync(
    join(dir, 'site.yml'),
    '- hosts: all\n  vars:\n    root: "/srv/{{ inventory_hostname }}"\n    site_url: "https://{{ matrix_domain }}/{{ root | basename }}"\n  roles: [matrix]\n',
  );
  const inv = (k: string): VarOrigin => ({
    file: k === 'matrix_domain' || k === 'base_domain' ? groupVars : hostVars,
    line: k === 'base_domain' ? 2 : 3,
    column: 1,
  });
  const playVar = (): VarOrigin => ({ file: play, line: 1, findKey: true });

  it("resolve through chains across layers, in the reading host's scope", () => {
    const ctx = context([
      [{ base_domain: 'example.org', matrix_domain: 'matrix.{{ base_domain }}' }, inv],
      [{ root: '/srv/{{ inventory_hostname }}', site_url: 'https://{{ matrix_domain }}/{{ root | basename }}' }, playVar],
    ]);
    ctx.inventory_hostname = 'h1';
    expect(renderValue('{{ site_url }}', ctx, use)).toBe('https://matrix.example.org/h1');
    expect(renderValue({ dest: '{{ root }}/conf' }, ctx, use)).toEqual({ dest: '/srv/h1/conf' });
    expect(evalExpression("matrix_domain.startswith('matrix.')", ctx, use)).toBe(true);
  });

  it('a value that is a list or mapping of templates resolves element by element, keeping types', () => {
    const ctx = context([
      [{ ssh_port: 2222, allow: [{ port: '{{ ssh_port }}', from: ['{{ admin_net }}'] }], admin_net: '10.0.0.0/8' }, inv],
    ]);
    expect(renderValue('{{ allow }}', ctx, use)).toEqual([{ port: 2222, from: ['10.0.0.0/8'] }]);
    expect(renderValue('{{ allow[0].port + 1 }}', ctx, use)).toBe(2223);
  });

  it('a variable resolves in the context that reads it (a loop item spread onto the task context)', () => {
    const base = context([[{ path: '/srv/{{ item }}' }, playVar]]);
    expect(renderValue('{{ path }}', { ...base, item: 'a' }, use)).toBe('/srv/a');
    expect(renderValue('{{ path }}', { ...base, item: 'b' }, use)).toBe('/srv/b');
  });

  it('is resolved once per context', () => {
    const ctx = context([[{ l: ['{{ a }}', '{{ a }}'], a: 1 }, inv]]);
    const first = renderValue('{{ l }}', ctx, use);
    expect(first).toEqual([1, 1]);
    expect(renderValue('{{ l }}', ctx, use)).toBe(first);
  });

  it("an undefined name names the chain, each variable's file:line, and where it was used", () => {
    writeFileSync(join(dir, 'g.yml'), 'base: x\nmatrix_domain: "matrix.{{ base_domain }}"\n');
    const ctx = context([
      [{ matrix_domain: 'matrix.{{ base_domain }}' }, () => ({ file: join(dir, 'g.yml'), line: 2, column: 1 })],
      [{ matrix_url: 'https://{{ matrix_domain }}' }, playVar],
    ]);
    const e = thrown(() => renderValue({ content: 'url={{ matrix_url }}\n' }, ctx, use));
    expect(e).toBeInstanceOf(VarChainError);
    expect(e.message).toBe(
      `${join(dir, 'g.yml')}:2:27: matrix_url -> matrix_domain: undefined variable 'base_domain' (matrix_url: ${play}:1, matrix_domain: ${join(dir, 'g.yml')}:2; used at roles/matrix/tasks.yml:4)`,
    );
    expect(e.variable).toBe('base_domain');
  });

  it("a cycle names the chain with each variable's file:line", () => {
    const cyclePlay = join(dir, 'cycle.yml');
    writeFileSync(cyclePlay, '- hosts: all\n  vars:\n    a: "{{ b }}"\n    b: "x{{ c }}"\n    c: "{{ a | upper }}"\n');
    const ctx = context([[{ a: '{{ b }}', b: 'x{{ c }}', c: '{{ a | upper }}' }, () => ({ file: cyclePlay, line: 1, findKey: true })]]);
    const e = thrown(() => renderValue('{{ a }}', ctx, use)) as VarChainError;
    expect(e.cycle).toBe(true);
    expect(e.message).toBe(
      `${cyclePlay}:3:5: a -> b -> c -> a: the variables refer to each other in a cycle (a: ${cyclePlay}:3, b: ${cyclePlay}:4, c: ${cyclePlay}:5; used at roles/matrix/tasks.yml:4)`,
    );
    const self = context([[{ path: '{{ path }}/x' }, playVar]]);
    expect(thrown(() => renderValue('{{ path }}', self, use)).message).toContain(
      'path -> path: the variables refer to each other in a cycle',
    );
    // A variable that leads into a cycle is named before it.
    const lead = context([[{ x: '{{ a }}', a: '{{ b }}', b: '{{ a }}' }, playVar]]);
    expect(thrown(() => renderValue('{{ x }}', lead, use)).message).toContain(
      'x -> a -> b -> a: the variables refer to each other in a cycle',
    );
  });

  it('an unused variable with an error is no error (as in Ansible)', () => {
    const ctx = context([[{ broken: '{{ nope }}', fine: 'ok' }, inv]]);
    expect(renderValue('{{ fine }}', ctx, use)).toBe('ok');
  });

  it('hostvars[h].x resolves x as host h sees it', () => {
    const entries: Record<string, Record<string, unknown>> = {};
    const hostvars = lazyHostvars(['h1', 'h2'], (name) => entries[name]);
    for (const name of ['h1', 'h2']) {
      entries[name] = context([[{ addr: '10.0.0.{{ n }}', n: name === 'h1' ? 1 : 2, url: 'http://{{ addr }}:80' }, inv]]);
      Object.assign(entries[name], { inventory_hostname: name, hostvars });
    }
    const ctx = { ...entries.h1 };
    expect(renderValue("{{ hostvars['h2'].url }} {{ url }}", ctx, use)).toBe('http://10.0.0.2:80 http://10.0.0.1:80');
    expect(renderValue("{{ groups_all | map('extract', hostvars, 'addr') | list }}", { ...ctx, groups_all: ['h1', 'h2'] }, use)).toEqual([
      '10.0.0.1',
      '10.0.0.2',
    ]);
    expect(renderValue('{{ hostvars.h3 is defined }}', ctx, use)).toBe(false);
  });

  it('objects that are not plain data (a secrets store with getters or a Proxy) pass through untouched', () => {
    let decrypted = 0;
    const secrets = new Proxy({} as Record<string, string>, {
      get: (_t, k) => (typeof k === 'string' && k === 'db' ? (decrypted++, 's3cret') : undefined),
      has: (_t, k) => k === 'db',
    });
    class Store {
      get api(): string {
        decrypted++;
        return 'k3y';
      }
    }
    const ctx = context([[{ secrets, store: new Store(), dsn: 'postgres://u:{{ secrets.db }}@db' }, inv]]);
    expect(ctx.secrets).toBe(secrets);
    expect(decrypted).toBe(0);
    expect(renderValue('{{ dsn }}', ctx, use)).toBe('postgres://u:s3cret@db');
    expect(decrypted).toBe(1);
    expect(renderValue('{{ secrets.nope is defined }}', ctx, use)).toBe(false);
  });

  it('resolveVar and contextView give code outside templates the resolved values', () => {
    const ctx = context([[{ port: '{{ base + 1 }}', base: 8000 }, inv]]);
    expect(ctx.port).toBeInstanceOf(Lazy);
    expect(resolveVar(ctx, 'port')).toBe(8001);
    expect(resolveVar(ctx, 'absent')).toBeUndefined();
    expect(contextView(ctx).port).toBe(8001);
  });

  it('.hbs templates read lazy variables too', () => {
    const f = join(dir, 'a.conf.hbs');
    writeFileSync(f, 'url={{ url }}\n');
    const ctx = context([[{ url: 'https://{{ domain }}', domain: 'ex.org' }, inv]]);
    expect(renderTemplateFile(f, ctx)).toBe('url=https://ex.org\n');
  });
});
