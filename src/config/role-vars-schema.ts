// A role's `variables:` JSON Schema: check the schema itself (ajv meta-schema and unknown
// keywords), then compute the defaults it declares.
import { Ajv } from 'ajv';
import type { Vars } from '../model/inventory.js';
import { nodeAt } from './schema-check.js';
import { entries, errAt, isMap, isSeq, kindOf, toJS } from './yaml-source.js';
import type { YamlFile } from './yaml-source.js';

// strictSchema: a misspelt keyword ("defualt", "typ") is an error, not silently ignored.
const strictAjv = new Ajv({ strictSchema: true, strictTypes: false, strictTuples: false, strictRequired: false, allowUnionTypes: true });
const defaultsAjv = new Ajv({ strict: false, useDefaults: true, allowUnionTypes: true });

export function readVarsSchema(yf: YamlFile, node: unknown, role: string): { schema: Record<string, unknown>; defaults: Vars } {
  if (!isMap(node)) throw errAt(yf, node, `role '${role}': 'variables' must be a JSON Schema object like {type: object, properties: {...}}, got ${kindOf(yf, node)}`);
  const schema = toJS(yf, node) as Record<string, unknown>;
  if (schema.type !== 'object') {
    const typeNode = entries(yf, node).find((e) => e.key === 'type');
    throw errAt(yf, typeNode?.value ?? node, `role '${role}': 'variables' must have type: object (its properties are the role's variables)`);
  }
  if (!strictAjv.validateSchema(schema)) {
    const e = strictAjv.errors![0];
    throw errAt(yf, nodeAt({ yf, node }, e.instancePath), `role '${role}': invalid variables schema at '${e.instancePath || '/'}': ${e.message}`);
  }
  try {
    strictAjv.compile(schema);
  } catch (err) {
    const msg = (err as Error).message;
    const kw = /unknown keyword: "([^"]+)"/.exec(msg)?.[1];
    throw errAt(yf, (kw && findKey(yf, node, kw)) ?? node, `role '${role}': invalid variables schema: ${msg}`);
  }
  const defaults: Vars = {};
  // Validation errors (required values without defaults) do not matter here: only the
  // filled-in defaults are kept; the engine validates the real values later.
  defaultsAjv.compile(schema)(defaults);
  return { schema, defaults };
}

/** First key node named `key` anywhere below `node`. */
function findKey(yf: YamlFile, node: unknown, key: string): unknown {
  if (isMap(node)) {
    for (const e of entries(yf, node)) {
      if (e.key === key) return e.keyNode;
      const inner = findKey(yf, e.value, key);
      if (inner) return inner;
    }
  } else if (isSeq(node)) {
    for (const n of node.items) {
      const inner = findKey(yf, n, key);
      if (inner) return inner;
    }
  }
  return undefined;
}
