// `fleet node add NAME --address A --group G`: add a host to the inventory, comments kept,
// and pin its key, so the next apply brings up only that node.
// `fleet node remove NAME`: take it out of the swarm (drained, tasks moved, left, removed
// from the node list), out of the inventory, then converge the others (their firewalls
// stop admitting it).
import type { CommandModule } from 'yargs';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { addHost, loadInventory, removeHost } from '../../config/index.js';
import { acceptHostKey } from '../../transport/index.js';
import { removeFromSwarm } from '../../lifecycle/node-remove.js';
import { repeatable } from '../repeatable.js';
import { converge } from './converge.js';
import { EXIT } from '../exit-codes.js';
import { terminalSafe } from '../../report/index.js';

interface Args {
  action: string;
  name: string;
  address?: string;
  port?: number;
  user?: string;
  group: string[];
  file: string;
  inventory: string[];
  'accept-hostkey': boolean;
  'keep-inventory': boolean;
  playbook: string;
  timeout: number;
  json: boolean;
}

export const nodeCommand: CommandModule<object, Args> = {
  command: 'node <action> <name>',
  describe:
    'add: add a host to an inventory file (comments kept) and pin its host key; remove: drain it, take it out of the swarm and the inventory, converge the others',
  builder: (y) =>
    y
      .positional('action', { type: 'string', choices: ['add', 'remove'], demandOption: true })
      .positional('name', { type: 'string', demandOption: true })
      .option('address', { type: 'string', describe: 'add: the address fleet reaches it on (required)' })
      .option('port', { type: 'number' })
      .option('user', { type: 'string' })
      .option('group', { alias: 'g', type: 'string', default: [], coerce: repeatable })
      .option('file', { type: 'string', default: 'inventory/hosts.yml', describe: 'add: inventory file to edit' })
      .option('inventory', { alias: 'i', type: 'string', default: ['inventory'], coerce: repeatable })
      .option('accept-hostkey', { type: 'boolean', default: true, describe: 'add: connect once and pin the host key (`--no-accept-hostkey`: add it without connecting, its key not pinned)' })
      .option('keep-inventory', {
        type: 'boolean',
        default: false,
        describe: "remove: leave the inventory file alone (and the others' firewalls)",
      })
      .option('playbook', {
        type: 'string',
        default: 'playbooks/site.yml',
        describe: 'remove: the playbook that converges the other hosts afterwards',
      })
      .option('timeout', { type: 'number', default: 300, describe: 'remove: seconds to wait for its tasks to run elsewhere' })
      .option('json', { type: 'boolean', default: false, describe: 'remove: NDJSON events for the converge of the others' })
      .check((a) => {
        if (a.action === 'add' && !a.address) throw new Error('node add needs --address');
        return true;
      }) as never,
  handler: async (args) => {
    if (args.action === 'remove') {
      process.exitCode = await remove(args);
      return;
    }
    process.exitCode = await add(args);
  },
};

/** Transactional: the host stays in the inventory only once its key is pinned (a retry after
 * "nothing answers" must not fail with "already exists"); --no-accept-hostkey says what is
 * left to do. */
async function add(args: Args): Promise<number> {
  const before = existsSync(args.file) ? readFileSync(args.file, 'utf8') : undefined;
  const spec = { name: args.name, address: args.address!, port: args.port, user: args.user, groups: args.group };
  addHost(args.file, { ...spec, inventoryKeys: inventoryKeys(args.inventory) });
  const where = `${args.file}${args.group.length ? ` in ${args.group.join(', ')}` : ''}`;
  if (!args['accept-hostkey']) {
    process.stdout.write(
      `added ${args.name} (${args.address}) to ${where}, not connected (--no-accept-hostkey): its host key is not pinned; run fleet hostkeys accept ${args.name}, or pass --accept-new-hostkeys to the first apply\n`,
    );
    return EXIT.ok;
  }
  try {
    const inv = loadInventory(args.inventory.includes(args.file) ? args.inventory : [...args.inventory, args.file]);
    const fp = await acceptHostKey(inv.knownHostsFile, inv.hosts.get(args.name)!);
    process.stdout.write(`added ${args.name} (${args.address}) to ${where}\n${args.name}: pinned ${fp} in ${inv.knownHostsFile}\n`);
    return EXIT.ok;
  } catch (err) {
    // Undo the inventory edit, byte for byte.
    if (before === undefined) rmSync(args.file, { force: true });
    else writeFileSync(args.file, before);
    const why = err instanceof Error ? err.message : String(err);
    process.stderr.write(`fleet: node add ${args.name}: could not pin its host key (${why}); the inventory is unchanged\n`);
    return EXIT.failed;
  }
}

/** The variable names of the inventory's hosts, for the new host's spelling (`ansible_host` or
 * `address`...); none when it cannot be read yet (a first host), which addHost reports itself. */
function inventoryKeys(paths: string[]): string[] {
  try {
    return [...loadInventory(paths).hosts.values()].flatMap((h) => Object.keys(h.vars));
  } catch {
    return [];
  }
}

async function remove(args: Args): Promise<number> {
  const inv = loadInventory(args.inventory);
  // Progress goes to stderr when stdout carries NDJSON.
  const log = (l: string) => (args.json ? process.stderr : process.stdout).write(`${l}\n`);
  try {
    await removeFromSwarm({ inventory: inv, name: args.name, timeoutS: args.timeout, log });
  } catch (err) {
    process.stderr.write(terminalSafe(`fleet: node remove ${args.name}: ${err instanceof Error ? err.message : String(err)}`) + '\n');
    return EXIT.failed;
  }
  if (args['keep-inventory']) {
    log(
      `${args.name}: left in the inventory (--keep-inventory): the others' firewalls still admit it, and the next apply would join it again while it is in a swarm group`,
    );
    return EXIT.ok;
  }
  let removed = 0;
  for (const p of args.inventory) removed += tryRemove(p, args.name);
  if (!removed) {
    process.stderr.write(
      `fleet: node remove ${args.name}: it is in no YAML inventory file of ${args.inventory.join(', ')}; remove it by hand\n`,
    );
    return EXIT.failed;
  }
  log(`${args.name}: removed from the inventory; converging the other hosts`);
  return converge('apply', {
    playbook: args.playbook,
    inventory: args.inventory,
    forks: 100,
    'extra-vars': [],
    diff: false,
    json: args.json,
    'accept-new-hostkeys': false,
    'list-hosts': false,
    'list-tasks': false,
    'syntax-check': false,
    step: false,
    verbose: 0,
  });
}

function tryRemove(path: string, name: string): number {
  try {
    return removeHost(path, name);
  } catch {
    return 0;
  }
}
