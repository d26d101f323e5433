// For scripts/bundle.mjs: ajv validators compiled at build time (ajv standalone code) in place
// of the two files that otherwise leave them to run time (src/engine/params-validators.ts,
// src/config/meta-schema-validator.ts). The schemas and options come from the tsc build of
// the same sources (dist/), which `npm run build` makes just before the bundle.
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const DRAFT07 = 'http://json-schema.org/draft-07/schema';

export async function precompiledValidators(root) {
  const load = (f) => import(pathToFileURL(join(root, 'dist', f)).href);
  const [{ modules }, { actions }, { PARAMS_AJV_OPTIONS }, { META_AJV_OPTIONS }] = await Promise.all([
    load('modules/index.js'),
    load('actions/index.js'),
    load('engine/params-validators.js'),
    load('config/meta-schema-validator.js'),
  ]);

  // One export per module and action, by position (names need not be identifiers).
  const params = new Ajv({ ...PARAMS_AJV_OPTIONS, code: { source: true, esm: true } });
  const names = [...new Set([...Object.keys(modules), ...Object.keys(actions)])];
  const exportsByName = {};
  names.forEach((name, i) => {
    const m = Object.prototype.hasOwnProperty.call(modules, name) ? modules[name] : actions[name];
    params.addSchema(m.schema, `fleet:params:${name}`);
    exportsByName[`v${i}`] = `fleet:params:${name}`;
  });
  const paramsCode = `${standaloneCode(params, exportsByName)}\nexport const PRECOMPILED = {${names.map((n, i) => `${JSON.stringify(n)}: v${i}`).join(', ')}};\nexport const PARAMS_AJV_OPTIONS = ${JSON.stringify(PARAMS_AJV_OPTIONS)};\n`;

  const meta = new Ajv({ ...META_AJV_OPTIONS, code: { source: true, esm: true } });
  const keywords = Object.keys(meta.RULES.all).filter((k) => meta.getKeyword(k));
  const metaCode = `${standaloneCode(meta, { VALIDATE_DRAFT07: DRAFT07 })}\nexport const KNOWN_KEYWORDS = new Set(${JSON.stringify(keywords)});\nexport const META_AJV_OPTIONS = ${JSON.stringify(META_AJV_OPTIONS)};\n`;

  const replaced = { 'src/engine/params-validators.ts': paramsCode, 'src/config/meta-schema-validator.ts': metaCode };
  return {
    name: 'fleet-precompiled-validators',
    setup(b) {
      b.onLoad({ filter: /src\/(engine\/params-validators|config\/meta-schema-validator)\.ts$/ }, (args) => {
        const key = Object.keys(replaced).find((k) => args.path.endsWith(k));
        return { contents: replaced[key], loader: 'js', resolveDir: root };
      });
    },
  };
}
