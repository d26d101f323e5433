// `fleet inventory`: hosts and groups as the engine will see them.
import { relative } from 'node:path';
import type { CommandModule } from 'yargs';
import { loadInventory } from '../../config/index.js';
import { repeatable } from '../repeatable.js';

interface Args {
  inventory: string[];
  json: boolean;
  verbose: boolean;
}

export const inventoryCommand: CommandModule<object, Args> = {
  command: 'inventory',
  describe: 'list hosts and groups',
  builder: (y) =>
    y
      .option('inventory', { alias: 'i', type: 'string', default: ['inventory'], coerce: repeatable })
      .option('json', { type: 'boolean', default: false })
      .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'also say why a file was read in the format it was' }) as never,
  handler: (args) => {
    const inv = loadInventory(args.inventory);
    for (const w of inv.warnings) process.stderr.write(`warning: ${w}\n`);
    if (args.json) {
      const hosts = Object.fromEntries([...inv.hosts.values()].map((h) => [h.name, { ...h.connection, groups: h.groups }]));
      const groups = Object.fromEntries([...inv.groups.values()].map((g) => [g.name, { hosts: g.hosts, children: g.children }]));
      process.stdout.write(JSON.stringify({ hosts, groups, files: inv.files ?? [] }, null, 2) + '\n');
      return;
    }
    process.stdout.write('HOSTS\n');
    for (const h of inv.hosts.values()) {
      const c = h.connection;
      process.stdout.write(`  ${h.name.padEnd(20)} ${`${c.user}@${c.address}:${c.port}`.padEnd(32)} ${h.groups.filter((g) => g !== 'all').join(', ')}\n`);
    }
    process.stdout.write('GROUPS\n');
    for (const g of inv.groups.values()) {
      const members = [...inv.hosts.values()].filter((h) => h.groups.includes(g.name)).map((h) => h.name);
      process.stdout.write(`  ${g.name.padEnd(20)} ${members.join(', ')}${g.children.length ? `  (children: ${g.children.join(', ')})` : ''}\n`);
    }
    // Which reader read each file: an INI inventory named hosts.yml is read as INI.
    process.stdout.write('FILES\n');
    for (const f of inv.files ?? []) {
      process.stdout.write(`  ${relative(process.cwd(), f.file) || f.file}  ${f.format.toUpperCase()}${args.verbose && f.note ? `: ${f.note}` : ''}\n`);
    }
  },
};
