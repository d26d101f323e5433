// `fleet inventory --graph [GROUP] [--vars]`: the tree ansible-inventory --graph draws.
import type { Inventory, Vars } from '../../model/inventory.js';
import { childrenOf } from './ansible-list.js';

const indent = (name: string, depth: number): string => (depth ? '  |'.repeat(depth) + '--' + name : name);

export function inventoryGraph(inv: Inventory, top: string, hosts: Set<string>, showVars: boolean): string {
  const lines: string[] = [];
  const vars = (v: Vars, depth: number) => {
    for (const k of Object.keys(v).sort()) lines.push(indent(`{${k} = ${pyStr(v[k])}}`, depth));
  };
  const group = (name: string, depth: number): void => {
    lines.push(indent(`@${name}:`, depth));
    for (const kid of childrenOf(inv, name)) group(kid, depth + 1);
    if (name !== 'all') {
      for (const h of inv.groups.get(name)?.hosts ?? []) {
        if (!hosts.has(h)) continue;
        lines.push(indent(h, depth + 1));
        if (showVars) vars(inv.hosts.get(h)!.vars, depth + 2);
      }
    }
    if (showVars) vars(inv.groups.get(name)?.vars ?? {}, depth + 1);
  };
  group(top, 0);
  return lines.join('\n') + '\n';
}

/** Values as Python's str() prints them, which is what Ansible's graph shows. */
export function pyStr(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return String(v);
}
