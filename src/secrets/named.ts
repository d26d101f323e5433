// Values that are secret by their name: variables called *password, *secret, *token,
// *passphrase, *private_key, *api_key, at any depth (db: {password: ...}), whatever their
// type, wherever they are set: inventory, group/host vars, play vars, role defaults, role
// parameters, extra vars. They are handed to the registry, so every redactor masks them.
import type { Inventory, Vars } from '../model/inventory.js';
import type { Playbook } from '../model/playbook.js';
import { isSecretName, revealSecret } from '../model/secret-values.js';

export { isSecretName };

/** Every value under a secret-looking key, at any depth. A template ("{{ x }}") is not the
 * secret itself: its rendered value is caught where it is produced. */
export function namedSecretValues(vars: unknown, under = false, out: unknown[] = []): unknown[] {
  if (Array.isArray(vars)) {
    for (const v of vars) namedSecretValues(v, under, out);
  } else if (vars !== null && typeof vars === 'object') {
    for (const [k, v] of Object.entries(vars as Vars)) namedSecretValues(v, under || isSecretName(k), out);
  } else if (under && vars !== undefined && vars !== null && typeof vars !== 'boolean') {
    if (!(typeof vars === 'string' && (vars.includes('{{') || vars === ''))) out.push(vars);
  }
  return out;
}

/** Mark every named secret a run could print (before anything is validated or contacted);
 * returns them too, for a redactor that keeps its own list. */
export function markNamedSecrets(input: {
  inventory: Inventory;
  playbook?: Playbook;
  extraVars?: Vars;
  hosts?: Iterable<string>;
}): unknown[] {
  const hosts = input.hosts ? [...input.hosts] : [...input.inventory.hosts.keys()];
  const found: unknown[] = [];
  for (const h of hosts) namedSecretValues(input.inventory.hosts.get(h)?.vars ?? {}, false, found);
  namedSecretValues(input.extraVars ?? {}, false, found);
  for (const play of input.playbook?.plays ?? []) {
    namedSecretValues(play.vars, false, found);
    for (const ref of play.roles) {
      namedSecretValues(ref.role.defaults, false, found);
      namedSecretValues(ref.vars, false, found);
    }
  }
  revealSecret(found);
  return found;
}
