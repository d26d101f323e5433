// reconnect: controller-side. The engine opens a fresh connection (optionally on a new port)
// and runs `command` over it, proving e.g. a new sshd port before the old one is closed.
import type { Module } from '../model/module.js';
import { objectSchema } from './lib/schema.js';
import { hostSideNever } from './lib/controller.js';

export interface ReconnectParams {
  port?: number;
  /** Log in as this user instead of the inventory's (e.g. the admin user harden-ssh made). */
  user?: string;
  command?: string;
  timeout?: number;
}

export const reconnect: Module<ReconnectParams> = {
  name: 'reconnect',
  controller: true,
  schema: objectSchema({
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    user: { type: 'string', minLength: 1 },
    command: { type: 'string', minLength: 1 },
    timeout: { type: 'integer', minimum: 1, default: 15, description: 'seconds' },
  }),
  probe: hostSideNever('reconnect'),
  plan: hostSideNever('reconnect'),
  apply: hostSideNever('reconnect'),
};
