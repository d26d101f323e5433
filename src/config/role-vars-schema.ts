// A role's `variables:` JSON Schema: check the schema itself (ajv's meta-schema, and no
// unknown keywords, so "defualt: 3" is an error, not silently ignored), then take the
// defaults it declares.
import { Ajv } from 'ajv';
import type { Vars } from '../model/inventory.js';
import { KNOWN_KEYWORDS, META_AJV_OPTIONS, VALIDATE_DRAFT07 } from './meta-schema-validator.js';
import { nodeAt } from './schema-check.js';
import { entries, errAt, isMap, kindOf, toJS } from './yaml-source.js';
import type { YamlFile } from './yaml-source.js';

let runtime: Ajv | undefined;
const ajv = (): Ajv => (runtime ??= new Ajv({ ...META_AJV_OPTIONS }));

/** ajv.validateSchema, precompiled for a schema without its own $schema (ajv's default, draft-07). */
function validateSchema(schema: Schema): { valid: boolean; errors: { instancePath: string; message?: string }[] } {
  if (VALIDATE_DRAFT07 && schema.$schema === undefined) {
    const valid = VALIDATE_DRAFT07(schema) as boolean;
    return { valid, errors: VALIDATE_DRAFT07.errors ?? [] };
  }
  const valid = ajv().validateSchema(schema) as boolean;
  return { valid, errors: ajv().errors ?? [] };
}

const isKeyword = (k: string): boolean => (KNOWN_KEYWORDS ? KNOWN_KEYWORDS.has(k) : Boolean(ajv().getKeyword(k)));

type Schema = Record<string, unknown>;
/** Keywords whose value is a schema, a list of schemas, or a map of schemas. */
const SUB_SCHEMA = ['items', 'additionalItems', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties'];
const SUB_LIST = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SUB_MAP = ['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas'];
/** Annotations and structure ajv accepts without a keyword definition (draft-07). */
const ANNOTATIONS = new Set(['default', 'title', 'description', 'examples', '$id', '$schema', 'definitions', '$defs', 'readOnly', 'writeOnly', 'deprecated', 'contentMediaType', 'contentEncoding']);

export function readVarsSchema(yf: YamlFile, node: unknown, role: string): { schema: Schema; defaults: Vars } {
  if (!isMap(node)) throw errAt(yf, node, `role '${role}': 'variables' must be a JSON Schema object like {type: object, properties: {...}}, got ${kindOf(yf, node)}`);
  const schema = toJS(yf, node) as Schema;
  if (schema.type !== 'object') {
    const typeNode = entries(yf, node).find((e) => e.key === 'type');
    throw errAt(yf, typeNode?.value ?? node, `role '${role}': 'variables' must have type: object (its properties are the role's variables)`);
  }
  const checked = validateSchema(schema);
  if (!checked.valid) {
    const e = checked.errors[0];
    throw errAt(yf, nodeAt({ yf, node }, e.instancePath), `role '${role}': invalid variables schema at '${e.instancePath || '/'}': ${e.message}`);
  }
  const unknown = unknownKeyword(schema, '');
  if (unknown) {
    throw errAt(yf, keyAt(yf, node, unknown.path, unknown.key), `role '${role}': unknown JSON Schema keyword '${unknown.key}' in variables at '${unknown.path || '/'}'`);
  }
  // Top-level defaults: the role's variables. Deeper defaults live inside these values.
  const defaults: Vars = {};
  for (const [k, p] of Object.entries((schema.properties as Record<string, Schema> | undefined) ?? {})) {
    if (p && typeof p === 'object' && 'default' in p) defaults[k] = structuredClone(p.default);
  }
  return { schema, defaults };
}

function unknownKeyword(s: unknown, path: string): { path: string; key: string } | undefined {
  if (!s || typeof s !== 'object' || Array.isArray(s)) return undefined;
  for (const [k, v] of Object.entries(s as Schema)) {
    if (!ANNOTATIONS.has(k) && !isKeyword(k)) return { path, key: k };
    const here = `${path}/${k}`;
    let found: { path: string; key: string } | undefined;
    if (SUB_SCHEMA.includes(k)) found = Array.isArray(v) ? v.map((x, i) => unknownKeyword(x, `${here}/${i}`)).find(Boolean) : unknownKeyword(v, here);
    else if (SUB_LIST.includes(k) && Array.isArray(v)) found = v.map((x, i) => unknownKeyword(x, `${here}/${i}`)).find(Boolean);
    else if (SUB_MAP.includes(k) && v && typeof v === 'object') found = Object.entries(v).map(([n, x]) => unknownKeyword(x, `${here}/${n.replace(/~/g, '~0').replace(/\//g, '~1')}`)).find(Boolean);
    if (found) return found;
  }
  return undefined;
}

function keyAt(yf: YamlFile, root: unknown, path: string, key: string): unknown {
  const parent = nodeAt({ yf, node: root }, path);
  return isMap(parent) ? (entries(yf, parent).find((e) => e.key === key)?.keyNode ?? parent) : parent;
}
