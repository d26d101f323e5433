// Which credentials to offer: the host's key file, else ssh-agent, else the usual ~/.ssh keys.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AgentAuthMethod, PublicKeyAuthMethod } from 'ssh2';
import type { Connection } from '../model/inventory.js';
import { loadPrivateKey } from './private-keys.js';

export interface AuthPlan {
  /** ssh2 authHandler list, tried in order. */
  methods: (PublicKeyAuthMethod | AgentAuthMethod)[];
  /** What was tried, for the "authentication failed" message (paths, never key material). */
  tried: string[];
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export function planAuth(conn: Connection, env: NodeJS.ProcessEnv = process.env, home = homedir()): AuthPlan {
  const username = conn.user;
  if (conn.privateKeyFile) {
    return { methods: [{ type: 'publickey', username, key: loadPrivateKey(conn.privateKeyFile) }], tried: [`key ${conn.privateKeyFile}`] };
  }
  const plan: AuthPlan = { methods: [], tried: [] };
  if (env.SSH_AUTH_SOCK) {
    plan.methods.push({ type: 'agent', username, agent: env.SSH_AUTH_SOCK });
    plan.tried.push(`ssh-agent at ${env.SSH_AUTH_SOCK}`);
  }
  for (const name of DEFAULT_KEYS) {
    const file = join(home, '.ssh', name);
    if (!existsSync(file)) continue;
    try {
      plan.methods.push({ type: 'publickey', username, key: loadPrivateKey(file) });
      plan.tried.push(`key ${file}`);
    } catch {
      // An unusable default key (encrypted, odd format) is skipped, as ssh does.
    }
  }
  if (plan.methods.length === 0) {
    throw new Error(`no credentials: set private_key_file, run an ssh-agent (SSH_AUTH_SOCK), or create ${join(home, '.ssh', 'id_ed25519')}`);
  }
  return plan;
}
