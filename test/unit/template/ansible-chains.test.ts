// Group variables in the style of large real playbooks (matrix-docker-ansible-deploy's
// group_vars/matrix_servers: chains of templates, block scalars that build lists and
// mappings, ternaries, filters, hostvars) resolve per host exactly as ansible-core 2.14
// resolves them: expected-ansible-core-2.14.json was written by ansible-core's own Templar
// over the same inventory.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../../src/config/index.js';
import { groupsMap } from '../../../src/engine/vars.js';
import type { Host, Vars } from '../../../src/model/inventory.js';
import { assignVars, lazyHostvars, resolveVar } from '../../../src/template/index.js';

const dir = join(import.meta.dirname, 'fixtures', 'ansible-chains');
const expected = JSON.parse(readFileSync(join(dir, 'expected-ansible-core-2.14.json'), 'utf8')) as Record<string, Record<string, unknown>>;

function contexts(): Map<string, Vars> {
  const inv = loadInventory([join(dir, 'hosts.yml')]);
  const groups = groupsMap(inv);
  const scope = (h: Host, hostvars: Vars): Vars => {
    const ctx = assignVars({}, h.vars, (k) => h.varSources[k]?.source ?? { file: '(inventory)' });
    return Object.assign(ctx, { inventory_hostname: h.name, groups, group_names: h.groups.filter((g) => g !== 'all'), hostvars });
  };
  const hostvars: Vars = lazyHostvars([...inv.hosts.keys()], (n) => scope(inv.hosts.get(n)!, hostvars));
  return new Map([...inv.hosts.values()].map((h) => [h.name, scope(h, hostvars)]));
}

describe('chained group variables resolve per host as in Ansible', () => {
  const ctx = contexts();
  for (const host of Object.keys(expected)) {
    it(`every variable of ${host}`, () => {
      const got: Record<string, unknown> = {};
      for (const name of Object.keys(expected[host])) got[name] = JSON.parse(JSON.stringify(resolveVar(ctx.get(host)!, name)));
      expect(got).toEqual(expected[host]);
    });
  }
});
