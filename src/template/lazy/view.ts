// A read-only view of a context for code that reads properties directly (handlebars, the
// engine's schema checks): a Lazy is resolved on read, with the object it was read from as
// its variables; nested lists and mappings are viewed the same way (hostvars[h] holds
// another host's lazy values). Objects that are not plain data pass through untouched.
import { unbox } from '../values/float.js';
import { Lazy, resolveLazy, type RawRender } from './lazy.js';

const views = new WeakMap<object, object>();

function viewable(v: unknown): v is object {
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return true;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

export function lazyView<T>(obj: T, render: RawRender): T {
  if (!viewable(obj)) return obj;
  const known = views.get(obj);
  if (known) return known as T;
  const view = new Proxy(obj, {
    get(target, key) {
      const val = Reflect.get(target, key);
      if (typeof key === 'symbol') return val;
      // A Proxy must return a frozen property's own value.
      const d = Reflect.getOwnPropertyDescriptor(target, key);
      if (d && !d.configurable && !d.writable) return val;
      if (val instanceof Lazy) return lazyView(unbox(resolveLazy(target, key, val, render)), render);
      return lazyView(val, render);
    },
    set() {
      return false;
    },
  });
  views.set(obj, view);
  return view as T;
}
