// Which inventory file defines a host, so controller tasks write values back where they live.
import { statSync } from 'node:fs';
import type { Inventory } from '../model/inventory.js';

export function inventoryFileOf(inv: Inventory, host: string): string {
  const h = inv.hosts.get(host);
  const files = inv.sources.filter((s) => {
    try {
      return statSync(s).isFile();
    } catch {
      // A source that is gone is not where the host is declared.
      return false;
    }
  });
  // The file that gave the host its address is the file that declares it.
  for (const key of ['ansible_host', 'address', 'ansible_port', 'port']) {
    const src = h?.varSources[key]?.source.file;
    if (src && !/[/\\](group|host)_vars[/\\]/.test(src)) return src;
  }
  for (const prov of Object.values(h?.varSources ?? {})) {
    const src = prov.source.file;
    if (!/[/\\](group|host)_vars[/\\]/.test(src) && /\.ya?ml$/.test(src)) return src;
  }
  const yaml = files.find((f) => /\.ya?ml$/.test(f));
  if (yaml) return yaml;
  throw new Error(`cannot tell which inventory file declares ${host}`);
}
