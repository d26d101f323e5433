// `hostvars`: every host's variables by name, built only for the hosts a template reads
// (hostvars[h] once per context generation), each a scope of its own so that
// hostvars[h].x resolves x as host h sees it, as Ansible does.
import type { Vars } from '../../model/inventory.js';

/** A read-only mapping of host name -> that host's variables, each built on first read. */
export function lazyHostvars(names: readonly string[], entryOf: (name: string) => Vars): Vars {
  const known = new Set(names);
  const built = new Map<string, Vars>();
  const entry = (name: string): Vars => {
    let e = built.get(name);
    if (!e) built.set(name, (e = entryOf(name)));
    return e;
  };
  return new Proxy({} as Vars, {
    get(_t, key) {
      return typeof key === 'string' && known.has(key) ? entry(key) : undefined;
    },
    has(_t, key) {
      return typeof key === 'string' && known.has(key);
    },
    ownKeys() {
      return [...known];
    },
    getOwnPropertyDescriptor(_t, key) {
      if (typeof key !== 'string' || !known.has(key)) return undefined;
      return { value: entry(key), writable: false, enumerable: true, configurable: true };
    },
    set() {
      return false;
    },
    defineProperty() {
      return false;
    },
    deleteProperty() {
      return false;
    },
  });
}
