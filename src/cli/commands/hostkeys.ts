// `fleet hostkeys accept HOST...`: pin a host's key after the operator has checked it.
import type { CommandModule } from 'yargs';
import { loadInventory, selectHosts } from '../../config/index.js';
import { acceptHostKey } from '../../transport/index.js';
import { effectiveSettings } from '../context.js';
import { INVENTORY } from '../options.js';
import { applyOptions, type CommandDoc } from '../spec.js';
import { terminalSafe } from '../../report/index.js';

interface Args {
  action: string;
  hosts: string[];
  inventory: string[];
}

export const hostkeysDoc: CommandDoc = {
  name: 'hostkeys',
  usage: 'fleet hostkeys accept PATTERN',
  summary: 'connect, and pin the offered host key in `inventory/known_hosts`',
  options: [INVENTORY],
};

export const hostkeysCommand: CommandModule<object, Args> = {
  command: 'hostkeys <action> <hosts..>',
  describe: hostkeysDoc.summary,
  builder: (y) =>
    applyOptions(
      y.positional('action', { type: 'string', choices: ['accept'], demandOption: true }).positional('hosts', { type: 'string', array: true, demandOption: true }),
      hostkeysDoc.options,
    ) as never,
  handler: async (args) => {
    const inv = loadInventory(effectiveSettings(args).value<string[]>('inventory'));
    const names = selectHosts(inv, args.hosts.join(':'));
    let failed = 0;
    for (const name of names) {
      try {
        const fp = await acceptHostKey(inv.knownHostsFile, inv.hosts.get(name)!);
        process.stdout.write(`${name}: pinned ${fp} in ${inv.knownHostsFile}\n`);
      } catch (err) {
        failed++;
        process.stderr.write(terminalSafe(`${name}: ${err instanceof Error ? err.message : String(err)}`) + '\n');
      }
    }
    if (failed) process.exitCode = 1;
  },
};
