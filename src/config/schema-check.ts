// Validate raw (unrendered) values against a JSON Schema at load time and report the first
// problem at the YAML node it concerns. Values holding {{ templates }} are not type-checked:
// they are only known after rendering.
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { ConfigError } from '../model/errors.js';
import { entries, errAt, isMap, isSeq, resolveAlias } from './yaml-source.js';
import type { YamlFile } from './yaml-source.js';

const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
const compiled = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

export interface SchemaCheck {
  yf: YamlFile;
  schema: Record<string, unknown>;
  data: unknown;
  /** Node holding `data`; errors point inside it. */
  node: unknown;
  /** Node to blame for missing required values (the key that introduced `data`). */
  ownerNode: unknown;
  /** "module 'file'" or "role 'nginx' vars". */
  what: string;
  /** Word for one entry: "parameter" or "variable". */
  noun: string;
  reportRequired: boolean;
}

export function checkAgainstSchema(c: SchemaCheck): void {
  const validate = validatorFor(c.schema);
  if (validate(c.data)) return;
  const errors = validate.errors ?? [];
  const props = Object.keys((c.schema.properties as Record<string, unknown> | undefined) ?? {}).sort();

  for (const e of errors) {
    if (e.keyword === 'additionalProperties') {
      const name = String((e.params as { additionalProperty: string }).additionalProperty);
      throw errAt(c.yf, keyNodeAt(c, e.instancePath, name), `unknown ${c.noun} '${name}' for ${c.what} (allowed: ${props.join(', ') || 'none'})`);
    }
  }
  if (c.reportRequired) {
    for (const e of errors) {
      if (e.keyword === 'required' && e.schemaPath === '#/required') {
        const name = String((e.params as { missingProperty: string }).missingProperty);
        throw errAt(c.yf, c.ownerNode, `${c.what} needs the ${c.noun} '${name}'`);
      }
    }
  }
  for (const e of errors) {
    if (e.keyword === 'required' || e.keyword === 'if') continue;
    const value = valueAt(c.data, e.instancePath);
    if (hasTemplate(value)) continue;
    if ((e.keyword === 'oneOf' || e.keyword === 'anyOf') && e.instancePath === '') {
      if (!c.reportRequired) continue;
      throw errAt(c.yf, c.ownerNode, `${c.what}: ${alternatives(e, errors, c.noun)}`);
    }
    const at = e.instancePath ? `${c.noun} '${e.instancePath.slice(1).replace(/\//g, '.')}'` : c.what;
    throw errAt(c.yf, nodeAt(c, e.instancePath), `${at} ${describe(e)}`);
  }
}

/** "needs one of the parameters content, src" for oneOf/anyOf of required sets. */
function alternatives(e: ErrorObject, all: ErrorObject[], noun: string): string {
  const prefix = e.schemaPath + '/';
  const missing = all
    .filter((x) => x.keyword === 'required' && x.schemaPath.startsWith(prefix))
    .map((x) => String((x.params as { missingProperty: string }).missingProperty));
  if (missing.length === 0) return `${e.message ?? 'does not match the schema'} (give only one of the alternatives)`;
  return `needs exactly one of the ${noun}s ${[...new Set(missing)].join(', ')}`;
}

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'enum') return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  if (e.keyword === 'type') return `must be ${String(p.type).replace(/,/g, ' or ')}`;
  return e.message ?? 'does not match the schema';
}

export function hasTemplate(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('{{');
  if (Array.isArray(v)) return v.some(hasTemplate);
  if (v && typeof v === 'object') return Object.values(v).some(hasTemplate);
  return false;
}

function segments(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(data: unknown, pointer: string): unknown {
  let v = data;
  for (const s of segments(pointer)) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[s] : undefined;
  return v;
}

/** The YAML node at a JSON pointer below `c.node`, or the deepest one found. */
export function nodeAt(c: { yf: YamlFile; node: unknown }, pointer: string): unknown {
  let n = c.node;
  for (const s of segments(pointer)) {
    const next = childNode(c.yf, n, s);
    if (next === undefined) break;
    n = next;
  }
  return n;
}

function keyNodeAt(c: { yf: YamlFile; node: unknown }, pointer: string, key: string): unknown {
  const parent = nodeAt(c, pointer);
  if (isMap(parent)) return entries(c.yf, parent).find((e) => e.key === key)?.keyNode ?? parent;
  return parent;
}

function childNode(yf: YamlFile, n: unknown, seg: string): unknown {
  if (isMap(n)) {
    const e = entries(yf, n).find((x) => x.key === seg);
    return e ? (e.value ?? e.keyNode) : undefined;
  }
  if (isSeq(n)) return resolveAlias(yf, n.items[Number(seg)]);
  return undefined;
}

export type { ConfigError };
