// `fleet inventory`: hosts and groups as the engine will see them; `--json`, `--graph` and
// `--host` print what ansible-inventory prints, for the tools that read it.
import type { CommandModule } from 'yargs';
import { loadInventory, selectHosts } from '../../config/index.js';
import { secretValues } from '../../engine/secrets.js';
import { ConfigError } from '../../model/errors.js';
import { Redactor } from '../../report/index.js';
import { effectiveSettings, type SettingFlags } from '../context.js';
import { ansibleJson, ansibleList } from '../inventory-views/ansible-list.js';
import { inventoryGraph } from '../inventory-views/graph.js';
import { INVENTORY, LIMIT } from '../options.js';
import { applyOptions, type CommandDoc } from '../spec.js';

interface Args extends SettingFlags {
  inventory: string[];
  json: boolean;
  list: boolean;
  graph: boolean;
  group?: string;
  vars: boolean;
  host?: string;
  limit?: string;
}

export const inventoryDoc: CommandDoc = {
  name: 'inventory',
  usage: 'fleet inventory [--json \\| --graph [GROUP] \\| --host HOST]',
  summary: 'hosts (user@address:port, groups) and groups (members, children); `--json` prints what `ansible-inventory --list` prints',
  options: [
    INVENTORY,
    { name: 'json', type: 'boolean', default: false, describe: "the document `ansible-inventory --list` prints: groups with `hosts` and `children`, and each host's variables in `_meta.hostvars`" },
    { name: 'list', type: 'boolean', default: false, describe: 'the same as `--json` (ansible-inventory\'s name)' },
    { name: 'graph', type: 'boolean', default: false, describe: 'the group tree (from GROUP, default `all`), as `ansible-inventory --graph` draws it' },
    { name: 'vars', type: 'boolean', default: false, describe: 'with `--graph`: show host and group variables' },
    { name: 'host', type: 'string', arg: 'HOST', describe: "one host's variables as JSON (`ansible-inventory --host`)" },
    { ...LIMIT, describe: 'only hosts matching the pattern (groups keep their place)' },
  ],
  details: `Values of variables named like secrets (*password, *secret, *token, *passphrase,
*private_key, *api_key) are shown as ******** in every form.`,
};

export const inventoryCommand: CommandModule<object, Args> = {
  command: 'inventory [group]',
  describe: inventoryDoc.summary,
  builder: (y) => applyOptions(y.positional('group', { type: 'string', describe: 'with --graph: the group to draw from' }), inventoryDoc.options) as never,
  handler: (args) => {
    const settings = effectiveSettings(args);
    const inv = loadInventory(settings.value<string[]>('inventory'));
    for (const w of inv.warnings) process.stderr.write(`warning: ${w}\n`);
    const hosts = new Set(args.limit ? selectHosts(inv, args.limit, { file: 'command line (--limit)' }) : inv.hosts.keys());
    const redactor = new Redactor();
    for (const h of inv.hosts.values()) for (const s of secretValues(h.vars)) redactor.add(s);
    for (const g of inv.groups.values()) for (const s of secretValues(g.vars)) redactor.add(s);
    if (args.host !== undefined) {
      const host = inv.hosts.get(args.host);
      if (!host) throw new ConfigError('command line (--host)', undefined, undefined, `unknown host '${args.host}' (known: ${[...inv.hosts.keys()].join(', ')})`);
      process.stdout.write(ansibleJson(redactor.redactEvent(host.vars)) + '\n');
      return;
    }
    if (args.json || args.list) {
      process.stdout.write(ansibleJson(redactor.redactEvent(ansibleList(inv, hosts))) + '\n');
      return;
    }
    if (args.graph) {
      const top = args.group ?? 'all';
      if (!inv.groups.has(top)) throw new ConfigError('command line (GROUP)', undefined, undefined, `unknown group '${top}' (known: ${[...inv.groups.keys()].join(', ')})`);
      process.stdout.write(redactor.redact(inventoryGraph(inv, top, hosts, args.vars)));
      return;
    }
    process.stdout.write('HOSTS\n');
    for (const h of inv.hosts.values()) {
      if (!hosts.has(h.name)) continue;
      const c = h.connection;
      process.stdout.write(`  ${h.name.padEnd(20)} ${`${c.user}@${c.address}:${c.port}`.padEnd(32)} ${h.groups.filter((g) => g !== 'all').join(', ')}\n`);
    }
    process.stdout.write('GROUPS\n');
    for (const g of inv.groups.values()) {
      const members = [...inv.hosts.values()].filter((h) => hosts.has(h.name) && h.groups.includes(g.name)).map((h) => h.name);
      process.stdout.write(`  ${g.name.padEnd(20)} ${members.join(', ')}${g.children.length ? `  (children: ${g.children.join(', ')})` : ''}\n`);
    }
  },
};
