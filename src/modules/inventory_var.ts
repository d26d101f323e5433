// inventory_var: controller-side. The engine records key=value for the host in the inventory
// file (e.g. a generated onion address), keeping the file's comments and layout.
import type { Module } from '../model/module.js';
import { objectSchema } from './lib/schema.js';
import { hostSideNever } from './lib/controller.js';

export interface InventoryVarParams {
  key: string;
  value: unknown;
}

export const inventoryVar: Module<InventoryVarParams> = {
  name: 'inventory_var',
  controller: true,
  schema: objectSchema(
    { key: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, value: {} },
    ['key', 'value'],
  ),
  probe: hostSideNever('inventory_var'),
  plan: hostSideNever('inventory_var'),
  apply: hostSideNever('inventory_var'),
};
