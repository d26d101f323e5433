// getent (Ansible's): entries of a name service database (passwd, group, hosts...), read with
// the host's other probes (no round trip of its own), set as the fact getent_DATABASE (also
// under ansible_facts): {first field: [the other fields]}. A key it cannot find fails the task
// with Ansible's message (a block's rescue may take over), unless fail_key is false.
import { Type } from '@sinclair/typebox';
import type { Action } from '../model/action.js';
import type { Vars } from '../model/inventory.js';
import { paramsObject, withDefault, type Params } from '../model/params.js';
import { q } from '../model/shell.js';

const schema = paramsObject({
  database: Type.String({ pattern: '^[a-z][a-z0-9_]*$' }),
  key: Type.Optional(Type.String({ minLength: 1 })),
  split: Type.Optional(Type.String({ minLength: 1 })),
  fail_key: withDefault(Type.Boolean(), true),
});
type GetentParams = Params<typeof schema>;

/** Ansible splits these on ':' by default, the others on whitespace. */
const COLON = ['passwd', 'shadow', 'group', 'gshadow'];
const RC = 'fleet-getent-rc=';

export function getentProbe(p: GetentParams): string {
  // Always exits 0: getent's own status (2: key not found) travels in the output.
  return `if fleet_ge=$(getent ${q(p.database)}${p.key !== undefined ? ` ${q(p.key)}` : ''}); then printf '%s\\n' "$fleet_ge"; else echo "${RC}$?"; fi`;
}

export function parseGetent(p: GetentParams, out: string): { rc: number; entries: Record<string, string[] | null> } {
  const lines = out.split('\n').filter((l) => l !== '');
  const rcLine = lines.find((l) => l.startsWith(RC));
  const rc = rcLine ? Number(rcLine.slice(RC.length)) : 0;
  const entries: Record<string, string[] | null> = {};
  for (const line of lines) {
    if (line.startsWith(RC)) continue;
    const fields = p.split !== undefined ? line.split(p.split) : COLON.includes(p.database) ? line.split(':') : line.trim().split(/\s+/);
    // Ansible keeps the first entry of a key seen twice (hosts with several names...).
    if (!(fields[0] in entries)) entries[fields[0]] = fields.slice(1);
  }
  return { rc, entries };
}

export const getent: Action<typeof schema> = {
  name: 'getent',
  schema,
  secretParams: [],
  registers: (p) => ({ ansible_facts: { [`getent_${p.database}`]: {} } }),
  factsOf: () => ({}),
  probe: getentProbe,
  run(p, ctx) {
    const probed = ctx.probed;
    if (!probed || probed.rc !== 0)
      return Promise.resolve({ status: 'failed', failure: { msg: `getent ${p.database}: reading it failed`, rc: probed?.rc, stderr: probed?.stderr } });
    const { rc, entries } = parseGetent(p, probed.stdout);
    if (rc === 1) return Promise.resolve({ status: 'failed', failure: { msg: 'Missing arguments, or database unknown.', rc } });
    if (rc === 3) return Promise.resolve({ status: 'failed', failure: { msg: 'Enumeration not supported on this database.', rc } });
    if (rc === 2 && p.fail_key)
      return Promise.resolve({ status: 'failed', failure: { msg: 'One or more supplied key could not be found in the database.', rc } });
    const facts: Vars = { [`getent_${p.database}`]: rc === 2 && p.key !== undefined ? { [p.key]: null } : entries };
    return Promise.resolve({ status: 'ok', registered: { ansible_facts: facts }, facts });
  },
};
