// Every action by name: task types that run on the controller (model/action.ts).
import type { AnyAction } from '../model/action.js';
import { reconnect } from './reconnect.js';
import { inventoryVar } from './inventory-var.js';
import { onionKeys } from './onion-keys.js';
import { pinnedHostKeys } from './pinned-host-keys.js';
import { dockerImage } from './docker-image.js';
import { swarmMember } from './swarm-member.js';
import { swarmNodes } from './swarm-nodes.js';
import { setFact } from './set-fact.js';
import { includeVars } from './include-vars.js';
import { assert, debug, fail } from './debug.js';
import { stat } from './stat.js';
import { getent } from './getent.js';
import { flushHandlers } from './flush-handlers.js';
import { waitFor } from './wait-for.js';
import { getUrl } from './get-url.js';

const all: AnyAction[] = [reconnect, inventoryVar, onionKeys, pinnedHostKeys, dockerImage, swarmMember, swarmNodes, setFact, includeVars, debug, fail, assert, stat, getent, flushHandlers, waitFor, getUrl];

export const actions: Readonly<Record<string, AnyAction>> = Object.fromEntries(all.map((a) => [a.name, a]));

export function getAction(name: string): AnyAction | undefined {
  return Object.prototype.hasOwnProperty.call(actions, name) ? actions[name] : undefined;
}
