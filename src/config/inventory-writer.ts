// Edit a YAML inventory in place, keeping comments and layout: setHostVar for
// `inventory_var` and port moves, addHost for `fleet node add`.
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isMap, isPair, isScalar } from 'yaml';
import type { Pair, YAMLMap } from 'yaml';
import { ConfigError } from '../model/errors.js';
import { isIni } from './inventory.js';
import { connectionSpelling } from './inventory-spelling.js';
import { Chain, YamlText, mapGet } from './yaml-text-edit.js';
import { errAt, isNullNode, kindOf, posOf } from './yaml-source.js';

export interface HostSpec {
  name: string;
  address: string;
  port?: number;
  user?: string;
  groups: string[];
  vars?: Record<string, unknown>;
  /** The variable names the inventory's hosts have (once per host), so that a file with no host
   * yet gets the spelling the other files use (connectionSpelling). */
  inventoryKeys?: Iterable<string>;
}

/** Set one variable of a host. Written where it will win: in host_vars/HOST.yml when that
 * file already defines the key, else in the host's entry (every entry that sets it, or the first). */
export function setHostVar(inventoryFile: string, host: string, key: string, value: unknown): void {
  // A directory inventory: edit the YAML file in it that declares the host.
  if (existsSync(inventoryFile) && statSync(inventoryFile).isDirectory()) inventoryFile = fileDeclaring(inventoryFile, host);
  refuseIni(inventoryFile);
  for (const ext of ['.yml', '.yaml']) {
    const hv = join(dirname(inventoryFile), 'host_vars', host + ext);
    if (!existsSync(hv)) continue;
    const yt = open(hv);
    const root = yt.yf.doc.contents;
    const pair = isMap(root) ? mapGet(root, key) : undefined;
    if (pair) {
      yt.replaceValue(pair.value, value);
      save(yt);
      return;
    }
  }
  const yt = open(inventoryFile);
  const count = hostPairs(yt).filter((p) => p.name === host).length;
  if (count === 0) throw new ConfigError(inventoryFile, undefined, undefined, `host '${host}' is not in this inventory: add it first (fleet node add)`);
  const hasKey = (i: number) => {
    const p = hostPairs(yt).filter((x) => x.name === host)[i].pair;
    return isMap(p.value) && !!mapGet(p.value, key);
  };
  const targets = [...Array(count).keys()].filter(hasKey);
  // One edit at a time: each edit re-parses, so look the pair up again every time.
  for (const i of targets.length ? targets : [0]) {
    const p = hostPairs(yt).filter((x) => x.name === host)[i].pair;
    if (isMap(p.value)) {
      const existing = mapGet(p.value, key);
      if (existing) yt.replaceValue(existing.value, value);
      else yt.addEntry(p.value, key, value);
    } else if (isNullNode(p.value)) yt.fillNull(p, key, value);
    else throw errAt(yt.yf, p.value, `host '${host}': expected a mapping of its vars, got ${kindOf(yt.yf, p.value)}`);
  }
  save(yt);
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
  const yt = existsSync(inventoryFile) ? open(inventoryFile) : new YamlText(inventoryFile, '');
  const dup = hostPairs(yt).find((p) => p.name === spec.name);
  if (dup) {
    const pos = posOf(yt.yf, dup.pair.key);
    throw new ConfigError(inventoryFile, pos.line, pos.column, `host '${spec.name}' already exists in this inventory`);
  }
  // Written as the file's other hosts are (`ansible_host` in an Ansible-born inventory).
  const spell = connectionSpelling(yt.yf.doc.contents, spec.inventoryKeys);
  const vars: Record<string, unknown> = { [spell('address')]: spec.address };
  if (spec.port !== undefined) vars[spell('port')] = spec.port;
  if (spec.user !== undefined) vars[spell('user')] = spec.user;
  Object.assign(vars, spec.vars ?? {});

  const groups = spec.groups.length ? [...new Set(spec.groups)] : ['all'];
  groups.forEach((g, i) => {
    const hostValue = i === 0 ? vars : {};
    const root = yt.yf.doc.contents;
    if (isNullNode(root)) {
      yt.appendTop('all', g === 'all' ? chain(['hosts', spec.name], hostValue) : chain(['children', g, 'hosts', spec.name], hostValue));
      return;
    }
    if (!isMap(root)) throw errAt(yt.yf, root, `expected a mapping of groups, got ${kindOf(yt.yf, root)}`);
    const group = g === 'all' ? undefined : findGroup(root, g);
    if (group) insertPath(yt, group, ['hosts', spec.name], hostValue);
    else insertPath(yt, root, g === 'all' ? ['all', 'hosts', spec.name] : ['all', 'children', g, 'hosts', spec.name], hostValue);
  });
  save(yt);
}

/** Remove every entry of a host from the file (all groups it is listed under), comments and
 * layout of everything else kept. Returns the number of entries removed (0: not in this file). */
export function removeHost(inventoryFile: string, host: string): number {
  if (existsSync(inventoryFile) && statSync(inventoryFile).isDirectory()) inventoryFile = fileDeclaring(inventoryFile, host);
  refuseIni(inventoryFile);
  const yt = open(inventoryFile);
  let removed = 0;
  // One edit at a time: each edit re-parses, so look the entry up again every time.
  for (;;) {
    const found = hostEntries(yt).find((e) => e.name === host);
    if (!found) break;
    yt.removeEntry(found.map, found.pair);
    removed++;
  }
  if (removed) save(yt);
  return removed;
}

/** Every host entry in the file with the hosts map holding it, in document order. */
function hostEntries(yt: YamlText): { name: string; pair: Pair; map: YAMLMap }[] {
  const out: { name: string; pair: Pair; map: YAMLMap }[] = [];
  const visit = (groups: unknown) => {
    if (!isMap(groups)) return;
    for (const g of groups.items as Pair[]) {
      if (!isMap(g.value)) continue;
      const hosts = mapGet(g.value, 'hosts')?.value;
      if (isMap(hosts)) for (const p of hosts.items as Pair[]) if (isScalar(p.key)) out.push({ name: String(p.key.value), pair: p, map: hosts });
      visit(mapGet(g.value, 'children')?.value);
    }
  };
  visit(yt.yf.doc.contents);
  return out;
}

/** Walk `path` from `start`; create what is missing in one edit. `start` is a group's pair
 * (its value may be empty) or the root map. */
function insertPath(yt: YamlText, start: Pair | YAMLMap, path: string[], value: unknown): void {
  let at: Pair | YAMLMap = start;
  for (let i = 0; i < path.length; i++) {
    const map: YAMLMap | undefined = isPair(at) ? (isMap(at.value) ? at.value : undefined) : at;
    if (!map) {
      const p = at as Pair;
      if (!isNullNode(p.value)) throw errAt(yt.yf, p.value, `'${String((p.key as { value: unknown }).value)}': expected a mapping, got ${kindOf(yt.yf, p.value)}`);
      yt.fillNull(p, path[i], chain(path.slice(i + 1), value));
      return;
    }
    const next = mapGet(map, path[i]);
    if (!next || i === path.length - 1) {
      yt.addEntry(map, path[i], chain(path.slice(i + 1), value));
      return;
    }
    at = next;
  }
}

function chain(path: string[], value: unknown): unknown {
  return path.reduceRight<unknown>((v, k) => new Chain({ [k]: v }), value);
}

function refuseIni(file: string): void {
  if (existsSync(file) && isIni(file)) {
    throw new ConfigError(file, undefined, undefined, 'writing supports YAML inventories only: this is an INI inventory; convert it to YAML (all: {hosts: ..., children: ...}) to let fleet edit it');
  }
}

function open(file: string): YamlText {
  return new YamlText(file, readFileSync(file, 'utf8'));
}

/** A group's pair wherever it is defined (top level or nested under children). */
function findGroup(root: YAMLMap, name: string): Pair | undefined {
  for (const item of root.items as Pair[]) {
    if (!isScalar(item.key)) continue;
    if (String(item.key.value) === name) return item;
    const children = isMap(item.value) ? mapGet(item.value, 'children')?.value : undefined;
    const inner = isMap(children) ? findGroup(children, name) : undefined;
    if (inner) return inner;
  }
  return undefined;
}

/** Every host entry in the file, in document order. */
function hostPairs(yt: YamlText): { name: string; pair: Pair }[] {
  return hostEntries(yt);
}

function fileDeclaring(dir: string, host: string): string {
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && !f.includes('.example.')).sort().map((f) => join(dir, f));
  const found = files.find((f) => statSync(f).isFile() && hostPairs(open(f)).some((p) => p.name === host));
  if (!found) throw new ConfigError(dir, undefined, undefined, `host '${host}' is not declared in any YAML inventory file in this directory`);
  return found;
}

/** Write via a temp file and rename, so a crash never leaves half an inventory. */
function save(yt: YamlText): void {
  mkdirSync(dirname(yt.file), { recursive: true });
  const tmp = `${yt.file}.fleet-tmp-${process.pid}`;
  writeFileSync(tmp, yt.text);
  if (existsSync(yt.file)) chmodSync(tmp, statSync(yt.file).mode & 0o7777);
  renameSync(tmp, yt.file);
}
