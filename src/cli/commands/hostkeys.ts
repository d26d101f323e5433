// `fleet hostkeys accept HOST...`: pin a host's key after the operator has checked it.
import type { CommandModule } from 'yargs';
import { loadInventory, selectHosts } from '../../config/index.js';
import { acceptHostKey } from '../../transport/index.js';
import { repeatable } from '../repeatable.js';

interface Args {
  action: string;
  hosts: string[];
  inventory: string[];
}

export const hostkeysCommand: CommandModule<object, Args> = {
  command: 'hostkeys <action> <hosts..>',
  describe: "accept: record the current host key of hosts (a pattern) in the inventory's known_hosts",
  builder: (y) =>
    y
      .positional('action', { type: 'string', choices: ['accept'], demandOption: true })
      .positional('hosts', { type: 'string', array: true, demandOption: true })
      .option('inventory', { alias: 'i', type: 'string', default: ['inventory'], coerce: repeatable }) as never,
  handler: async (args) => {
    const inv = loadInventory(args.inventory);
    const names = selectHosts(inv, args.hosts.join(':'));
    let failed = 0;
    for (const name of names) {
      try {
        const fp = await acceptHostKey(inv.knownHostsFile, inv.hosts.get(name)!);
        process.stdout.write(`${name}: pinned ${fp} in ${inv.knownHostsFile}\n`);
      } catch (err) {
        failed++;
        process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
    if (failed) process.exitCode = 1;
  },
};
