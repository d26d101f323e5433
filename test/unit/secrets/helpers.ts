import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ageGenerateIdentity, ageRecipientOf } from '../../../src/secrets/age-sync.js';
import { loadInventory } from '../../../src/config/index.js';
import { buildContext, groupsMap, type HostRuntime, type VarsScope } from '../../../src/engine/vars.js';
import type { Play, RoleRef } from '../../../src/model/playbook.js';

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

/** The variables a task of `roleRef` (or a play-level task) sees on one host of the inventory. */
export function taskContext(
  inventoryDir: string,
  hostName: string,
  roleRef?: RoleRef,
  mode: 'apply' | 'check' = 'apply',
): Record<string, unknown> {
  const inventory = loadInventory([inventoryDir]);
  const scope: VarsScope = {
    inventory,
    groups: groupsMap(inventory),
    extraVars: {},
    mode,
    runtimes: new Map(),
    playHosts: [...inventory.hosts.keys()],
    generation: { value: 0 },
  };
  const rt: HostRuntime = { host: inventory.hosts.get(hostName)!, registered: {}, sshPort: 22, controllerIp: '' };
  const play = { name: 'p', hosts: 'all', roles: [], tasks: [], handlers: [], vars: {}, source: { file: 'x', line: 1 } } as Play;
  return buildContext(scope, rt, play, roleRef, { withHostvars: false });
}

/** A role reference to the role in `dir` (its secrets.yml is what matters here). */
export function roleRefIn(dir: string, defaults: Record<string, unknown> = {}): RoleRef {
  return {
    role: { name: 'app', dir, description: '', varsSchema: {}, defaults, tasks: [], handlers: [], source: { file: dir, line: 1 } },
    vars: {},
    tags: [],
  };
}
