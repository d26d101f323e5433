// `fleet vars HOST [VAR]`: merged inventory variables; for one variable, where it won and
// what it shadowed.
import type { CommandModule } from 'yargs';
import { stringify } from 'yaml';
import { describeVar, loadInventory } from '../../config/index.js';
import { ConfigError } from '../../model/errors.js';
import { effectiveSettings } from '../context.js';
import { parseExtraVars } from '../extra-vars.js';
import { EXTRA_VARS, INVENTORY } from '../options.js';
import { applyOptions, type CommandDoc } from '../spec.js';

interface Args {
  host: string;
  var?: string;
  inventory: string[];
  'extra-vars': string[];
  json: boolean;
}

export const varsDoc: CommandDoc = {
  name: 'vars',
  usage: 'fleet vars HOST [VAR] [-e k=v] [--json]',
  summary: "a host's merged variables; for one variable the winning value, its source file:line and the values it shadowed",
  options: [INVENTORY, EXTRA_VARS, { name: 'json', type: 'boolean', default: false, describe: 'as JSON' }],
};

const where = (s: { file: string; line?: number }): string => `${s.file}${s.line ? `:${s.line}` : ''}`;

export const varsCommand: CommandModule<object, Args> = {
  command: 'vars <host> [var]',
  describe: varsDoc.summary,
  builder: (y) => applyOptions(y.positional('host', { type: 'string', demandOption: true }).positional('var', { type: 'string' }), varsDoc.options) as never,
  handler: (args) => {
    const inventory = effectiveSettings(args).value<string[]>('inventory');
    const inv = loadInventory(inventory);
    const host = inv.hosts.get(args.host);
    if (!host) throw new ConfigError(inventory.join(','), undefined, undefined, `unknown host '${args.host}' (known: ${[...inv.hosts.keys()].join(', ')})`);
    const extra = parseExtraVars(args['extra-vars']);
    if (!args.var) {
      const merged = { ...host.vars, ...extra };
      process.stdout.write(args.json ? JSON.stringify(merged, null, 2) + '\n' : stringify(merged));
      return;
    }
    const d = describeVar(inv, args.host, args.var);
    if (args.var in extra) {
      const shadowed = d ? [{ value: d.value, source: d.source }, ...d.shadowed] : [];
      const out = { value: extra[args.var], source: { file: 'command line (-e)' }, shadowed };
      if (args.json) return void process.stdout.write(JSON.stringify(out, null, 2) + '\n');
      process.stdout.write(`${args.var} = ${JSON.stringify(out.value)}\n  from ${out.source.file}\n`);
      for (const s of shadowed) process.stdout.write(`  shadows ${JSON.stringify(s.value)} from ${where(s.source)}\n`);
      return;
    }
    if (!d) {
      process.stderr.write(`${args.var} is not defined for ${args.host}\n`);
      process.exitCode = 1;
      return;
    }
    if (args.json) return void process.stdout.write(JSON.stringify(d, null, 2) + '\n');
    process.stdout.write(`${args.var} = ${JSON.stringify(d.value)}\n  from ${where(d.source)}\n`);
    for (const s of d.shadowed) process.stdout.write(`  shadows ${JSON.stringify(s.value)} from ${where(s.source)}\n`);
  },
};
