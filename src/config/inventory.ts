// loadInventory: files (YAML or Ansible INI) or directories -> typed Inventory.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { ConfigError } from '../model/errors.js';
import type { Inventory, InventoryFile, InventoryFormat } from '../model/inventory.js';
import { buildInventory } from './inventory-build.js';
import { parseIniInventory } from './inventory-ini.js';
import { RawInventory } from './inventory-raw.js';
import { finalizeStructure } from './inventory-structure.js';
import { readVarsDirs } from './inventory-vars-dirs.js';
import { readYamlDocument } from './inventory-yaml.js';
import { errAt, isMap, isNullNode, kindOf, parseYaml, type YamlFile } from './yaml-source.js';

const INVENTORY_EXTS = new Set(['.yml', '.yaml', '.ini']);
/** Beside the inventory, but not inventory: fleet's encrypted secrets file. */
const NOT_INVENTORY = new Set(['secrets.yml', 'secrets.yaml']);

export function loadInventory(paths: string[]): Inventory {
  if (paths.length === 0) throw new ConfigError('(inventory)', undefined, undefined, 'no inventory given: expected a file or directory');
  const files: string[] = [];
  const varDirs: string[] = [];
  for (const p of paths.map((x) => resolve(x))) {
    if (!existsSync(p))
      throw new ConfigError(p, undefined, undefined, 'inventory not found: expected a YAML or INI file, or a directory of them');
    if (statSync(p).isDirectory()) {
      const found = readdirSync(p)
        .filter((f) => ((INVENTORY_EXTS.has(extname(f)) && !f.includes('.example.')) || f === 'hosts') && !NOT_INVENTORY.has(f))
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
  const formats: InventoryFile[] = [];
  // The same file named twice (a directory and a file in it) is read once.
  for (const f of [...new Set(files)]) formats.push(readInventoryFile(f, raw));
  finalizeStructure(raw, files[0] ?? first);
  for (const d of [...new Set(varDirs)]) readVarsDirs(d, raw);
  const knownHosts = join(firstDir, 'known_hosts');
  // Pinned host keys are read and appended there: anything but a file (or nothing yet) fails
  // every connection later, as EISDIR with no path.
  if (existsSync(knownHosts) && !statSync(knownHosts).isFile())
    throw new ConfigError(
      knownHosts,
      undefined,
      undefined,
      'expected the known_hosts file (pinned host keys), found a directory or another non-file: move it away',
    );
  return {
    ...buildInventory(
      raw,
      paths.map((x) => resolve(x)),
      knownHosts,
    ),
    files: formats,
  };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, undefined, undefined, `cannot read file: ${(e as Error).message}`);
  }
}

type Attempt = { yf: YamlFile; error?: undefined } | { yf?: undefined; error: ConfigError };

/** As YAML: parsed, and a mapping of groups (or empty). A YAML string or list is no inventory. */
function asYaml(file: string, text: string): Attempt {
  try {
    const yf = parseYaml(file, text);
    const root = yf.doc.contents;
    if (isNullNode(root) || isMap(root)) return { yf };
    return { error: errAt(yf, root, `expected a mapping of groups, like "all: {hosts: {...}}", got ${kindOf(yf, root)}`) };
  } catch (e) {
    if (e instanceof ConfigError) return { error: e };
    throw e;
  }
}

/** Read one inventory file in the format that parses, as Ansible's inventory plugins do:
 * a .ini file is INI; anything else is tried as YAML, then as INI (an INI inventory named
 * hosts.yml is common). When neither parses, one error says what each expected. */
export function readInventoryFile(file: string, raw: RawInventory): InventoryFile {
  const text = readText(file);
  if (extname(file) === '.ini') {
    parseIniInventory(file, text, raw);
    return { file, format: 'ini' };
  }
  const y = asYaml(file, text);
  if (y.yf) {
    readYamlDocument(y.yf, raw);
    return { file, format: 'yaml' };
  }
  const yamlError = y.error;
  try {
    parseIniInventory(file, text, raw);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw neitherFormat(file, yamlError, e);
  }
  return { file, format: 'ini', note: `not YAML (${at(yamlError)}: ${yamlError.detail}), read as INI` };
}

const at = (e: ConfigError) => `line ${e.line ?? '?'}${e.column !== undefined ? `:${e.column}` : ''}`;

/** Both readers failed: name both, placed where the reader that got further stopped. */
function neitherFormat(file: string, asYamlErr: ConfigError, asIniErr: ConfigError): ConfigError {
  const further = (asIniErr.line ?? 0) > (asYamlErr.line ?? 0) ? asIniErr : asYamlErr;
  return new ConfigError(
    file,
    further.line,
    further.column,
    `not an inventory in either format Ansible reads: as YAML, ${at(asYamlErr)}: ${asYamlErr.detail}; as INI, ${at(asIniErr)}: ${asIniErr.detail}`,
  );
}

/** The format a file would be read in (for writers, which edit YAML only). */
export function inventoryFormat(file: string): InventoryFormat {
  if (extname(file) === '.ini') return 'ini';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return 'yaml'; // the YAML reader reports the read error with the file name
  }
  return asYaml(file, text).yf ? 'yaml' : 'ini';
}

export function isIni(file: string): boolean {
  return inventoryFormat(file) === 'ini';
}
