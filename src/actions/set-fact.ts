// set_fact (Ansible's): variables for the rest of this host's run, computed on the controller.
// The engine renders the values; this action hands them back as the host's facts.
import { Type } from '@sinclair/typebox';
import type { Action } from '../model/action.js';
import type { Vars } from '../model/inventory.js';

const schema = Type.Object({}, { additionalProperties: true, propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, minProperties: 1 });

export const setFact: Action<typeof schema> = {
  name: 'set_fact',
  schema,
  factsOf: (p) => ({ ...(p as Vars) }),
  // Nothing on the host changes, in apply and check mode alike.
  run: (p) => Promise.resolve({ status: 'ok', facts: { ...(p as Vars) } }),
};
