// The inventory as the parsers read it, before merging: both YAML and INI fill this.
import type { Source } from '../model/inventory.js';

export interface RawVar {
  value: unknown;
  source: Source;
  /** Directory relative paths in this value (private_key_file) resolve against. */
  baseDir: string;
  /** An earlier definition at the same level that this one replaced (another file of a
   * group_vars/NAME/ directory, or another entry of the same host), kept for provenance. */
  previous?: RawVar;
}

/** Set a var, keeping the definition it replaces. */
export function setVar(into: RawVars, key: string, v: RawVar): void {
  const previous = into.get(key);
  into.set(key, previous ? { ...v, previous } : v);
}

export type RawVars = Map<string, RawVar>;

export interface RawGroup {
  name: string;
  hosts: string[];
  children: { name: string; source: Source }[];
  /** Vars written in the inventory file itself. */
  inline: RawVars;
  /** Vars from group_vars/ (higher precedence than inline). */
  files: RawVars;
  source: Source;
}

export interface RawHost {
  name: string;
  inline: RawVars;
  files: RawVars;
  source: Source;
}

export class RawInventory {
  readonly groups = new Map<string, RawGroup>();
  /** Insertion order is inventory order. */
  readonly hosts = new Map<string, RawHost>();
  readonly warnings: string[] = [];
  /** Each group's members as a set: a range of 10000 hosts added one by one stays linear. */
  private readonly members = new WeakMap<RawGroup, Set<string>>();

  group(name: string, source: Source): RawGroup {
    let g = this.groups.get(name);
    if (!g) {
      g = { name, hosts: [], children: [], inline: new Map(), files: new Map(), source };
      this.groups.set(name, g);
    }
    return g;
  }

  host(name: string, source: Source): RawHost {
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, inline: new Map(), files: new Map(), source };
      this.hosts.set(name, h);
    }
    return h;
  }

  addHostToGroup(host: string, group: RawGroup): void {
    let set = this.members.get(group);
    if (!set) this.members.set(group, (set = new Set(group.hosts)));
    if (set.has(host)) return;
    set.add(host);
    group.hosts.push(host);
  }

  addChild(parent: RawGroup, child: string, source: Source): void {
    if (!parent.children.some((c) => c.name === child)) parent.children.push({ name: child, source });
  }
}
