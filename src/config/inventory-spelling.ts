// The spelling an inventory file uses for the connection settings (`address` or `ansible_host`,
// `port` or `ansible_port`...), so that `fleet node add` writes a new host the way the file's
// other hosts are written, as inventory_var does for a host's own settings.
import { isMap, isScalar } from 'yaml';
import type { Pair } from 'yaml';
import { CONNECTION_ALIASES, connectionSetting, spellingsOf } from '../model/connection-vars.js';
import { mapGet } from './yaml-text-edit.js';

/** setting -> the key to write it under: the spelling the file's host entries and group vars
 * (and `others`, the variable names the inventory's other files give their hosts) use most for
 * that setting; for a setting never spelled, Ansible's documented name when most of the
 * connection keys are Ansible's, else fleet's. */
export function connectionSpelling(root: unknown, others: Iterable<string> = []): (setting: string) => string {
  const counts = new Map<string, number>();
  const add = (key: string) => {
    if (connectionSetting(key) !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  for (const key of others) add(key);
  const count = (vars: unknown) => {
    if (!isMap(vars)) return;
    for (const p of vars.items as Pair[]) if (isScalar(p.key)) add(String(p.key.value));
  };
  const visit = (groups: unknown) => {
    if (!isMap(groups)) return;
    for (const g of groups.items as Pair[]) {
      if (!isMap(g.value)) continue;
      count(mapGet(g.value, 'vars')?.value);
      const hosts = mapGet(g.value, 'hosts')?.value;
      if (isMap(hosts)) for (const h of hosts.items as Pair[]) count(h.value);
      visit(mapGet(g.value, 'children')?.value);
    }
  };
  visit(root);
  let ansible = 0;
  let fleet = 0;
  for (const [key, n] of counts) {
    if (Object.prototype.hasOwnProperty.call(CONNECTION_ALIASES, key)) fleet += n;
    else ansible += n;
  }
  return (setting) => {
    const spellings = spellingsOf(setting);
    const used = spellings.filter((k) => counts.has(k)).sort((a, b) => counts.get(b)! - counts.get(a)!);
    if (used.length) return used[0];
    return ansible > fleet ? (spellings[1] ?? setting) : setting;
  };
}
