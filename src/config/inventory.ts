// loadInventory: files (YAML or Ansible INI) or directories -> typed Inventory.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { ConfigError } from '../model/errors.js';
import type { Inventory } from '../model/inventory.js';
import { buildInventory } from './inventory-build.js';
import { readIniInventory } from './inventory-ini.js';
import { RawInventory } from './inventory-raw.js';
import { finalizeStructure } from './inventory-structure.js';
import { readVarsDirs } from './inventory-vars-dirs.js';
import { readYamlInventory } from './inventory-yaml.js';

const INVENTORY_EXTS = new Set(['.yml', '.yaml', '.ini']);

export function loadInventory(paths: string[]): Inventory {
  if (paths.length === 0) throw new ConfigError('(inventory)', undefined, undefined, 'no inventory given: expected a file or directory');
  const files: string[] = [];
  const varDirs: string[] = [];
  for (const p of paths.map((x) => resolve(x))) {
    if (!existsSync(p)) throw new ConfigError(p, undefined, undefined, 'inventory not found: expected a YAML or INI file, or a directory of them');
    if (statSync(p).isDirectory()) {
      const found = readdirSync(p)
        .filter((f) => (INVENTORY_EXTS.has(extname(f)) && !f.includes('.example.')) || f === 'hosts')
        .sort()
        .map((f) => join(p, f))
        .filter((f) => statSync(f).isFile());
      files.push(...found);
      varDirs.push(p);
    } else {
      files.push(p);
      varDirs.push(dirname(p));
    }
  }
  const first = resolve(paths[0]);
  const firstDir = statSync(first).isDirectory() ? first : dirname(first);

  const raw = new RawInventory();
  // The same file named twice (a directory and a file in it) is read once.
  for (const f of [...new Set(files)]) {
    if (isIni(f)) readIniInventory(f, raw);
    else readYamlInventory(f, raw);
  }
  finalizeStructure(raw, files[0] ?? first);
  for (const d of [...new Set(varDirs)]) readVarsDirs(d, raw);
  return buildInventory(raw, paths.map((x) => resolve(x)), join(firstDir, 'known_hosts'));
}

/** .ini is INI, .yml/.yaml YAML; anything else (Ansible's classic "hosts") is sniffed:
 * YAML starts with "---" or a "key:" line, INI with a [section] or a host line. */
export function isIni(file: string): boolean {
  const ext = extname(file);
  if (ext === '.ini') return true;
  if (ext === '.yml' || ext === '.yaml' || ext === '.json') return false;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return false; // the YAML reader reports the read error with the file name
  }
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#') || t.startsWith(';')) continue;
    return !(t.startsWith('---') || t.startsWith('{') || /^[^\s[]+:\s*(#.*)?$/.test(t));
  }
  return false;
}
