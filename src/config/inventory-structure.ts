// Group structure checks and Ansible's implicit groups, before any vars are merged.
import { ConfigError } from '../model/errors.js';
import type { RawInventory } from './inventory-raw.js';

/** Reject cycles, hang parentless groups under "all", and put hosts that are in no
 * group but "all" into "ungrouped" (as Ansible does, so `ungrouped` works as a pattern). */
export function finalizeStructure(raw: RawInventory, firstFile: string): void {
  const all = raw.group('all', { file: firstFile, line: 1, column: 1 });
  checkCycles(raw);
  const ungrouped = raw.group('ungrouped', all.source);
  const hasParent = new Set<string>();
  for (const g of raw.groups.values()) for (const c of g.children) hasParent.add(c.name);
  for (const g of raw.groups.values()) {
    if (g.name !== 'all' && !hasParent.has(g.name)) raw.addChild(all, g.name, g.source);
  }
  const grouped = new Set<string>();
  for (const g of raw.groups.values()) if (g.name !== 'all' && g.name !== 'ungrouped') for (const h of g.hosts) grouped.add(h);
  for (const h of raw.hosts.keys()) if (!grouped.has(h)) raw.addHostToGroup(h, ungrouped);
}

function checkCycles(raw: RawInventory): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'visiting');
    path.push(name);
    for (const c of raw.groups.get(name)?.children ?? []) {
      const s = state.get(c.name);
      if (s === 'visiting') {
        const cycle = [...path.slice(path.indexOf(c.name)), c.name].join(' -> ');
        throw new ConfigError(c.source.file, c.source.line, c.source.column,
          `group cycle: ${cycle} (a group cannot contain itself through its children)`);
      }
      if (s !== 'done') visit(c.name);
    }
    path.pop();
    state.set(name, 'done');
  };
  for (const name of raw.groups.keys()) if (!state.has(name)) visit(name);
}

/** Depth of each group below "all" (longest path), which orders group vars: parents first. */
export function groupDepths(raw: RawInventory): Map<string, number> {
  const depth = new Map<string, number>();
  const walk = (name: string, d: number): void => {
    if ((depth.get(name) ?? -1) >= d) return;
    depth.set(name, d);
    for (const c of raw.groups.get(name)?.children ?? []) walk(c.name, d + 1);
  };
  walk('all', 0);
  return depth;
}
