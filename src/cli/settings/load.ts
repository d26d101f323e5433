// Effective settings: each from the highest layer that sets it, with where it came from and
// what it shadowed, so `fleet config` can explain them the way `fleet vars` explains a variable.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { isMap, isScalar } from 'yaml';
import { errAt, readYaml, sourceOf, toJS, type YamlFile } from '../../config/yaml-source.js';
import { ConfigError } from '../../model/errors.js';
import type { Source } from '../../model/inventory.js';
import { COLORS, SETTINGS, settingSpec, type SettingSpec } from './spec.js';

export interface SettingValue {
  value: unknown;
  source: Source;
  shadowed: { value: unknown; source: Source }[];
}

export interface SettingsFiles {
  /** ~/.config/fleet/config.yml (XDG_CONFIG_HOME). */
  user: string;
  /** ./fleet.yml, or the file FLEET_CONFIG names. */
  project: string;
}

export class Settings {
  constructor(
    private readonly values: Map<string, SettingValue>,
    readonly files: SettingsFiles,
  ) {}

  get(key: string): SettingValue {
    const v = this.values.get(key);
    if (!v) throw new Error(`no setting named ${key}`);
    return v;
  }

  value<T>(key: string): T {
    return this.get(key).value as T;
  }

  /** Flags given on the command line win over everything; undefined means not given. */
  withFlags(flags: Record<string, unknown>): Settings {
    const values = new Map(this.values);
    for (const [key, raw] of Object.entries(flags)) {
      if (raw === undefined || (Array.isArray(raw) && raw.length === 0)) continue;
      const spec = settingSpec(key);
      if (!spec) throw new Error(`no setting named ${key}`);
      const source: Source = { file: `flag ${spec.flag.replace(/^-\w, /, '')}` };
      values.set(key, layer(values.get(key)!, parseValue(spec, raw, source, process.cwd(), 'flag'), source));
    }
    return new Settings(values, this.files);
  }
}

export function settingsFiles(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): SettingsFiles {
  const configHome = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return {
    user: join(configHome, 'fleet', 'config.yml'),
    project: env.FLEET_CONFIG ? resolve(cwd, env.FLEET_CONFIG) : join(cwd, 'fleet.yml'),
  };
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Settings {
  const files = settingsFiles(env, cwd);
  const values = new Map<string, SettingValue>();
  for (const s of SETTINGS) values.set(s.key, { value: s.default, source: { file: 'default' }, shadowed: [] });
  // NO_COLOR (no-color.org) is the colour setting's environment default, below FLEET_COLOR.
  if (env.NO_COLOR) values.set('color', layer(values.get('color')!, 'never', { file: 'environment NO_COLOR' }));
  for (const file of [files.user, files.project]) {
    if (file === files.project && env.FLEET_CONFIG && !existsSync(file)) {
      throw new ConfigError(file, undefined, undefined, 'FLEET_CONFIG names this file, and it does not exist');
    }
    if (!existsSync(file)) continue;
    for (const [key, v] of readSettingsFile(file)) values.set(key, layer(values.get(key)!, v.value, v.source));
  }
  for (const s of SETTINGS) {
    const raw = env[s.env];
    if (raw === undefined || raw === '') continue;
    const source: Source = { file: `environment ${s.env}` };
    values.set(s.key, layer(values.get(s.key)!, parseValue(s, raw, source, cwd, 'env'), source));
  }
  return new Settings(values, files);
}

function layer(below: SettingValue, value: unknown, source: Source): SettingValue {
  return { value, source, shadowed: [{ value: below.value, source: below.source }, ...below.shadowed] };
}

function readSettingsFile(file: string): Map<string, { value: unknown; source: Source }> {
  const yf = readYaml(file);
  const out = new Map<string, { value: unknown; source: Source }>();
  const root = yf.doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return out;
  if (!isMap(root)) throw errAt(yf, root, `expected a mapping of settings (${SETTINGS.map((s) => s.key).join(', ')})`);
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const spec = settingSpec(key);
    if (!spec) throw errAt(yf, pair.key, `unknown setting '${key}' (known: ${SETTINGS.map((s) => s.key).join(', ')})`);
    const source = sourceOf(yf, pair.key);
    out.set(key, { value: parseFileValue(yf, spec, pair.value, source), source });
  }
  return out;
}

function parseFileValue(yf: YamlFile, spec: SettingSpec, node: unknown, source: Source): unknown {
  const raw = toJS(yf, node);
  try {
    return parseValue(spec, raw, source, dirname(yf.file), 'file');
  } catch (err) {
    if (err instanceof ConfigError) throw errAt(yf, node, err.detail);
    throw err;
  }
}

/** One setting's value from a file, the environment or a flag; paths are resolved against
 * the file's directory (a file) or the working directory. */
export function parseValue(spec: SettingSpec, raw: unknown, source: Source, baseDir: string, from: 'file' | 'env' | 'flag'): unknown {
  const bad = (expected: string) =>
    new ConfigError(
      source.file,
      source.line,
      source.column,
      `${spec.key}: expected ${expected}, got ${Number.isNaN(raw) ? 'something that is not a number' : JSON.stringify(raw)}`,
    );
  switch (spec.type) {
    case 'path':
      if (typeof raw !== 'string') throw bad('a path');
      return raw === '' ? '' : from === 'file' ? resolve(baseDir, raw) : raw;
    case 'paths': {
      const list = typeof raw === 'string' ? (from === 'file' ? [raw] : raw.split(/[:,]/)) : raw;
      if (!Array.isArray(list) || list.some((p) => typeof p !== 'string')) throw bad('a path or a list of paths');
      const paths = (list as string[]).map((p) => p.trim()).filter(Boolean);
      return from === 'file' ? paths.map((p) => resolve(baseDir, p)) : paths;
    }
    case 'count': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isInteger(n) || n < 1) throw bad('a whole number of at least 1');
      return n;
    }
    case 'size':
      if (parseSize(raw) === undefined) throw bad('a size in bytes, or with K, M or G (10M)');
      return typeof raw === 'number' ? raw : String(raw).trim();
    case 'color':
      if (typeof raw !== 'string' || !(COLORS as readonly string[]).includes(raw)) throw bad(COLORS.join(', '));
      return raw;
  }
}

/** "10M" -> 10485760; a plain number is bytes. */
export function parseSize(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isInteger(raw) && raw > 0 ? raw : undefined;
  if (typeof raw !== 'string') return undefined;
  const m = /^\s*(\d+)\s*([kmg]?)i?b?\s*$/i.exec(raw);
  if (!m || Number(m[1]) <= 0) return undefined;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * unit;
}
