// RawInventory -> Inventory: group membership, merged vars with provenance, connections.
import type { ConnectionSources, Group, Host, Inventory, Source, VarProvenance, Vars } from '../model/inventory.js';
import { unsupportedWarning } from './ansible-unsupported.js';
import { buildConnection } from './connection.js';
import type { Winner } from './winner.js';
import type { RawInventory, RawVar, RawVars } from './inventory-raw.js';
import { groupDepths } from './inventory-structure.js';
import { checkAddress, checkRawInventory } from './inventory-checks.js';

export function buildInventory(raw: RawInventory, sources: string[], knownHostsFile: string): Inventory {
  checkRawInventory(raw);
  const depth = groupDepths(raw);
  const parents = new Map<string, string[]>();
  for (const g of raw.groups.values()) for (const c of g.children) parents.set(c.name, [...(parents.get(c.name) ?? []), g.name]);

  const groups = new Map<string, Group>();
  for (const g of raw.groups.values()) {
    groups.set(g.name, {
      name: g.name,
      hosts: [...g.hosts],
      children: g.children.map((c) => c.name),
      vars: plain(g.files, plain(g.inline)),
    });
  }

  const warnings = [...raw.warnings];
  const seen = new Set<unknown>();
  const warnAll = (vars: RawVars) => {
    for (const [k, v] of vars) {
      if (seen.has(v)) continue;
      seen.add(v);
      const w = unsupportedWarning(k, v);
      if (w) warnings.push(w);
    }
  };
  for (const g of raw.groups.values()) {
    warnAll(g.inline);
    warnAll(g.files);
  }
  for (const h of raw.hosts.values()) {
    warnAll(h.inline);
    warnAll(h.files);
  }

  const hosts = new Map<string, Host>();
  // Which groups list each host directly, computed once (not a scan of every group per host).
  const directGroups = new Map<string, string[]>();
  for (const g of raw.groups.values()) for (const h of new Set(g.hosts)) directGroups.set(h, [...(directGroups.get(h) ?? []), g.name]);
  for (const rh of raw.hosts.values()) {
    const member = new Set<string>();
    const addWithAncestors = (g: string) => {
      if (member.has(g)) return;
      member.add(g);
      for (const p of parents.get(g) ?? []) addWithAncestors(p);
    };
    for (const g of directGroups.get(rh.name) ?? []) addWithAncestors(g);
    addWithAncestors('all');
    // Ansible's order: shallow groups first, then by name; the later one wins a conflict.
    const ordered = [...member].sort((a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || a.localeCompare(b));

    // Lowest precedence first. As in Ansible, every group's inline vars come before any
    // group_vars/ file, and group_vars/ files before the host's own vars.
    const layers: RawVars[] = [
      ...ordered.map((g) => raw.groups.get(g)!.inline),
      ...ordered.map((g) => raw.groups.get(g)!.files),
      rh.inline,
      rh.files,
    ];
    const history = new Map<string, { value: unknown; source: Source; baseDir: string; rank: number }[]>();
    layers.forEach((layer, rank) => {
      for (const [k, v] of layer) {
        const chain: RawVar[] = [];
        for (let d: RawVar | undefined = v; d; d = d.previous) chain.unshift(d);
        history.set(k, [...(history.get(k) ?? []), ...chain.map((d) => ({ value: d.value, source: d.source, baseDir: d.baseDir, rank }))]);
      }
    });
    const vars: Vars = {};
    const varSources: Record<string, VarProvenance> = {};
    const winners = new Map<string, Winner>();
    for (const [k, defs] of history) {
      const win = defs[defs.length - 1];
      vars[k] = win.value;
      winners.set(k, win);
      varSources[k] = {
        source: win.source,
        shadowed: defs
          .slice(0, -1)
          .reverse()
          .map((d) => ({ value: d.value, source: d.source })),
      };
    }
    const connectionSources: ConnectionSources = {};
    const built: Host = {
      name: rh.name,
      connection: buildConnection(rh.name, winners, connectionSources),
      groups: ordered,
      vars,
      varSources,
      connectionSources,
    };
    checkAddress(built);
    hosts.set(rh.name, built);
  }
  return { sources, hosts, groups, knownHostsFile, warnings };
}

function plain(vars: RawVars, into: Vars = {}): Vars {
  for (const [k, v] of vars) into[k] = v.value;
  return into;
}
