// Check raw (unrendered) values against a module's or role's JSON Schema at load time and
// report the first problem at the YAML node it concerns. Only what can be known before
// rendering is checked: unknown names, required names (and one-of/any-of required sets),
// and the type/enum of top-level values that hold no {{ template }}. Done by hand, not with
// ajv: compiling every schema costs most of a second per run, and the engine validates the
// rendered values with ajv anyway.
import { entries, errAt, isMap, isSeq, resolveAlias } from './yaml-source.js';
import type { YamlFile } from './yaml-source.js';
import { isSecretName } from '../model/secret-values.js';

type Schema = Record<string, unknown>;

export interface SchemaCheck {
  yf: YamlFile;
  schema: Schema;
  data: Record<string, unknown>;
  /** Node holding `data`; errors point inside it. */
  node: unknown;
  /** Node to blame for missing required values (the key that introduced `data`). */
  ownerNode: unknown;
  /** "module 'file'" or "role 'nginx'". */
  what: string;
  /** Word for one entry: "parameter" or "variable". */
  noun: string;
  reportRequired: boolean;
  /** Entries whose values are secrets (a module's secretParams): never shown in an error. */
  secret?: readonly string[];
}

export function checkAgainstSchema(c: SchemaCheck): void {
  const props = (c.schema.properties as Record<string, Schema> | undefined) ?? {};
  const names = Object.keys(props).sort();
  if (c.schema.additionalProperties === false) {
    for (const k of Object.keys(c.data)) {
      if (!(k in props))
        throw errAt(c.yf, keyNode(c, k), `unknown ${c.noun} '${k}' for ${c.what} (allowed: ${names.join(', ') || 'none'})`);
    }
  }
  if (c.reportRequired) {
    for (const k of (c.schema.required as string[] | undefined) ?? []) {
      if (!(k in c.data)) throw errAt(c.yf, c.ownerNode, `${c.what} needs the ${c.noun} '${k}'`);
    }
    checkAlternatives(c, 'oneOf');
    checkAlternatives(c, 'anyOf');
  }
  for (const [k, v] of Object.entries(c.data)) {
    const p = props[k];
    if (!p || hasTemplate(v)) continue;
    // Refused before any secret is registered for masking: a secret's value is not shown,
    // nor the password of a URL's user:password.
    const hidden = c.secret?.includes(k) || isSecretName(k);
    const problem = valueProblem(p, v, hidden ? (x) => `${typeof x} (a secret: not shown)` : (x) => withoutUserinfo(describe(x)));
    if (problem) throw errAt(c.yf, valueNode(c, k), `${c.noun} '${k}' ${problem}`);
  }
}

/** oneOf/anyOf whose branches are required-sets: "content or src". Other constraints in
 * the branches are left to the engine's validation after rendering. */
function checkAlternatives(c: SchemaCheck, kw: 'oneOf' | 'anyOf'): void {
  const branches = c.schema[kw] as Schema[] | undefined;
  if (!Array.isArray(branches) || !branches.every((b) => Array.isArray(b.required))) return;
  const sets = branches.map((b) => b.required as string[]);
  const met = sets.filter((s) => s.every((k) => k in c.data)).length;
  const list = [...new Set(sets.flat())].join(', ');
  if (met === 0)
    throw errAt(c.yf, c.ownerNode, `${c.what} needs ${kw === 'oneOf' ? 'exactly one' : 'at least one'} of the ${c.noun}s ${list}`);
  if (kw === 'oneOf' && met > 1) throw errAt(c.yf, c.ownerNode, `${c.what} takes only one of the ${c.noun}s ${list}`);
}

function valueProblem(p: Schema, v: unknown, describe: (v: unknown) => string): string | undefined {
  const alts = (p.anyOf ?? p.oneOf) as Schema[] | undefined;
  if (Array.isArray(alts) && !p.type) {
    return alts.some((a) => !valueProblem(a, v, describe)) ? undefined : `must be ${alts.map((a) => typeWords(a.type) ?? 'valid').join(' or ')}`;
  }
  if (p.type !== undefined) {
    const types = Array.isArray(p.type) ? (p.type as string[]) : [p.type as string];
    if (!types.some((t) => isType(t, v))) return `must be ${typeWords(p.type)}, got ${describe(v)}${yaml11Hint(p, v)}`;
  }
  if (Array.isArray(p.enum) && !p.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    return `must be one of ${p.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${describe(v)}`;
  }
  if ('const' in p && JSON.stringify(p.const) !== JSON.stringify(v)) return `must be ${JSON.stringify(p.const)}`;
  if (typeof p.pattern === 'string' && typeof v === 'string' && !new RegExp(p.pattern, 'u').test(v)) {
    return `must be ${typeof p.description === 'string' ? p.description : `text matching /${p.pattern}/`}, got ${describe(v)}`;
  }
  return undefined;
}

function isType(t: string, v: unknown): boolean {
  switch (t) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return !!v && typeof v === 'object' && !Array.isArray(v);
    case 'null':
      return v === null;
    default:
      return true;
  }
}

/** `ssh_permit_root_login: no` is the boolean false in YAML 1.1: say how to write the word. */
function yaml11Hint(p: Schema, v: unknown): string {
  if (typeof v !== 'boolean') return '';
  const words = (Array.isArray(p.enum) ? p.enum : []).filter((e): e is string => typeof e === 'string' && /^(?:yes|no|on|off)$/i.test(e));
  const word = words.find((w) => /^(?:yes|on)$/i.test(w) === v) ?? (v ? 'yes' : 'no');
  return words.length || p.type === 'string'
    ? ` (an unquoted yes/no/on/off is a boolean in YAML 1.1, as in Ansible: write "${word}" in quotes)`
    : '';
}

function typeWords(t: unknown): string | undefined {
  if (t === undefined) return undefined;
  const words = (Array.isArray(t) ? t : [t]).map((x) => (x === 'array' ? 'a list' : x === 'object' ? 'a mapping' : String(x)));
  return words.join(' or ');
}

/** `scheme://user:password@host`: the credentials masked. */
const withoutUserinfo = (text: string): string => text.replace(/(\/\/)[^/@\s"]*@/g, '$1********@');

function describe(v: unknown): string {
  if (v === null) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

export function hasTemplate(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('{{');
  if (Array.isArray(v)) return v.some(hasTemplate);
  if (v && typeof v === 'object') return Object.values(v).some(hasTemplate);
  return false;
}

function keyNode(c: SchemaCheck, key: string): unknown {
  return isMap(c.node) ? (entries(c.yf, c.node).find((e) => e.key === key)?.keyNode ?? c.node) : c.ownerNode;
}

function valueNode(c: SchemaCheck, key: string): unknown {
  if (!isMap(c.node)) return c.ownerNode;
  const e = entries(c.yf, c.node).find((x) => x.key === key);
  return e?.value ?? e?.keyNode ?? c.node;
}

/** The YAML node at a JSON pointer below `node`, or the deepest one found. */
export function nodeAt(c: { yf: YamlFile; node: unknown }, pointer: string): unknown {
  let n = c.node;
  const segs =
    pointer === ''
      ? []
      : pointer
          .slice(1)
          .split('/')
          .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  for (const s of segs) {
    let next: unknown;
    if (isMap(n)) {
      const e = entries(c.yf, n).find((x) => x.key === s);
      next = e ? (e.value ?? e.keyNode) : undefined;
    } else if (isSeq(n)) next = resolveAlias(c.yf, n.items[Number(s)]);
    if (next === undefined) break;
    n = next;
  }
  return n;
}
