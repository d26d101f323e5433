// The documentation of `fleet node` (its command lives in node.ts), for help pages and the README.
import type { CommandDoc } from '../spec.js';

export const nodeDoc: CommandDoc = {
  name: 'node',
  usage: 'fleet node add NAME --address A [--port P] [--user U] [--group G]... [--file F]',
  summary: 'add a host to an inventory file (default `inventory/hosts.yml`; comments and layout kept) and pin its key',
  options: [
    { name: 'address', type: 'string', arg: 'A', describe: 'address or name to connect to' },
    { name: 'port', type: 'number', arg: 'P', describe: 'SSH port' },
    { name: 'user', type: 'string', arg: 'U', describe: 'SSH user' },
    { name: 'group', alias: 'g', type: 'string', arg: 'G', repeatable: true, describe: 'a group to put the host in' },
    { name: 'file', type: 'string', arg: 'F', default: 'inventory/hosts.yml', describe: 'inventory file to edit' },
    { name: 'inventory', alias: 'i', type: 'string', arg: 'PATH', repeatable: true, describe: 'inventory file or directory' },
    { name: 'accept-hostkey', type: 'boolean', default: true, describe: 'do not connect to pin the host key' },
  ],
};
