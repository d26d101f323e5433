// Host patterns, as Ansible writes them: all, *, globs, ~regex, a:b / a,b union,
// a:&b intersection, a:!b exclusion, group or host names. Result in inventory order.
import { ConfigError } from '../model/errors.js';
import type { Inventory, Source } from '../model/inventory.js';

export function selectHosts(inv: Inventory, pattern: string, source?: Source): string[] {
  const where = source ?? { file: '(host pattern)' };
  const fail = (detail: string) => new ConfigError(where.file, where.line, where.column, `host pattern '${pattern}': ${detail}`);
  const terms = pattern.split(/[,:]/).map((t) => t.trim()).filter((t) => t !== '');
  if (terms.length === 0) throw fail('expected a group or host name, "all", or a pattern like "web*:!web3"');

  const plain = terms.filter((t) => !t.startsWith('&') && !t.startsWith('!'));
  const ands = terms.filter((t) => t.startsWith('&')).map((t) => t.slice(1).trim());
  const nots = terms.filter((t) => t.startsWith('!')).map((t) => t.slice(1).trim());

  // Ansible's order: unions first, then intersections, then exclusions, whatever the
  // order written; with only & / ! terms the base is every host.
  let selected = new Set<string>(plain.length ? [] : inv.hosts.keys());
  for (const t of plain) for (const h of match(inv, t, fail)) selected.add(h);
  for (const t of ands) {
    const m = match(inv, t, fail);
    selected = new Set([...selected].filter((h) => m.has(h)));
  }
  for (const t of nots) for (const h of match(inv, t, fail)) selected.delete(h);
  return [...inv.hosts.keys()].filter((h) => selected.has(h));
}

function match(inv: Inventory, term: string, fail: (d: string) => ConfigError): Set<string> {
  if (term === '') throw fail('expected a name after & or !');
  if (term === 'all' || term === '*') return new Set(inv.hosts.keys());
  const hostsIn = (group: string) => [...inv.hosts.values()].filter((h) => h.groups.includes(group)).map((h) => h.name);
  let test: ((name: string) => boolean) | undefined;
  if (term.startsWith('~')) {
    let re: RegExp;
    try {
      re = new RegExp(term.slice(1));
    } catch (e) {
      throw fail(`invalid regular expression '${term.slice(1)}': ${(e as Error).message}`);
    }
    test = (n) => re.test(n);
  } else if (/[*?]/.test(term)) {
    const re = new RegExp('^' + term.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
    test = (n) => re.test(n);
  }
  const out = new Set<string>();
  let matchedName = false;
  for (const g of inv.groups.keys()) {
    if (test ? test(g) : g === term) {
      matchedName = true;
      for (const h of hostsIn(g)) out.add(h);
    }
  }
  for (const h of inv.hosts.keys()) {
    if (test ? test(h) : h === term) {
      matchedName = true;
      out.add(h);
    }
  }
  if (!matchedName) throw fail(`'${term}' matches no host or group${suggest(inv, term)}`);
  return out;
}

function suggest(inv: Inventory, term: string): string {
  const names = [...inv.groups.keys(), ...inv.hosts.keys()];
  const close = names.filter((n) => distance(n, term) <= Math.max(1, Math.floor(term.length / 4)));
  const list = (xs: string[]) => (xs.length > 15 ? `${xs.slice(0, 15).join(', ')} and ${xs.length - 15} more` : xs.join(', ') || 'none');
  const dym = close.length ? ` (did you mean ${close.map((c) => `'${c}'`).join(' or ')}?)` : '';
  return `${dym}; groups: ${list([...inv.groups.keys()])}; hosts: ${list([...inv.hosts.keys()])}`;
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}
