// config/: inventory, playbooks, roles, vars -> validated, typed objects (docs/CONTRACTS.md).
export { loadInventory } from './inventory.js';
export { selectHosts } from './patterns.js';
export { describeVar } from './describe-var.js';
export type { VarDescription } from './describe-var.js';
