// The documentation of `fleet node` (its command lives in node.ts), for help pages and the README.
import type { CommandDoc } from '../spec.js';

export const nodeDoc: CommandDoc = {
  name: 'node',
  usage: 'fleet node add NAME --address A [--port P] [--user U] [--group G]... [--file F] \\| remove NAME [--keep-inventory] [--playbook P] [--timeout S] [--json]',
  summary:
    'add: add a host to an inventory file (default `inventory/hosts.yml`; comments and layout kept; its address, port and user spelled as the file spells them, `ansible_host` or `address`...) and pin its key; when no key can be pinned (nothing answers) the inventory is left as it was (`--no-accept-hostkey`: added without connecting, key not pinned). remove: take a node out of the swarm ' +
    '(drain it, wait until its tasks run elsewhere, demote a manager, refused for the last manager or when the rest would lose quorum, make it leave, ' +
    '`docker node rm` it on a manager), then remove it from the inventory (comments kept) and apply the playbook to the others, whose firewalls stop admitting it',
  options: [
    { name: 'address', type: 'string', arg: 'A', describe: 'add: address or name to connect to' },
    { name: 'port', type: 'number', arg: 'P', describe: 'add: SSH port' },
    { name: 'user', type: 'string', arg: 'U', describe: 'add: SSH user' },
    { name: 'group', alias: 'g', type: 'string', arg: 'G', repeatable: true, describe: 'add: a group to put the host in' },
    { name: 'file', type: 'string', arg: 'F', default: 'inventory/hosts.yml', describe: 'add: inventory file to edit' },
    { name: 'inventory', alias: 'i', type: 'string', arg: 'PATH', repeatable: true, describe: 'inventory file or directory' },
    { name: 'accept-hostkey', type: 'boolean', default: true, describe: 'add: connect once and pin the host key (`--no-accept-hostkey`: add it without connecting, its key not pinned)' },
    { name: 'keep-inventory', type: 'boolean', default: false, describe: 'remove: stop after the swarm part (the inventory and the others\' firewalls stay)' },
    { name: 'playbook', type: 'string', arg: 'P', default: 'playbooks/site.yml', describe: 'remove: the playbook that converges the other hosts afterwards' },
    { name: 'timeout', type: 'number', arg: 'S', default: 300, describe: 'remove: seconds to wait for its tasks to run elsewhere' },
    { name: 'json', type: 'boolean', default: false, describe: 'remove: NDJSON events for the converge of the others' },
  ],
};
