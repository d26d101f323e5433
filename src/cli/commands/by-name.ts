// One command's module, loaded alone: `fleet secrets get` needs neither ssh2 nor the engine,
// and loading every command (hundreds of modules) is most of fleet's start-up. The names are
// index.ts's, in its order; cli.ts falls back to all of them for anything else (no command,
// an unknown one, completion, help).
import type { RegisteredCommand } from './index.js';

const reg = (module: unknown, doc: unknown): RegisteredCommand => ({ module, doc }) as RegisteredCommand;

export const COMMAND_LOADERS: Record<string, () => Promise<RegisteredCommand>> = {
  apply: async () => import('./converge.js').then((m) => reg(m.convergeCommand('apply'), m.convergeDocs[0])),
  check: async () => import('./converge.js').then((m) => reg(m.convergeCommand('check'), m.convergeDocs[1])),
  run: async () => import('./run.js').then((m) => reg(m.runCommandModule, m.runDoc)),
  facts: async () => import('./facts.js').then((m) => reg(m.factsCommand, m.factsDoc)),
  inventory: async () => import('./inventory.js').then((m) => reg(m.inventoryCommand, m.inventoryDoc)),
  vars: async () => import('./vars.js').then((m) => reg(m.varsCommand, m.varsDoc)),
  config: async () => import('./config.js').then((m) => reg(m.configCommand, m.configDoc)),
  hostkeys: async () => import('./hostkeys.js').then((m) => reg(m.hostkeysCommand, m.hostkeysDoc)),
  node: async () => Promise.all([import('./node.js'), import('./node-doc.js')]).then(([m, d]) => reg(m.nodeCommand, d.nodeDoc)),
  secrets: async () => import('./secrets.js').then((m) => reg(m.secretsCommand, m.secretsDoc)),
  lab: async () => import('./lab.js').then((m) => reg(m.labCommand, m.labDoc)),
  backup: async () => import('./backup.js').then((m) => reg(m.backupCommand, m.backupDoc)),
  status: async () => import('./status.js').then((m) => reg(m.statusCommand, m.statusDoc)),
  completion: async () => import('./completion.js').then((m) => reg(m.completionCommand, m.completionDoc)),
};
