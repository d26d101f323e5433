// `fleet node add NAME --address A --group G`: add a host to the inventory, comments kept,
// and pin its key, so the next apply brings up only that node.
import type { CommandModule } from 'yargs';
import { addHost, loadInventory } from '../../config/index.js';
import { acceptHostKey } from '../../transport/index.js';
import { repeatable } from '../repeatable.js';

interface Args {
  action: string;
  name: string;
  address: string;
  port?: number;
  user?: string;
  group: string[];
  file: string;
  inventory: string[];
  'accept-hostkey': boolean;
}

export const nodeCommand: CommandModule<object, Args> = {
  command: 'node <action> <name>',
  describe: 'add: add a host to an inventory file (comments kept) and pin its host key',
  builder: (y) =>
    y
      .positional('action', { type: 'string', choices: ['add'], demandOption: true })
      .positional('name', { type: 'string', demandOption: true })
      .option('address', { type: 'string', demandOption: true })
      .option('port', { type: 'number' })
      .option('user', { type: 'string' })
      .option('group', { alias: 'g', type: 'string', default: [], coerce: repeatable })
      .option('file', { type: 'string', default: 'inventory/hosts.yml', describe: 'inventory file to edit' })
      .option('inventory', { alias: 'i', type: 'string', default: ['inventory'], coerce: repeatable })
      .option('accept-hostkey', { type: 'boolean', default: true, describe: 'connect once and pin the key' }) as never,
  handler: async (args) => {
    addHost(args.file, { name: args.name, address: args.address, port: args.port, user: args.user, groups: args.group });
    process.stdout.write(`added ${args.name} (${args.address}) to ${args.file}${args.group.length ? ` in ${args.group.join(', ')}` : ''}\n`);
    if (!args['accept-hostkey']) return;
    const inv = loadInventory(args.inventory.includes(args.file) ? args.inventory : [...args.inventory, args.file]);
    const fp = await acceptHostKey(inv.knownHostsFile, inv.hosts.get(args.name)!);
    process.stdout.write(`${args.name}: pinned ${fp} in ${inv.knownHostsFile}\n`);
  },
};
