// config/: inventory, playbooks, roles, vars -> validated, typed objects (docs/CONTRACTS.md).
export { loadInventory } from './inventory.js';
export { selectHosts } from './patterns.js';
export { describeVar } from './describe-var.js';
export type { VarDescription } from './describe-var.js';
export { loadPlaybook } from './playbook.js';
export { loadRole } from './role.js';
export { addHost, removeHost, setHostVar } from './inventory-writer.js';
export type { HostSpec } from './inventory-writer.js';
