// A role declares the secrets it needs in its own secrets.yml, so that nobody has to write
// them by hand: each is generated on first use, encrypted into the project's secrets file,
// and stable from then on.
//
//   # roles/synapse/secrets.yml
//   synapse_macaroon:
//     generate: {length: 48}
//     description: signs Synapse's access tokens
//   synapse_signing_key:
//     generate: {type: ed25519}
//     per_host: true            # one per host: stored as synapse_signing_key@HOST
//
// The role reads it as {{ secrets.synapse_macaroon }}. A value already in the project's
// secrets file always wins over the role's generator.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, isMap, isScalar, parseDocument, type Node } from 'yaml';
import { SecretsError } from './errors.js';
import { parseGenerator, type GeneratorSpec } from './generate.js';
import { NAME } from './store-file.js';

export interface Declaration {
  name: string;
  generator: GeneratorSpec;
  perHost: boolean;
  description?: string;
  /** file:line of the declaration, for messages. */
  where: string;
}

export const DECLARATIONS_FILE = 'secrets.yml';
const KEYS = ['generate', 'per_host', 'description'];

const cache = new Map<string, Map<string, Declaration>>();

/** The secrets a role declares (empty when it has no secrets.yml). Read once per run. */
export function roleDeclarations(roleDir: string): Map<string, Declaration> {
  let d = cache.get(roleDir);
  if (!d) {
    const file = join(roleDir, DECLARATIONS_FILE);
    d = existsSync(file) ? parseDeclarations(file, readFileSync(file, 'utf8')) : new Map();
    cache.set(roleDir, d);
  }
  return d;
}

export function parseDeclarations(file: string, text: string): Map<string, Declaration> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  const at = (node: unknown) => {
    const p = lc.linePos((node as Node | undefined)?.range?.[0] ?? 0);
    return { file, line: p.line, column: p.col };
  };
  if (doc.errors[0]) {
    const e = doc.errors[0];
    throw new SecretsError(`invalid YAML: ${e.message.split('\n')[0]}`, { file, line: e.linePos?.[0].line, column: e.linePos?.[0].col });
  }
  const out = new Map<string, Declaration>();
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return out;
  if (!isMap(root)) throw new SecretsError('expected a mapping of secret names to {generate: ...}', at(root));
  for (const pair of root.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    const where = at(pair.key);
    if (!NAME.test(name) || name === 'public') {
      throw new SecretsError(
        `secret name '${name}': expected letters, digits and _ (not starting with a digit; 'public' is reserved)`,
        where,
      );
    }
    if (!isMap(pair.value))
      throw new SecretsError(
        `secret '${name}': expected a mapping with generate: (and per_host:, description:)`,
        at(pair.value ?? pair.key),
      );
    let generator: GeneratorSpec | undefined;
    let perHost = false;
    let description: string | undefined;
    for (const p of pair.value.items) {
      const k = isScalar(p.key) ? String(p.key.value) : '';
      const v = isMap(p.value) ? p.value.toJSON() : isScalar(p.value) ? p.value.value : undefined;
      if (k === 'generate') {
        const g = parseGenerator(v);
        if (typeof g === 'string') throw new SecretsError(`secret '${name}': ${g}`, at(p.value));
        generator = g;
      } else if (k === 'per_host') {
        if (typeof v !== 'boolean') throw new SecretsError(`secret '${name}': per_host must be true or false`, at(p.value));
        perHost = v;
      } else if (k === 'description') {
        if (typeof v !== 'string') throw new SecretsError(`secret '${name}': description must be a string`, at(p.value));
        description = v;
      } else {
        const hint = k === 'value' ? " (a role never holds values: they go to the project's secrets file)" : '';
        throw new SecretsError(`secret '${name}': unknown key '${k}' (allowed: ${KEYS.join(', ')})${hint}`, at(p.key));
      }
    }
    if (!generator)
      throw new SecretsError(`secret '${name}': a role declares how to generate it (generate: {length: 32} or {type: ...})`, where);
    out.set(name, { name, generator, perHost, description, where: `${file}:${where.line}` });
  }
  return out;
}

/** Read every role's declarations now, so a bad file is an error before any host is contacted. */
export function checkDeclarations(roleDirs: Iterable<string>): void {
  for (const d of roleDirs) roleDeclarations(d);
}

/** Every role's declarations under <projectDir>/roles (for `fleet secrets list` and rotate). */
export function projectDeclarations(projectDir: string): Map<string, Declaration> {
  const out = new Map<string, Declaration>();
  const roles = join(projectDir, 'roles');
  if (!existsSync(roles)) return out;
  for (const r of readdirSync(roles).sort()) {
    const dir = join(roles, r);
    for (const [name, d] of roleDeclarations(dir)) if (!out.has(name)) out.set(name, d);
  }
  return out;
}
