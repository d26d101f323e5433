// `fleet config [KEY]`: the effective settings, each with where it came from and what it
// shadowed, in the explain style of `fleet vars`.
import type { CommandModule } from 'yargs';
import { existsSync } from 'node:fs';
import { ConfigError } from '../../model/errors.js';
import type { Source } from '../../model/inventory.js';
import { effectiveSettings, type SettingFlags } from '../context.js';
import { COLOR, FORKS, INVENTORY, LOG_FILE, LOG_MAX_SIZE, ROLES_PATH } from '../options.js';
import { SETTINGS } from '../settings/spec.js';
import { applyOptions, type CommandDoc } from '../spec.js';

interface Args extends SettingFlags {
  key?: string;
  json: boolean;
}

export const configDoc: CommandDoc = {
  name: 'config',
  usage: 'fleet config [KEY] [--json]',
  summary: 'the effective settings, each with where it came from (flag, environment, file:line, default) and the values it shadowed',
  options: [
    { name: 'json', type: 'boolean', default: false, describe: 'as JSON: key -> {value, source, shadowed}' },
    INVENTORY,
    FORKS,
    ROLES_PATH,
    LOG_FILE,
    LOG_MAX_SIZE,
    COLOR,
  ],
};

const where = (s: Source): string => `${s.file}${s.line ? `:${s.line}` : ''}`;

export const configCommand: CommandModule<object, Args> = {
  command: 'config [key]',
  describe: configDoc.summary,
  builder: (y) => applyOptions(y.positional('key', { type: 'string', describe: 'one setting' }), configDoc.options) as never,
  handler: (args) => {
    const settings = effectiveSettings(args);
    const keys = args.key ? [args.key] : SETTINGS.map((s) => s.key);
    if (args.key && !SETTINGS.some((s) => s.key === args.key)) {
      throw new ConfigError('command line (KEY)', undefined, undefined, `unknown setting '${args.key}' (known: ${SETTINGS.map((s) => s.key).join(', ')})`);
    }
    if (args.json) {
      const out = Object.fromEntries(keys.map((k) => [k, settings.get(k)]));
      process.stdout.write(JSON.stringify(args.key ? out[args.key] : out, null, 2) + '\n');
      return;
    }
    if (!args.key) {
      for (const f of [settings.files.user, settings.files.project]) process.stdout.write(`# ${f}${existsSync(f) ? '' : ' (absent)'}\n`);
    }
    for (const k of keys) {
      const v = settings.get(k);
      process.stdout.write(`${k} = ${JSON.stringify(v.value)}\n  from ${where(v.source)}\n`);
      for (const s of v.shadowed) process.stdout.write(`  shadows ${JSON.stringify(s.value)} from ${where(s.source)}\n`);
    }
  },
};
