// Ansible's YAML inventory format -> RawInventory.
//   all: { hosts: {h: {vars}}, children: {g: {hosts, children, vars}}, vars: {...} }
// Top-level keys other than "all" are groups too (Ansible allows it).
import { dirname } from 'node:path';
import { expandHostRange } from './host-range.js';
import { setVar } from './inventory-raw.js';
import type { RawGroup, RawInventory, RawVars } from './inventory-raw.js';
import { entries, errAt, isMap, isNullNode, kindOf, readYaml, sourceOf, toJS } from './yaml-source.js';
import type { YamlFile } from './yaml-source.js';

const GROUP_KEYS = ['children', 'hosts', 'vars'];

export function readYamlInventory(file: string, raw: RawInventory): void {
  readYamlDocument(readYaml(file), raw);
}

export function readYamlDocument(yf: YamlFile, raw: RawInventory): void {
  const file = yf.file;
  raw.warnings.push(...yf.warnings);
  const root = yf.doc.contents;
  if (isNullNode(root)) return; // an empty inventory file is allowed, it adds nothing
  if (!isMap(root)) {
    throw errAt(yf, root, `expected a mapping of groups, like "all: {hosts: {...}, children: {...}}", got ${kindOf(yf, root)}`);
  }
  const ctx = { yf, raw, baseDir: dirname(file) };
  for (const e of entries(yf, root)) readGroup(ctx, e.key, e.keyNode, e.value);
}

interface Ctx {
  yf: YamlFile;
  raw: RawInventory;
  baseDir: string;
}

function readGroup(ctx: Ctx, name: string, keyNode: unknown, node: unknown): RawGroup {
  const { yf, raw } = ctx;
  const g = raw.group(name, sourceOf(yf, keyNode));
  if (isNullNode(node)) return g;
  if (!isMap(node)) {
    throw errAt(yf, node, `group '${name}': expected a mapping with ${GROUP_KEYS.join(', ')}, got ${kindOf(yf, node)}`);
  }
  for (const e of entries(yf, node)) {
    if (e.key === 'hosts') readHosts(ctx, g, e.value);
    else if (e.key === 'vars') readVars(yf, e.value, g.inline, ctx.baseDir, `group '${name}': vars`);
    else if (e.key === 'children') {
      if (isNullNode(e.value)) continue;
      if (!isMap(e.value)) {
        throw errAt(yf, e.value, `group '${name}': children must be a mapping of group names, got ${kindOf(yf, e.value)}`);
      }
      for (const c of entries(yf, e.value)) {
        raw.addChild(g, c.key, sourceOf(yf, c.keyNode));
        readGroup(ctx, c.key, c.keyNode, c.value);
      }
    } else {
      throw errAt(yf, e.keyNode, `unknown key '${e.key}' in group '${name}' (allowed: ${GROUP_KEYS.join(', ')})`);
    }
  }
  return g;
}

function readHosts(ctx: Ctx, g: RawGroup, node: unknown): void {
  const { yf, raw } = ctx;
  if (isNullNode(node)) return;
  if (!isMap(node)) {
    throw errAt(yf, node, `group '${g.name}': hosts must be a mapping of host names to their vars (like "web1: {address: 10.0.0.5}"), got ${kindOf(yf, node)}`);
  }
  for (const e of entries(yf, node)) {
    let names: string[];
    try {
      names = expandHostRange(e.key);
    } catch (err) {
      throw errAt(yf, e.keyNode, (err as Error).message);
    }
    if (!isNullNode(e.value) && !isMap(e.value)) {
      throw errAt(yf, e.value, `host '${e.key}': expected a mapping of its vars or nothing, got ${kindOf(yf, e.value)}`);
    }
    for (const name of names) {
      if (!name || /\s/.test(name)) throw errAt(yf, e.keyNode, `invalid host name ${JSON.stringify(name)}: expected a name without spaces`);
      const h = raw.host(name, sourceOf(yf, e.keyNode));
      raw.addHostToGroup(name, g);
      readVars(yf, e.value, h.inline, ctx.baseDir, `host '${name}'`);
    }
  }
}

/** Read a mapping of vars into `into`, each with the position of its key. */
export function readVars(yf: YamlFile, node: unknown, into: RawVars, baseDir: string, what: string): void {
  if (isNullNode(node)) return;
  if (!isMap(node)) throw errAt(yf, node, `${what}: expected a mapping of variables, got ${kindOf(yf, node)}`);
  for (const e of entries(yf, node)) {
    setVar(into, e.key, { value: toJS(yf, e.value), source: sourceOf(yf, e.keyNode), baseDir });
  }
}
