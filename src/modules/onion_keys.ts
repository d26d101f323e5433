// onion_keys: controller-side. Restores onion service keys from the controller's encrypted
// backup before tor is configured (state: restored), and backs up new keys and publishes the
// addresses after (state: saved). The engine runs it (engine/onion-keys-action.ts).
import type { Module } from '../model/module.js';
import { objectSchema } from './lib/schema.js';
import { hostSideNever } from './lib/controller.js';

export interface OnionKeysParams {
  state: 'restored' | 'saved';
  /** Parent of the services' HiddenServiceDirs on the host. */
  dir: string;
  /** Output of the role's key-listing query (names and public keys, never secrets). */
  keys: string;
  /** The declared onion services (objects with a name) or their names. */
  services: (string | { name: string })[];
  /** SSH's own onion service ("ssh") is configured too. */
  ssh: boolean;
  /** Keep an encrypted copy of every key on the controller. */
  backup: boolean;
  /** Where the copies go; empty: onion-keys/ next to the inventory file declaring the host. */
  backup_dir: string;
  /** The user tor runs as, owner of restored keys. */
  owner: string;
}

const serviceName = { type: 'string', pattern: '^[A-Za-z0-9_-]+$' };

export const onionKeys: Module<OnionKeysParams> = {
  name: 'onion_keys',
  controller: true,
  schema: objectSchema(
    {
      state: { type: 'string', enum: ['restored', 'saved'] },
      dir: { type: 'string', pattern: '^/[A-Za-z0-9/_.-]*$' },
      keys: { type: 'string' },
      services: {
        type: 'array',
        items: { anyOf: [serviceName, { type: 'object', required: ['name'], properties: { name: serviceName } }] },
        default: [],
      },
      ssh: { type: 'boolean', default: false },
      backup: { type: 'boolean', default: true },
      backup_dir: { type: 'string', default: '' },
      owner: { type: 'string', pattern: '^[a-z_][a-z0-9_-]*$', default: 'debian-tor' },
    },
    ['state', 'dir', 'keys'],
  ),
  registers(p) {
    // state saved publishes { addresses: {NAME: ADDRESS}, address: the first one,
    // ssh_address: the SSH service's ('' without one) }.
    if (p.state !== 'saved') return {};
    const names = p.services.map((s) => (typeof s === 'string' ? s : s.name));
    if (p.ssh && !names.includes('ssh')) names.push('ssh');
    const placeholder = `${'a'.repeat(56)}.onion`;
    const addresses = Object.fromEntries(names.map((n) => [n, placeholder]));
    return { addresses, address: names.length ? placeholder : '', ssh_address: placeholder };
  },
  probe: hostSideNever('onion_keys'),
  plan: hostSideNever('onion_keys'),
  apply: hostSideNever('onion_keys'),
};
