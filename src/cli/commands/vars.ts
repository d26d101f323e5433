// `fleet vars HOST [VAR]`: merged inventory variables; for one variable, where it won, what
// it shadowed, and (when it is a template) the value it resolves to for that host.
import type { CommandModule } from 'yargs';
import { stringify } from 'yaml';
import { describeVar, loadInventory } from '../../config/index.js';
import { groupsMap } from '../../engine/vars.js';
import { ConfigError } from '../../model/errors.js';
import type { Host, Inventory, Vars } from '../../model/inventory.js';
import { assignVars, hasTemplate, lazyHostvars, resolveVar } from '../../template/index.js';
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
  summary:
    "a host's merged variables; for one variable the winning value (for a template: as written and as it resolves for that host), its source file:line and the values it shadowed",
  options: [INVENTORY, EXTRA_VARS, { name: 'json', type: 'boolean', default: false, describe: 'as JSON' }],
};

const where = (s: { file: string; line?: number }): string => `${s.file}${s.line ? `:${s.line}` : ''}`;

/** A host's variables as templates see them before any play: inventory, -e, and the names
 * every host has (inventory_hostname, groups, group_names, hostvars). */
function inventoryContext(inv: Inventory, host: Host, extra: Vars): Vars {
  const groups = groupsMap(inv);
  const scope = (h: Host, hostvars: Vars): Vars => {
    const ctx = assignVars({}, h.vars, (k) => h.varSources[k]?.source ?? { file: '(inventory)' });
    assignVars(ctx, extra, () => ({ file: 'command line (-e)' }));
    return Object.assign(ctx, { inventory_hostname: h.name, groups, group_names: h.groups.filter((g) => g !== 'all'), hostvars });
  };
  const hostvars: Vars = lazyHostvars([...inv.hosts.keys()], (name) => scope(inv.hosts.get(name)!, hostvars));
  return scope(host, hostvars);
}

/** The value a variable resolves to, or the error that keeps it from resolving. */
function resolved(inv: Inventory, host: Host, extra: Vars, name: string): { value?: unknown; error?: string } {
  try {
    return { value: resolveVar(inventoryContext(inv, host, extra), name) };
  } catch (e) {
    if (e instanceof ConfigError) return { error: e.message };
    throw e;
  }
}

function show(name: string, raw: unknown, r: { value?: unknown; error?: string } | undefined): void {
  if (!r) return void process.stdout.write(`${name} = ${JSON.stringify(raw)}\n`);
  if (r.error !== undefined) {
    process.stdout.write(`${name} = ${JSON.stringify(raw)} (as written: it does not resolve)\n  error: ${r.error}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`${name} = ${JSON.stringify(r.value)}\n  written ${JSON.stringify(raw)}\n`);
}

export const varsCommand: CommandModule<object, Args> = {
  command: 'vars <host> [var]',
  describe: varsDoc.summary,
  builder: (y) =>
    applyOptions(
      y.positional('host', { type: 'string', demandOption: true }).positional('var', { type: 'string' }),
      varsDoc.options,
    ) as never,
  handler: (args) => {
    const inventory = effectiveSettings(args).value<string[]>('inventory');
    const inv = loadInventory(inventory);
    const host = inv.hosts.get(args.host);
    if (!host)
      throw new ConfigError(
        inventory.join(','),
        undefined,
        undefined,
        `unknown host '${args.host}' (known: ${[...inv.hosts.keys()].join(', ')})`,
      );
    const extra = parseExtraVars(args['extra-vars']);
    if (!args.var) {
      const merged = { ...host.vars, ...extra };
      process.stdout.write(args.json ? JSON.stringify(merged, null, 2) + '\n' : stringify(merged));
      return;
    }
    const d = describeVar(inv, args.host, args.var);
    const fromExtra = args.var in extra;
    if (!fromExtra && !d) {
      process.stderr.write(`${args.var} is not defined for ${args.host}\n`);
      process.exitCode = 1;
      return;
    }
    const raw = fromExtra ? extra[args.var] : d!.value;
    const source = fromExtra ? { file: 'command line (-e)' } : d!.source;
    const shadowed = fromExtra ? (d ? [{ value: d.value, source: d.source }, ...d.shadowed] : []) : d!.shadowed;
    // A value that holds a template is shown as written and as it resolves for this host.
    const r = hasTemplate(raw) ? resolved(inv, host, extra, args.var) : undefined;
    if (args.json) {
      const out = r ? { value: r.value, raw, error: r.error, source, shadowed } : { value: raw, source, shadowed };
      if (r?.error !== undefined) process.exitCode = 1;
      return void process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    }
    show(args.var, raw, r);
    process.stdout.write(`  from ${where(source)}\n`);
    for (const s of shadowed) process.stdout.write(`  shadows ${JSON.stringify(s.value)} from ${where(s.source)}\n`);
  },
};
