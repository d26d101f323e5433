// reconnect: controller-side. The engine opens a fresh connection (optionally on a new port,
// to another address, through a SOCKS5 proxy) and runs `command` over it, proving e.g. a new
// sshd port, or the path through the host's SSH onion service, before the old way is closed.
import type { Module } from '../model/module.js';
import { objectSchema } from './lib/schema.js';
import { hostSideNever } from './lib/controller.js';

export interface ReconnectParams {
  port?: number;
  /** Log in as this user instead of the inventory's (e.g. the admin user harden-ssh made). */
  user?: string;
  command?: string;
  timeout?: number;
  /** Connect to this address instead of the inventory's (e.g. the host's SSH onion address). */
  address?: string;
  /** Through this SOCKS5 proxy ("host:port", e.g. the controller's Tor). */
  socks_proxy?: string;
  /** Keep retrying an unreachable host for this many seconds (a new onion service needs time). */
  wait?: number;
}

export const reconnect: Module<ReconnectParams> = {
  name: 'reconnect',
  controller: true,
  schema: objectSchema({
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    user: { type: 'string', minLength: 1 },
    command: { type: 'string', minLength: 1 },
    timeout: { type: 'integer', minimum: 1, default: 15, description: 'seconds' },
    address: { type: 'string', minLength: 1 },
    socks_proxy: { type: 'string', pattern: '^(socks5h?://)?[^\\s:]+:[0-9]+$' },
    wait: { type: 'integer', minimum: 0, default: 0, description: 'seconds' },
  }),
  probe: hostSideNever('reconnect'),
  plan: hostSideNever('reconnect'),
  apply: hostSideNever('reconnect'),
};
