// Every command, with its documentation: main.ts registers them, and `fleet help`, the man
// page and the README's tables are rendered from the same list.
import type { CommandModule } from 'yargs';
import type { CommandDoc } from '../spec.js';
import { backupCommand, backupDoc } from './backup.js';
import { completionCommand, completionDoc } from './completion.js';
import { configCommand, configDoc } from './config.js';
import { convergeCommand, convergeDocs } from './converge.js';
import { factsCommand, factsDoc } from './facts.js';
import { hostkeysCommand, hostkeysDoc } from './hostkeys.js';
import { inventoryCommand, inventoryDoc } from './inventory.js';
import { labCommand, labDoc } from './lab.js';
import { nodeCommand } from './node.js';
import { nodeDoc } from './node-doc.js';
import { runCommandModule, runDoc } from './run.js';
import { secretsCommand, secretsDoc } from './secrets.js';
import { statusCommand, statusDoc } from './status.js';
import { varsCommand, varsDoc } from './vars.js';

export interface RegisteredCommand {
  module: CommandModule<object, never>;
  doc: CommandDoc;
}

const reg = <T>(module: CommandModule<object, T>, doc: CommandDoc): RegisteredCommand => ({ module: module as unknown as CommandModule<object, never>, doc });

export const COMMANDS: RegisteredCommand[] = [
  reg(convergeCommand('apply'), convergeDocs[0]),
  reg(convergeCommand('check'), convergeDocs[1]),
  reg(runCommandModule, runDoc),
  reg(factsCommand, factsDoc),
  reg(inventoryCommand, inventoryDoc),
  reg(varsCommand, varsDoc),
  reg(configCommand, configDoc),
  reg(hostkeysCommand, hostkeysDoc),
  reg(nodeCommand, nodeDoc),
  reg(secretsCommand, secretsDoc),
  reg(labCommand, labDoc),
  reg(backupCommand, backupDoc),
  reg(statusCommand, statusDoc),
  reg(completionCommand, completionDoc),
];
