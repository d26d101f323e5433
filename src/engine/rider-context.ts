// What a pipelined task's context holds when it is planned (pipeline.ts): it is rendered
// before the script runs and not rendered again, so every value it reads must be final then.
// - A result not registered yet on this host (or registered again in this round trip) is a
//   value that throws when read: a template that reads variables by a name only known when it
//   renders (`lookup @root list`, `vars[x]`) cannot read an old or absent value in its place.
// - hostvars: on its own, such a task waits until every host reached it and reads hostvars then
//   (readsOtherHostsResults). Riding along, it may read of another host only what no task of
//   the run can change: its inventory values, name, address, groups; anything else throws.
// A throw stops the pipeline there: the task runs on its own, as before.
import { connectionSetting, spellingsOf } from '../model/connection-vars.js';
import type { Vars } from '../model/inventory.js';
import type { Playbook, Task } from '../model/playbook.js';
import { hasTemplate, Lazy } from '../template/index.js';
import { runtimeNames } from './hostvars-check.js';
import type { VarsScope } from './vars.js';

/** Thrown by a read the controller cannot answer before the script runs. */
export class NotKnownYet extends Error {}

/** Assigned after every other layer of hostvars.H (vars.ts hostvarsOf): fixed for the run. */
const ON_TOP = new Set(['groups', 'group_names', 'hostvars']);
/** What getent sets on a host (a module's facts: vars.ts MODULE_FACT_PREFIX). */
const MODULE_FACTS = /^getent_/;

const writableByPlaybook = new WeakMap<Playbook, ReadonlySet<string> | 'any'>();

/** The names a task of the run may give a host while it runs ('any' when that cannot be told
 * before: a templated set_fact or inventory_var key, include_vars): registered results, facts
 * set_fact sets, inventory values inventory_var writes (under every spelling of a connection
 * setting: it writes the one the inventory uses, and moves the connection's address). */
export function writableNames(playbook: Playbook): ReadonlySet<string> | 'any' {
  let w = writableByPlaybook.get(playbook);
  if (w) return w;
  const names = runtimeNames(playbook);
  w = names ?? 'any';
  if (names) {
    const tasks: Task[] = playbook.plays.flatMap((p) => [...(p.preTasks ?? []), ...p.tasks, ...p.handlers, ...p.roles.flatMap((r) => [...r.role.tasks, ...r.role.handlers])]);
    for (const t of tasks) {
      if (t.module === 'include_vars' || (t.module === 'set_fact' && Object.keys(t.params).some((k) => k.includes('{')))) {
        w = 'any';
        break;
      }
      if (t.module === 'set_fact') for (const k of Object.keys(t.params)) names.add(k);
    }
    for (const k of [...names]) {
      const setting = connectionSetting(k);
      if (setting) for (const s of spellingsOf(setting)) names.add(s);
    }
  }
  writableByPlaybook.set(playbook, w);
  return w;
}

/** hostvars for a rider's context: as vars.ts hostvarsOf layers them, each host's inventory
 * values, name and address, extra vars, groups; a value no task of the run writes and that is
 * not a template (whose value would depend on where it is read). Anything else throws. */
export function riderHostvars(scope: VarsScope, writable: ReadonlySet<string> | 'any'): Vars {
  const known = new Set(scope.inventory.hosts.keys());
  const entries = new Map<string, Vars>();
  const all: Vars = guarded((name) => {
    if (!known.has(name)) return undefined;
    let e = entries.get(name);
    if (!e) entries.set(name, (e = entryOf(name)));
    return e;
  }, () => [...known], 'hostvars');
  const entryOf = (name: string): Vars => {
    const host = scope.inventory.hosts.get(name)!;
    const top: Vars = { groups: scope.groups, group_names: host.groups.filter((g) => g !== 'all'), hostvars: all };
    const notYet = (key: string, why: string) => new NotKnownYet(`hostvars['${name}'].${key} ${why}`);
    const plain = (key: string, v: unknown) => {
      if (hasTemplate(v)) throw notYet(key, 'is a template');
      return v;
    };
    return guarded((key) => {
      if (ON_TOP.has(key)) return top[key];
      if (writable === 'any' || writable.has(key) || key === 'facts' || MODULE_FACTS.test(key)) throw notYet(key, 'may be set by a task of this run');
      if (Object.hasOwn(scope.extraVars, key)) return plain(key, scope.extraVars[key]);
      if (key === 'inventory_hostname') return host.name;
      if (key === 'ansible_host') return host.connection.address;
      return Object.hasOwn(host.vars, key) ? plain(key, host.vars[key]) : undefined;
    }, () => [...new Set([...Object.keys(host.vars), 'inventory_hostname', 'ansible_host', ...ON_TOP])], `hostvars['${name}']`);
  };
  return all;
}

/** A read-only object whose string keys are answered by `get` (which may throw). */
function guarded(get: (key: string) => unknown, keys: () => string[], what: string): Vars {
  return new Proxy({} as Vars, {
    get: (_t, key) => (typeof key === 'string' ? get(key) : undefined),
    has: (_t, key) => typeof key === 'string' && get(key) !== undefined,
    ownKeys: () => keys(),
    getOwnPropertyDescriptor: (_t, key) => {
      if (typeof key !== 'string') return undefined;
      const value = get(key);
      return value === undefined ? undefined : { value, writable: false, enumerable: true, configurable: true };
    },
    set: () => {
      throw new NotKnownYet(`${what} is read-only`);
    },
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}

/** Values for `names` that throw when a template reads them (a Lazy whose raw value's only
 * field throws when rendered or serialised). */
export function notKnownYet(names: Iterable<string>): Vars {
  const out: Vars = {};
  for (const name of names) {
    const raw = {
      get value(): never {
        throw new NotKnownYet(`'${name}' is registered again before this task runs: not known when the script is built`);
      },
    };
    out[name] = new Lazy(name, raw, { file: '(a result of this round trip)' });
  }
  return out;
}

/** Stand-ins (pipeline.ts: what a result registered in this round trip is known to say) for a
 * task that reads names only known when it renders: an attribute a stand-in does not hold
 * (stdout, rc), or the list of its attributes, throws instead of reading as absent. */
export function strictStandIns(standIns: Vars): Vars {
  const out: Vars = {};
  for (const [name, value] of Object.entries(standIns)) {
    const known = value as Vars;
    const held = (t: Vars, key: string | symbol): boolean => {
      if (typeof key !== 'string' || Object.hasOwn(t, key)) return true;
      throw new NotKnownYet(`'${name}.${key}' is registered in this round trip: not known when the script is built`);
    };
    out[name] = new Proxy(known, {
      get: (t, key) => (held(t, key) ? Reflect.get(t, key) : undefined),
      has: (t, key) => held(t, key) && Reflect.has(t, key),
      getOwnPropertyDescriptor: (t, key) => (held(t, key) ? Reflect.getOwnPropertyDescriptor(t, key) : undefined),
      ownKeys: () => {
        throw new NotKnownYet(`'${name}' is registered in this round trip: its attributes are not known when the script is built`);
      },
    });
  }
  return out;
}
