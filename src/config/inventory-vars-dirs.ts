// group_vars/ and host_vars/ beside an inventory: NAME.yml, NAME.yaml, NAME.json, NAME (no
// extension) or a NAME/ directory of such files (read in name order, later files win).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { RawInventory, RawVars } from './inventory-raw.js';
import { readVars } from './inventory-yaml.js';
import { readYaml } from './yaml-source.js';

const VAR_EXTS = new Set(['.yml', '.yaml', '.json']);

/** Read dir/group_vars and dir/host_vars into the groups and hosts that exist.
 * Files for unknown groups or hosts are ignored, as Ansible does (several inventories
 * often share one group_vars/). */
export function readVarsDirs(dir: string, raw: RawInventory): void {
  for (const [sub, lookup] of [
    ['group_vars', (n: string) => raw.groups.get(n)?.files],
    ['host_vars', (n: string) => raw.hosts.get(n)?.files],
  ] as const) {
    const base = join(dir, sub);
    if (!existsSync(base) || !statSync(base).isDirectory()) continue;
    for (const entry of readdirSync(base).sort()) {
      if (entry.startsWith('.')) continue;
      const full = join(base, entry);
      if (statSync(full).isDirectory()) {
        const into = lookup(entry);
        if (!into) continue;
        for (const f of readdirSync(full).sort()) {
          if (!f.startsWith('.') && VAR_EXTS.has(extname(f)) && statSync(join(full, f)).isFile()) {
            readVarsFile(join(full, f), into, dir, raw.warnings);
          }
        }
      } else {
        // "web.yml" names web; an extensionless file names exactly its host ("db.example.com").
        const ext = extname(entry);
        const into = (VAR_EXTS.has(ext) && ext !== '' ? lookup(basename(entry, ext)) : undefined) ?? lookup(entry);
        if (into) readVarsFile(full, into, dir, raw.warnings);
      }
    }
  }
}

function readVarsFile(file: string, into: RawVars, baseDir: string, warnings: string[]): void {
  const yf = readYaml(file);
  warnings.push(...yf.warnings);
  readVars(yf, yf.doc.contents, into, baseDir, 'vars file');
}
