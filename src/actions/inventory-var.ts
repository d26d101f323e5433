// inventory_var: write a host variable into the inventory file that declares the host,
// comments kept (the new port after a proven move, the admin user that replaces root).
// A connection setting is written under the spelling the inventory already uses for it
// (`user` or `ansible_user`...), so one task fits every inventory; when it uses none, under
// Ansible's name, which Ansible reads too.
import { isDeepStrictEqual } from 'node:util';
import { Type } from '@sinclair/typebox';
import type { Action } from '../model/action.js';
import type { Vars } from '../model/inventory.js';
import { connectionSetting, spellingsOf } from '../model/connection-vars.js';
import { paramsObject } from '../model/params.js';

const schema = paramsObject({
  key: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
  value: Type.Unknown(),
});

/** The names to write: the key itself, or for a connection setting every spelling the host
 * already has (they stay in agreement), else the Ansible spelling. */
export function keysToWrite(key: string, vars: Readonly<Vars>): string[] {
  const setting = connectionSetting(key);
  if (!setting) return [key];
  const spellings = spellingsOf(setting);
  const used = spellings.filter((k) => vars[k] !== undefined);
  if (used.length) return used;
  return [spellings[1] ?? setting];
}

function same(current: unknown, value: unknown): boolean {
  // "2222" in an INI-born inventory is the same port as 2222.
  return isDeepStrictEqual(current, value) || (current !== undefined && typeof value !== 'object' && String(current) === String(value));
}

export const inventoryVar: Action<typeof schema> = {
  name: 'inventory_var',
  schema,
  controllerOnly: true,
  async run(p, ctx, ports) {
    const keys = keysToWrite(p.key, ctx.vars).filter((k) => !same(ctx.vars[k], p.value));
    if (!keys.length) return { status: 'ok' };
    const file = ports.inventoryFile();
    const lines = keys.map((k) => `${ctx.vars[k] === undefined ? '' : `-${k}: ${JSON.stringify(ctx.vars[k])}\n`}+${k}: ${JSON.stringify(p.value)}\n`);
    const diff = `--- ${file}\n+++ ${file}\n@@ ${ctx.host} @@\n${lines.join('')}`;
    const msg = `set ${keys.join(', ')} = ${JSON.stringify(p.value)} for ${ctx.host} in ${file}`;
    if (ctx.check) return { status: 'changed', msg, diff };
    try {
      for (const k of keys) ports.setInventoryValue(k, p.value);
    } catch (err) {
      const m = `could not write ${file}: ${err instanceof Error ? err.message : String(err)}`;
      return { status: 'failed', msg: m, failure: { msg: m } };
    }
    return { status: 'changed', msg, diff };
  },
};
