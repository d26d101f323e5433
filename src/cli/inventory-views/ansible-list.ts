// `fleet inventory --json`: the document `ansible-inventory --list` prints, so tools written
// for it (dynamic-inventory consumers, ssh-config generators, monitoring exports) read fleet's
// inventory unchanged: one entry per group with `hosts` and `children`, and every host's
// inventory variables under `_meta.hostvars`.
import type { Inventory, Vars } from '../../model/inventory.js';

export type AnsibleList = Record<string, unknown> & { _meta: { hostvars: Record<string, Vars> } };

/** Ansible lists `ungrouped` first among all's children: it exists before any source is read. */
export function childrenOf(inv: Inventory, group: string): string[] {
  const kids = inv.groups.get(group)?.children ?? [];
  return group === 'all' && kids.includes('ungrouped') ? ['ungrouped', ...kids.filter((k) => k !== 'ungrouped')] : kids;
}

export function ansibleList(inv: Inventory, hosts: Set<string>): AnsibleList {
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  const visit = (name: string): void => {
    seen.add(name);
    const entry: { hosts?: string[]; children?: string[] } = {};
    // As in Ansible: all's hosts are listed under ungrouped (or their groups), never under all.
    const members = name === 'all' ? [] : (inv.groups.get(name)?.hosts ?? []).filter((h) => hosts.has(h));
    if (members.length) entry.hosts = members;
    const kids = childrenOf(inv, name);
    if (kids.length) entry.children = kids;
    if (entry.hosts || entry.children) out[name] = entry;
    for (const k of kids) if (!seen.has(k)) visit(k);
  };
  visit('all');
  const hostvars: Record<string, Vars> = {};
  for (const h of inv.hosts.values()) if (hosts.has(h.name) && Object.keys(h.vars).length) hostvars[h.name] = h.vars;
  return { _meta: { hostvars }, ...out };
}

/** JSON with keys sorted at every level and 4-space indent, as ansible-inventory prints it. */
export function ansibleJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 4);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}
