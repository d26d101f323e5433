// `fleet vars HOST [VAR]`: merged inventory variables and how the host is reached; for one
// variable, where it won, what it shadowed, and (when it is a template) the value it resolves
// to for that host.
import { homedir } from 'node:os';
import type { CommandModule } from 'yargs';
import { stringify } from 'yaml';
import { describeVar, loadInventory } from '../../config/index.js';
import { groupsMap } from '../../engine/vars.js';
import { ConfigError } from '../../model/errors.js';
import type { ConnectionSources, Host, Inventory, Source, Vars } from '../../model/inventory.js';
import { addSecretsToContext } from '../../secrets/index.js';
import { assignVars, hasTemplate, lazyHostvars, resolveVar } from '../../template/index.js';
import { effectiveSettings } from '../context.js';
import { parseExtraVars } from '../extra-vars.js';
import { EXTRA_VARS, INVENTORY } from '../options.js';
import { applyOptions, type CommandDoc } from '../spec.js';
import { Redactor } from '../../report/index.js';
import { VAULT_OPTIONS } from './secrets-vault-options.js';

interface Args {
  host: string;
  var?: string;
  inventory: string[];
  'extra-vars': string[];
  json: boolean;
  'show-secrets': boolean;
}

export const varsDoc: CommandDoc = {
  name: 'vars',
  usage: 'fleet vars HOST [VAR] [-e k=v] [--json] [--show-secrets]',
  summary:
    "a host's merged variables, then how it is reached (address, port, user, key, proxy), each with its source (an inventory file:line, or `~/.ssh/config:LINE HostName`); for one variable the winning value (for a template: as written and as it resolves for that host), its source file:line and the values it shadowed; secrets show as `********` unless `--show-secrets`",
  options: [
    INVENTORY,
    EXTRA_VARS,
    { name: 'json', type: 'boolean', default: false, describe: 'as JSON' },
    { name: 'show-secrets', type: 'boolean', default: false, describe: 'show secret values (named like secrets, or decrypted from a vault) instead of `********`' },
    ...VAULT_OPTIONS,
  ],
};


/** A path under the home directory as ~/...: "~/.ssh/config:12". */
const where = (s: { file: string; line?: number }): string => {
  const home = homedir();
  const f = s.file.startsWith(`${home}/`) ? `~${s.file.slice(home.length)}` : s.file;
  return `${f}${s.line ? `:${s.line}` : ''}`;
};

/** Connection fields and the variables that name them. */
const CONNECTION_FIELDS: [keyof ConnectionSources, string[]][] = [
  ['address', ['address', 'ansible_host']],
  ['port', ['port', 'ansible_port']],
  ['user', ['user', 'ansible_user']],
  ['privateKeyFile', ['private_key_file', 'ansible_ssh_private_key_file']],
  ['proxyJump', ['proxy_jump']],
  ['proxyCommand', ['proxy_command']],
];

/** How fleet reaches the host, each setting with where it came from (the inventory, or
 * ~/.ssh/config), as YAML comments after the variables. */
function connectionComment(host: Host): string {
  const c = host.connection;
  const lines = CONNECTION_FIELDS.filter(([f]) => c[f] !== undefined).map(([f, names]) => {
    const s = host.connectionSources?.[f];
    return `#   ${names[0]}: ${JSON.stringify(c[f])}  (${s ? `${where(s.source)} ${s.setting}` : 'default'})`;
  });
  return `# connection (how fleet reaches ${host.name}):\n${lines.join('\n')}\n`;
}

/** A connection setting the inventory does not define, but ~/.ssh/config does. */
function connectionSetting(host: Host, name: string): { value: unknown; source: Source; setting: string } | undefined {
  const field = CONNECTION_FIELDS.find(([, names]) => names.includes(name))?.[0];
  const s = field && host.connectionSources?.[field];
  return s ? { value: host.connection[field], source: s.source, setting: s.setting } : undefined;
}

/** A host's variables as templates see them before any play: inventory, -e, and the names
 * every host has (inventory_hostname, groups, group_names, hostvars). */
function inventoryContext(inv: Inventory, host: Host, extra: Vars): Vars {
  const groups = groupsMap(inv);
  const scope = (h: Host, hostvars: Vars): Vars => {
    const ctx = assignVars({}, h.vars, (k) => h.varSources[k]?.source ?? { file: '(inventory)' });
    assignVars(ctx, extra, () => ({ file: 'command line (-e)' }));
    // {{ secrets.NAME }} resolves as in a run; dry: `fleet vars` never generates or writes one.
    addSecretsToContext(ctx, inv.sources, h.name, undefined, inv.hosts.keys(), { dryRun: true });
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
    const redactor = new Redactor();
    // A value is masked when its name (or an enclosing one) looks like a secret, or it is a
    // known secret (decrypted from a vault): unless --show-secrets.
    const mask = (v: unknown, name?: string): unknown =>
      args['show-secrets'] ? v : name === undefined ? redactor.maskVars(v) : (redactor.maskVars({ [name]: v }) as Vars)[name];
    if (!args.var) {
      const merged = mask({ ...host.vars, ...extra });
      process.stdout.write(args.json ? JSON.stringify(merged, null, 2) + '\n' : stringify(merged) + connectionComment(host));
      return;
    }
    const name = args.var;
    const d = describeVar(inv, args.host, name);
    const fromExtra = name in extra;
    const fromConnection = !d && !fromExtra ? connectionSetting(host, name) : undefined;
    if (fromConnection) {
      if (args.json) return void process.stdout.write(JSON.stringify(fromConnection, null, 2) + '\n');
      process.stdout.write(`${name} = ${JSON.stringify(fromConnection.value)}\n  from ${where(fromConnection.source)} (${fromConnection.setting})\n`);
      return;
    }
    if (!fromExtra && !d) {
      process.stderr.write(`${args.var} is not defined for ${args.host}\n`);
      process.exitCode = 1;
      return;
    }
    const written = fromExtra ? extra[name] : d!.value;
    const raw = mask(written, name);
    const source = fromExtra ? { file: 'command line (-e)' } : d!.source;
    const shadowed = (fromExtra ? (d ? [{ value: d.value, source: d.source }, ...d.shadowed] : []) : d!.shadowed).map((x) => ({ ...x, value: mask(x.value, name) }));
    // A value that holds a template is shown as written and as it resolves for this host
    // (masked like any value: it may resolve to a secret).
    const found = hasTemplate(written) ? resolved(inv, host, extra, name) : undefined;
    const r = found && { ...found, value: found.error === undefined ? mask(found.value, name) : undefined };
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
