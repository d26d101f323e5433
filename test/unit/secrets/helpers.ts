import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ageGenerateIdentity, ageRecipientOf } from '../../../src/secrets/age-sync.js';

export interface Key {
  identity: string;
  recipient: string;
  env: NodeJS.ProcessEnv;
}

export function newKey(): Key {
  const identity = ageGenerateIdentity();
  return { identity, recipient: ageRecipientOf(identity), env: { FLEET_AGE_IDENTITY: identity } };
}

/** A throwaway project: <dir>/inventory/secrets.yml (not created). */
export function tmpProject(): { dir: string; inventory: string; file: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-secrets-'));
  const inventory = path.join(dir, 'inventory');
  fs.mkdirSync(inventory);
  return { dir, inventory, file: path.join(inventory, 'secrets.yml'), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
