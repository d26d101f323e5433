// ContextCache: one context per host runtime, scope and role while the run's generation and
// the cache's epoch stand. Every case compares what the cache gives with what buildContext
// builds afresh for the same inputs, so a cache that ignores a registered value, a fact or a
// task's own vars fails here.
import { describe, expect, it } from 'vitest';
import { ContextCache } from '../../../src/engine/context-cache.js';
import { buildContext, groupsMap, type HostRuntime, type VarsScope } from '../../../src/engine/vars.js';
import type { Vars } from '../../../src/model/inventory.js';
import type { RoleRef, Task } from '../../../src/model/playbook.js';
import { resolveVar } from '../../../src/template/index.js';
import { host, inventory, play, role, task } from './fixtures.js';

function setup() {
  const h = host('h1', { light_root: '/srv/h1', path: '{{ light_root }}/etc' });
  const inv = inventory([h, host('h2')]);
  const rt: HostRuntime = { host: h, registered: {}, sshPort: 22, controllerIp: '10.0.0.9' };
  const scope: VarsScope = {
    inventory: inv, groups: groupsMap(inv), extraVars: {}, mode: 'apply',
    runtimes: new Map([['h1', rt]]), playHosts: ['h1', 'h2'], generation: { value: 0 },
  };
  const r = role('r', [], { greeting: 'hello' });
  const ref: RoleRef = { role: r, vars: {}, tags: [] };
  const p = play([]);
  return { rt, scope, ref, p };
}

/** What a template reads in the context, for the names given. */
const reads = (ctx: Vars, names: string[]) => Object.fromEntries(names.map((n) => [n, resolveVar(ctx, n)]));
const NAMES = ['light_root', 'path', 'greeting', 'reg', 'facts', 'ansible_hostname', 'own', 'inventory_hostname', 'role_path'];

function expectFresh(cache: ContextCache, s: ReturnType<typeof setup>, t: Task, rt: HostRuntime = s.rt): Vars {
  const got = cache.get(s.scope, rt, s.p, s.ref, t);
  const want = buildContext(s.scope, rt, s.p, s.ref, { withHostvars: false, task: t });
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  expect(reads(got, NAMES)).toEqual(reads(want, NAMES));
  return got;
}

describe('ContextCache', () => {
  it('gives every task of a role the same context while nothing changes', () => {
    const s = setup();
    const cache = new ContextCache();
    const a = expectFresh(cache, s, task('a', 'file', { path: '/a' }));
    const b = expectFresh(cache, s, task('b', 'file', { path: '/b' }));
    expect(b).toBe(a);
    expect(cache.stats).toEqual({ built: 1, reused: 1 });
  });

  it('builds again once a value was registered (the run generation moved)', () => {
    const s = setup();
    const cache = new ContextCache();
    const t = task('a', 'file', { path: '/a' });
    const before = expectFresh(cache, s, t);
    s.rt.registered.reg = { changed: true, stdout: 'x' };
    s.scope.generation.value++;
    const after = expectFresh(cache, s, t);
    expect(after).not.toBe(before);
    expect(resolveVar(after, 'reg')).toEqual({ changed: true, stdout: 'x' });
  });

  it('builds again once facts arrive (the run generation moved)', () => {
    const s = setup();
    const cache = new ContextCache();
    const t = task('a', 'file', { path: '/a' });
    expectFresh(cache, s, t);
    s.rt.facts = { hostname: 'h1-real', os_id: 'debian' };
    s.scope.generation.value++;
    expect(resolveVar(expectFresh(cache, s, t), 'ansible_hostname')).toBe('h1-real');
  });

  it('builds again after invalidate (the runtime changed without the generation: speculation guesses)', () => {
    const s = setup();
    const cache = new ContextCache();
    const t = task('a', 'file', { path: '/a' });
    const before = expectFresh(cache, s, t);
    s.rt.registered.reg = { guessed: true };
    cache.invalidate();
    const after = expectFresh(cache, s, t);
    expect(after).not.toBe(before);
    expect(resolveVar(after, 'reg')).toEqual({ guessed: true });
  });

  it('keeps runtimes apart (speculation has its own, with guesses)', () => {
    const s = setup();
    const cache = new ContextCache();
    const t = task('a', 'file', { path: '/a' });
    const real = expectFresh(cache, s, t);
    const spec: HostRuntime = { ...s.rt, registered: { reg: { changed: false } } };
    const guessed = expectFresh(cache, s, t, spec);
    expect(guessed).not.toBe(real);
    expect(resolveVar(real, 'reg')).toBeUndefined();
  });

  it('a task with vars of its own gets its own context, with them', () => {
    const s = setup();
    const cache = new ContextCache();
    const plain = expectFresh(cache, s, task('a', 'file', { path: '/a' }));
    const own1 = expectFresh(cache, s, task('b', 'file', { path: '/b' }, { vars: { own: 1, light_root: '/other' } }));
    const own2 = expectFresh(cache, s, task('c', 'file', { path: '/c' }, { includeVars: { own: 2 } }));
    expect(resolveVar(own1, 'own')).toBe(1);
    expect(resolveVar(own1, 'path')).toBe('/other/etc');
    expect(resolveVar(own2, 'own')).toBe(2);
    expect(own1).not.toBe(plain);
    expect(resolveVar(plain, 'own')).toBeUndefined();
  });
});
