// `fleet vars HOST VAR`: a variable's value, where it was set, and what it shadowed.
import { ConfigError } from '../model/errors.js';
import type { Inventory, Source } from '../model/inventory.js';

export interface VarDescription {
  value: unknown;
  source: Source;
  /** Lower-precedence definitions it hides, highest first. */
  shadowed: { value: unknown; source: Source }[];
}

/** undefined when the host has no such variable; ConfigError when the host is unknown. */
export function describeVar(inv: Inventory, host: string, key: string): VarDescription | undefined {
  const h = inv.hosts.get(host);
  if (!h) {
    throw new ConfigError(inv.sources[0] ?? '(inventory)', undefined, undefined,
      `unknown host '${host}' (hosts: ${[...inv.hosts.keys()].join(', ') || 'none'})`);
  }
  const prov = h.varSources[key];
  if (!prov) return undefined;
  return { value: h.vars[key], source: prov.source, shadowed: prov.shadowed };
}
