// plainCopy gives what structuredClone gives (the params' copy before ajv fills defaults in),
// walking plain data itself: the same values, prototypes, holes and keys, an independent copy,
// and the same errors for what cannot be cloned.
import { describe, expect, it } from 'vitest';
import { plainCopy } from '../../../src/engine/plain-copy.js';

/** plainCopy and structuredClone agree, and the copy shares no object with the original. */
function same(v: unknown): unknown {
  const a = plainCopy(v);
  const b = structuredClone(v);
  expect(a).toStrictEqual(b);
  const objects = (x: unknown, out = new Set<unknown>()): Set<unknown> => {
    if (x !== null && typeof x === 'object') {
      out.add(x);
      for (const k of Object.keys(x)) objects((x as Record<string, unknown>)[k], out);
    }
    return out;
  };
  const mine = objects(a);
  for (const o of objects(v)) expect(mine.has(o)).toBe(false);
  return a;
}

describe('plainCopy', () => {
  it('copies rendered params as structuredClone does', () => {
    same({ dest: '/etc/x', mode: '0644', owner: null, n: 1.5, flag: true, big: 10n, none: undefined });
    same({ users: [{ name: 'a', groups: ['x', 'y'] }, { name: 'b', keys: { ssh: ['k'] } }], nested: [[1, [2, [3]]]] });
    same(['a', 1, null]);
    same('text');
    same(undefined);
  });

  it('a copy written to (ajv filling defaults in) leaves the original as it was', () => {
    const users = [{ name: 'a' }];
    const params = plainCopy({ users });
    (params.users[0] as Record<string, unknown>).shell = '/bin/sh';
    params.users.push({ name: 'b' });
    expect(users).toEqual([{ name: 'a' }]);
  });

  it('keeps holes, an own __proto__ key and a null-prototype object as structuredClone does', () => {
    // eslint-disable-next-line no-sparse-arrays
    const holes = same([1, , 3]) as unknown[];
    expect(1 in holes).toBe(false);
    const proto = same(JSON.parse('{"__proto__": {"x": 1}, "y": 2}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.keys(proto)).toEqual(['__proto__', 'y']);
    const bare = Object.assign(Object.create(null), { a: 1 });
    expect(Object.getPrototypeOf(same({ bare }) as object)).toBe(Object.prototype);
  });

  it('other objects are structuredClone\'s: dates, maps, class instances, arrays with extra keys', () => {
    class Box {
      constructor(readonly v = 1) {}
    }
    const extra = Object.assign(['a'], { note: 'x' });
    const a = plainCopy({ when: new Date(5), m: new Map([[1, 2]]), box: new Box(), extra, buf: new Uint8Array([1, 2]) });
    const b = structuredClone({ when: new Date(5), m: new Map([[1, 2]]), box: new Box(), extra, buf: new Uint8Array([1, 2]) });
    expect(a).toStrictEqual(b);
    expect(a.when).toBeInstanceOf(Date);
    expect(Object.getPrototypeOf(a.box)).toBe(Object.prototype);
    expect((a.extra as unknown as { note: string }).note).toBe('x');
  });

  it('what cannot be cloned throws what structuredClone throws', () => {
    const err = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
      return 'no error';
    };
    for (const bad of [{ f: () => 1 }, { p: new Proxy({}, {}) }, { s: Symbol('x') }, [new Proxy([], {})]]) {
      const mine = err(() => plainCopy(bad));
      expect(mine).not.toBe('no error');
      expect(mine).toBe(err(() => structuredClone(bad)));
    }
  });

  it('a cycle is copied whole by structuredClone', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    const c = plainCopy({ a }) as { a: { self: unknown } };
    expect(c.a.self).toBe(c.a);
    expect(c.a).not.toBe(a);
  });
});
