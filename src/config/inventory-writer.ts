// Edit a YAML inventory in place, keeping comments and layout (yaml's Document API):
// setHostVar for `inventory_var` and port moves, addHost for `fleet node add`.
import { chmodSync, existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Document, LineCounter, Pair, YAMLMap, isMap, isPair, isScalar } from 'yaml';
import { ConfigError } from '../model/errors.js';
import { isIni } from './inventory.js';
import { entries, errAt, isNullNode, kindOf, posOf, readYaml } from './yaml-source.js';
import type { YamlFile } from './yaml-source.js';

export interface HostSpec {
  name: string;
  address: string;
  port?: number;
  user?: string;
  groups: string[];
  vars?: Record<string, unknown>;
}

/** Set one variable of a host. Written where it will win: in host_vars/HOST.yml when that
 * file already defines the key, else in the host's entry (every entry that sets it, or the first). */
export function setHostVar(inventoryFile: string, host: string, key: string, value: unknown): void {
  refuseIni(inventoryFile);
  for (const ext of ['.yml', '.yaml']) {
    const hv = join(dirname(inventoryFile), 'host_vars', host + ext);
    if (!existsSync(hv)) continue;
    const yf = readYaml(hv);
    const root = yf.doc.contents;
    if (isMap(root) && root.has(key)) {
      root.set(key, yf.doc.createNode(value));
      save(yf);
      return;
    }
  }
  const yf = readYaml(inventoryFile);
  const found = hostEntries(yf).filter((p) => p.name === host);
  if (found.length === 0) {
    throw new ConfigError(inventoryFile, undefined, undefined, `host '${host}' is not in this inventory: add it first (fleet node add)`);
  }
  const withKey = found.filter((p) => isMap(p.pair.value) && p.pair.value.has(key));
  for (const p of withKey.length ? withKey : [found[0]]) {
    if (isMap(p.pair.value)) p.pair.value.set(key, yf.doc.createNode(value));
    else if (isNullNode(p.pair.value)) p.pair.value = yf.doc.createNode({ [key]: value });
    else throw errAt(yf, p.pair.value, `host '${host}': expected a mapping of its vars, got ${kindOf(yf, p.pair.value)}`);
  }
  save(yf);
}

/** Add a host under all.hosts, or under each named group's hosts (the group is created
 * under all.children when missing). Its vars go in the first entry; Ansible merges entries. */
export function addHost(inventoryFile: string, spec: HostSpec): void {
  refuseIni(inventoryFile);
  if (!spec.name || /[\s:,]/.test(spec.name)) {
    throw new ConfigError(inventoryFile, undefined, undefined, `invalid host name ${JSON.stringify(spec.name)}: expected a name without spaces, ':' or ','`);
  }
  if (spec.port !== undefined && (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535)) {
    throw new ConfigError(inventoryFile, undefined, undefined, `port must be a number from 1 to 65535, got ${spec.port}`);
  }
  const yf: YamlFile = existsSync(inventoryFile)
    ? readYaml(inventoryFile)
    : { file: inventoryFile, doc: new Document({ all: { hosts: {} } }), lc: new LineCounter() };
  if (isNullNode(yf.doc.contents)) yf.doc.contents = yf.doc.createNode({ all: { hosts: {} } }) as never;
  const root = yf.doc.contents;
  if (!isMap(root)) throw errAt(yf, root, `expected a mapping of groups, got ${kindOf(yf, root)}`);
  const dup = hostEntries(yf).find((p) => p.name === spec.name);
  if (dup) {
    const pos = posOf(yf, dup.pair.key);
    throw new ConfigError(inventoryFile, pos.line, pos.column, `host '${spec.name}' already exists in this inventory`);
  }

  const vars: Record<string, unknown> = { address: spec.address };
  if (spec.port !== undefined) vars.port = spec.port;
  if (spec.user !== undefined) vars.user = spec.user;
  Object.assign(vars, spec.vars ?? {});

  const groups = spec.groups.length ? [...new Set(spec.groups)] : ['all'];
  groups.forEach((g, i) => {
    const group = g === 'all' ? childMap(yf, root, 'all') : (findGroup(yf, root, g) ?? childMap(yf, childMap(yf, childMap(yf, root, 'all'), 'children'), g));
    const hosts = childMap(yf, group, 'hosts');
    hosts.set(spec.name, i === 0 ? yf.doc.createNode(vars) : yf.doc.createNode({}));
  });
  save(yf);
}

function refuseIni(file: string): void {
  if (existsSync(file) && isIni(file)) {
    throw new ConfigError(file, undefined, undefined, 'writing supports YAML inventories only: this is an INI inventory; convert it to YAML (all: {hosts: ..., children: ...}) to let fleet edit it');
  }
}

/** The map under `key` in `parent`, created (or replacing a null) when missing. */
function childMap(yf: YamlFile, parent: YAMLMap, key: string): YAMLMap {
  const cur = parent.get(key, true);
  if (isMap(cur)) return cur;
  if (cur !== undefined && !isNullNode(cur)) throw errAt(yf, cur, `'${key}': expected a mapping, got ${kindOf(yf, cur)}`);
  const m = new YAMLMap();
  parent.set(key, m);
  return m;
}

/** A group's mapping wherever it is defined (top level or nested under children). */
function findGroup(yf: YamlFile, root: YAMLMap, name: string): YAMLMap | undefined {
  let found: YAMLMap | undefined;
  const visit = (groups: YAMLMap) => {
    for (const item of groups.items) {
      if (found || !isPair(item) || !isScalar(item.key)) continue;
      if (String(item.key.value) === name) {
        if (!isMap(item.value)) item.value = new YAMLMap();
        found = item.value as YAMLMap;
        return;
      }
      const children = isMap(item.value) ? item.value.get('children', true) : undefined;
      if (isMap(children)) visit(children);
    }
  };
  visit(root);
  return found;
}

/** Every host entry in the file: (name, pair) with the pair's value holding its vars. */
function hostEntries(yf: YamlFile): { name: string; pair: Pair }[] {
  const out: { name: string; pair: Pair }[] = [];
  const visit = (groups: unknown) => {
    if (!isMap(groups)) return;
    for (const e of entries(yf, groups)) {
      if (!isMap(e.value)) continue;
      const hosts = e.value.get('hosts', true);
      if (isMap(hosts)) for (const p of hosts.items) if (isPair(p) && isScalar(p.key)) out.push({ name: String(p.key.value), pair: p as Pair });
      visit(e.value.get('children', true));
    }
  };
  visit(yf.doc.contents);
  return out;
}

/** Write via a temp file and rename, so a crash never leaves half an inventory. */
function save(yf: YamlFile): void {
  const tmp = `${yf.file}.fleet-tmp-${process.pid}`;
  writeFileSync(tmp, yf.doc.toString({ lineWidth: 0 }));
  if (existsSync(yf.file)) chmodSync(tmp, statSync(yf.file).mode & 0o7777);
  renameSync(tmp, yf.file);
}
