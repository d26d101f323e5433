// Parse YAML keeping node positions, so every later error can name file:line:column.
import { readFileSync } from 'node:fs';
import { Document, LineCounter, Scalar, YAMLMap, YAMLSeq, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { Node } from 'yaml';
import { ConfigError } from '../model/errors.js';
import type { Source } from '../model/inventory.js';
import { openVaultFile, vaultTags } from '../secrets/vault-yaml.js';
import { ansibleTags, YAML_OPTIONS } from './yaml-schema.js';
import { yamlSurprises } from './yaml-surprises.js';
import { aliasProblem } from './yaml-aliases.js';

export interface YamlFile {
  file: string;
  doc: Document;
  lc: LineCounter;
  /** Scalars YAML 1.1 reads differently from their text (yaml-surprises.ts), file:line:col each. */
  warnings: string[];
}

/** Read and parse a YAML file; syntax errors become ConfigError at the parser's position. */
export function readYaml(file: string): YamlFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, undefined, undefined, `cannot read file: ${(e as Error).message}`);
  }
  return parseYaml(file, text);
}

/** Tags fleet does not read, with what to do instead. */
const UNSUPPORTED_TAGS: Record<string, string> = {
  '!unsafe': "fleet has no !unsafe: a value is templated when used; keep '{{' out of it or build it in a template",
};

/** `vault: false` leaves Ansible Vault values encrypted (for edits by text position). */
export function parseYaml(file: string, text: string, opts: { vault?: boolean } = {}): YamlFile {
  const lc = new LineCounter();
  // Ansible Vault: a file encrypted whole is decrypted first; `!vault` values by their tag.
  const vault = opts.vault !== false;
  if (vault) text = openVaultFile(file, text);
  // YAML 1.1 as PyYAML reads it (yaml-schema.ts): Ansible's files are written for that.
  const customTags = vault ? (defaults: Parameters<typeof ansibleTags>[0]) => [...ansibleTags(defaults), ...vaultTags] : ansibleTags;
  const doc = parseDocument(text, { ...YAML_OPTIONS, customTags, lineCounter: lc, prettyErrors: true });
  // An unknown tag (!unsafe, !foo) is only a warning for the library; its value would be
  // read as a plain string, silently. Refuse it.
  const err = doc.errors[0] ?? doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED');
  if (err) {
    const pos = err.linePos?.[0];
    const firstLine = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    const tag = /^Unresolved tag: (\S+)/.exec(firstLine)?.[1];
    if (tag)
      throw new ConfigError(
        file,
        pos?.line,
        pos?.col,
        `unknown YAML tag ${tag}${UNSUPPORTED_TAGS[tag] ? `: ${UNSUPPORTED_TAGS[tag]}` : ''}`,
      );
    // A tag that could not be resolved (a vault with a wrong password) says so itself.
    throw new ConfigError(file, pos?.line, pos?.col, err.code === 'TAG_RESOLVE_FAILED' ? firstLine : `invalid YAML: ${firstLine}`);
  }
  const yf: YamlFile = { file, doc, lc, warnings: [] };
  const alias = aliasProblem(doc);
  if (alias) throw errAt(yf, alias.node, alias.message);
  const nul = nulScalar(doc);
  if (nul) throw errAt(yf, nul, `a NUL character (\\0) in a value: ${NUL_REASON}`);
  yf.warnings = yamlSurprises(yf);
  return yf;
}

/** Why a value may not hold a NUL character (YAML files and -e say the same). */
export const NUL_REASON = 'no command line, file name or shell variable can hold one (the host would silently drop it)';

/** The first scalar whose text holds a NUL character ("\\0" in a double-quoted string). */
function nulScalar(doc: Document): Node | undefined {
  let found: Node | undefined;
  visit(doc, {
    Scalar(_k, node) {
      if (typeof node.value === 'string' && node.value.includes('\0')) {
        found = node;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** 1-based line/column of a node (or of the document start when the node has no range). */
export function posOf(yf: YamlFile, node: unknown): { line: number; column: number } {
  const range = (node as Node | undefined)?.range;
  const offset = range ? range[0] : 0;
  const p = yf.lc.linePos(offset);
  return { line: p.line, column: p.col };
}

export function sourceOf(yf: YamlFile, node: unknown): Source {
  const p = posOf(yf, node);
  return { file: yf.file, line: p.line, column: p.column };
}

export function errAt(yf: YamlFile, node: unknown, detail: string): ConfigError {
  const p = posOf(yf, node);
  return new ConfigError(yf.file, p.line, p.column, detail);
}

/** Plain JS value of a node (aliases and merge keys resolved). */
export function toJS(yf: YamlFile, node: unknown): unknown {
  if (node === null || node === undefined) return null;
  if (typeof (node as Node).toJS !== 'function') return node;
  try {
    // Aliases were checked when the file was read (yaml-aliases.ts), so the library's own
    // per-anchor limit (maxAliasCount) is lifted to that check's.
    return (node as Node).toJS(yf.doc, { maxAliasCount: -1 });
  } catch (e) {
    // A backstop: the library throws ReferenceError for aliases it cannot expand.
    if (e instanceof ReferenceError) throw errAt(yf, node, `YAML: ${e.message}`);
    throw e;
  }
}

/** A node's key/value pairs with string keys. Merge keys (<<) are expanded in order. */
export interface Entry {
  key: string;
  keyNode: Scalar | undefined;
  value: unknown;
}

export function entries(yf: YamlFile, map: YAMLMap): Entry[] {
  const out: Entry[] = [];
  for (const item of map.items) {
    if (!isPair(item)) continue;
    const keyNode = isScalar(item.key) ? (item.key as Scalar) : undefined;
    const key = keyNode ? String(keyNode.value) : String(toJS(yf, item.key));
    if (key === '<<') {
      // Expand merge sources so the caller sees their keys at their definitions.
      const srcs = isSeq(item.value) ? item.value.items : [item.value];
      for (const s of srcs) {
        const target = resolveAlias(yf, s);
        if (isMap(target)) for (const e of entries(yf, target)) if (!out.some((o) => o.key === e.key)) out.push(e);
      }
      continue;
    }
    const existing = out.findIndex((o) => o.key === key);
    if (existing >= 0) out.splice(existing, 1); // explicit keys override merged ones
    out.push({ key, keyNode, value: resolveAlias(yf, item.value) });
  }
  return out;
}

/** Follow an alias to its anchored node so positions and shapes are the anchor's. */
export function resolveAlias(yf: YamlFile, node: unknown): unknown {
  return isAlias(node) ? (node.resolve(yf.doc) ?? node) : node;
}

export function isNullNode(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

export type { YAMLMap, YAMLSeq, Scalar };
export { isMap, isSeq, isScalar };

/** Name of a node's shape, for "expected X, got Y" messages. */
export function kindOf(yf: YamlFile, node: unknown): string {
  if (isNullNode(node)) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  const v = toJS(yf, node);
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}
