// -e key=value, -e '{"json": 1}', -e @vars.yml: the three forms Ansible users type.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../model/errors.js';
import type { Vars } from '../model/inventory.js';
import { NUL_REASON, parseYaml, toJS } from '../config/yaml-source.js';

export function parseExtraVars(args: string[]): Vars {
  const out: Vars = {};
  for (const a of args) {
    if (a.startsWith('@')) {
      const file = a.slice(1);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new ConfigError(file, undefined, undefined, `cannot read extra vars: ${err instanceof Error ? err.message : String(err)}`);
      }
      // YAML 1.1, as Ansible reads -e @file (a syntax error names its line).
      const yf = parseYaml(file, text);
      const data = toJS(yf, yf.doc.contents);
      if (!data || typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(file, 1, 1, 'expected a mapping of variables');
      Object.assign(out, data);
    } else if (a.trim().startsWith('{')) {
      let data: unknown;
      try {
        data = JSON.parse(a);
      } catch (err) {
        throw new ConfigError('-e', undefined, undefined, `invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
      }
      // As in YAML files (parseYaml refuses it there).
      const nul = pathToNul(data);
      if (nul !== undefined) throw new ConfigError('-e', undefined, undefined, `a NUL character (\\u0000) in ${nul || 'the value'}: ${NUL_REASON}`);
      Object.assign(out, data);
    } else {
      for (const pair of a.split(/\s+(?=[\w.-]+=)/)) {
        const i = pair.indexOf('=');
        if (i <= 0) throw new ConfigError('-e', undefined, undefined, `expected key=value, got '${pair}'`);
        out[pair.slice(0, i)] = pair.slice(i + 1);
      }
    }
  }
  return out;
}

/** Where the first NUL character sits in JSON data (a dotted path; '' for the top), if any. */
function pathToNul(v: unknown, at = ''): string | undefined {
  if (typeof v === 'string') return v.includes('\0') ? at : undefined;
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const where = at ? `${at}.${k}` : k;
      if (k.includes('\0')) return where;
      const found = pathToNul(x, where);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
