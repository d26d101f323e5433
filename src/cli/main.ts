#!/usr/bin/env node
// fleet's command line: parse flags, call the layers below, pick a reporter. No logic here.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError } from '../model/errors.js';
import { backupCommand } from './commands/backup.js';
import { convergeCommand } from './commands/converge.js';
import { hostkeysCommand } from './commands/hostkeys.js';
import { inventoryCommand } from './commands/inventory.js';
import { labCommand } from './commands/lab.js';
import { nodeCommand } from './commands/node.js';
import { varsCommand } from './commands/vars.js';
import { EXIT } from './exit-codes.js';

try {
  await yargs(hideBin(process.argv))
    .scriptName('fleet')
    .command(convergeCommand('apply'))
    .command(convergeCommand('check'))
    .command(inventoryCommand)
    .command(varsCommand)
    .command(hostkeysCommand)
    .command(nodeCommand)
    .command(labCommand)
    .command(backupCommand)
    .demandCommand(1, 'give a command: apply, check, inventory, vars, hostkeys, node, lab or backup')
    .strict()
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`fleet: ${msg}\n(see fleet --help)\n`);
      process.exit(EXIT.config);
    })
    .help()
    .version()
    .parseAsync();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`fleet: ${err.message}\n`);
    process.exitCode = EXIT.config;
  } else {
    process.stderr.write(`fleet: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = EXIT.failed;
  }
}
