// The variables a task sees, layered lowest to highest (docs/CONTRACTS.md):
// role defaults < inventory < play vars < role params < facts and registered < extra vars.
import type { Host, Inventory, Vars } from '../model/inventory.js';
import type { Play, RoleRef, Task } from '../model/playbook.js';
import { addSecretsToContext } from '../secrets/index.js';
import { ansibleFactVars } from './ansible-facts.js';
import { assignVars, lazyHostvars, type VarOrigin } from '../template/index.js';

/** Facts modules set (getent_DATABASE). */
const MODULE_FACT_PREFIX = 'getent_';

export interface HostRuntime {
  host: Host;
  registered: Vars;
  facts?: Record<string, unknown>;
  /** Port of the live connection. */
  sshPort: number;
  controllerIp: string;
}

export interface VarsScope {
  inventory: Inventory;
  groups: Record<string, string[]>;
  extraVars: Vars;
  mode: 'apply' | 'check';
  runtimes: Map<string, HostRuntime>;
  playHosts: string[];
  /** Bumped whenever any host registers a value; shared by every play's scope. */
  generation: { value: number };
  hostvarsCache?: { generation: number; vars: Vars };
}

export function groupsMap(inv: Inventory): Record<string, string[]> {
  const out: Record<string, string[]> = { all: [...inv.hosts.keys()] };
  for (const g of inv.groups.keys()) out[g] = [];
  for (const h of inv.hosts.values()) {
    for (const g of h.groups) {
      const members = (out[g] ??= []);
      if (!members.includes(h.name)) members.push(h.name);
    }
  }
  return out;
}

// Variables from the inventory, plays, roles and -e stay templates until a template reads
// them (template/ resolves them lazily, in the scope of the host that reads them); each
// carries where it was written, for errors that name a chain of variables.
const inventoryOrigin = (host: Host) => (k: string): VarOrigin => host.varSources[k]?.source ?? { file: '(inventory)' };
const playOrigin = (play: Play) => (): VarOrigin => ({ file: play.source.file, line: play.source.line, findKey: true });
const roleOrigin = (ref: RoleRef) => (): VarOrigin => ({ file: ref.role.source.file, line: 1, findKey: true });
const taskOrigin = (task: Task) => (): VarOrigin => ({ file: task.source.file, line: task.source.line, findKey: true });
const extraOrigin = (): VarOrigin => ({ file: 'extra vars (-e)' });

/** Another host's values as templates see them under hostvars.NAME: a scope of its own, so
 * a variable read there resolves as that host sees it. */
function hostvarsOf(scope: VarsScope, name: string, all: Vars): Vars {
  const rt = scope.runtimes.get(name);
  const host = rt?.host ?? scope.inventory.hosts.get(name);
  if (!host) return {};
  const e = assignVars({}, host.vars, inventoryOrigin(host));
  e.inventory_hostname = host.name;
  e.ansible_host = host.connection.address;
  Object.assign(e, rt?.registered ?? {}, rt?.facts ? { facts: rt.facts } : {});
  assignVars(e, scope.extraVars, extraOrigin);
  e.groups = scope.groups;
  e.group_names = host.groups.filter((g) => g !== 'all');
  e.hostvars = all;
  return e;
}

/** Every host's values, each built when first read; a new view after something registered
 * a value (registered() bumps the generation). */
function hostvars(scope: VarsScope): Vars {
  if (scope.hostvarsCache && scope.hostvarsCache.generation === scope.generation.value) return scope.hostvarsCache.vars;
  const hv: Vars = lazyHostvars([...scope.inventory.hosts.keys()], (name) => hostvarsOf(scope, name, hv));
  scope.hostvarsCache = { generation: scope.generation.value, vars: hv };
  return hv;
}

export function buildContext(
  scope: VarsScope,
  rt: HostRuntime,
  play: Play,
  roleRef: RoleRef | undefined,
  opts: { withHostvars: boolean; extra?: Vars; task?: Task },
): Vars {
  // Ansible's magic variables roles' templates read, lowest so any layer may set them.
  const ctx: Vars = { ansible_managed: 'Ansible managed', inventory_hostname_short: rt.host.name.split('.')[0] };
  if (roleRef) ctx.role_path = roleRef.role.dir;
  // include_role: the including roles' layers under the included one's (outermost first).
  const chain: RoleRef[] = [];
  for (let r = roleRef; r; r = r.outer) chain.unshift(r);
  for (const r of chain) assignVars(ctx, r.role.defaults, roleOrigin(r));
  assignVars(ctx, rt.host.vars, inventoryOrigin(rt.host));
  assignVars(ctx, play.vars, playOrigin(play));
  // Ansible's role vars (vars/main.yml): above play vars, below role parameters.
  for (const r of chain) if (r.role.vars) assignVars(ctx, r.role.vars, roleOrigin(r));
  // Ansible's block and task vars: above role vars, for this task only.
  if (opts.task?.vars) assignVars(ctx, opts.task.vars, taskOrigin(opts.task));
  for (const r of chain) assignVars(ctx, r.vars, playOrigin(play));
  // A looped include's item: above role parameters (Ansible's include parameters).
  if (opts.task?.includeVars) assignVars(ctx, opts.task.includeVars, taskOrigin(opts.task));
  if (rt.facts) Object.assign(ctx, ansibleFactVars(rt.facts));
  Object.assign(ctx, rt.registered, rt.facts ? { facts: rt.facts } : {});
  // Facts a module set (getent's getent_passwd...) are read under ansible_facts too.
  const moduleFacts = Object.keys(rt.registered).filter((k) => k.startsWith(MODULE_FACT_PREFIX));
  if (moduleFacts.length && ctx.ansible_facts && typeof ctx.ansible_facts === 'object')
    ctx.ansible_facts = { ...(ctx.ansible_facts as Vars), ...Object.fromEntries(moduleFacts.map((k) => [k, rt.registered[k]])) };
  assignVars(ctx, scope.extraVars, extraOrigin);
  ctx.inventory_hostname = rt.host.name;
  ctx.groups = scope.groups;
  ctx.group_names = rt.host.groups.filter((g) => g !== 'all');
  ctx.play_hosts = scope.playHosts;
  ctx.fleet_ssh_port = rt.sshPort;
  ctx.fleet_controller_ip = rt.controllerIp;
  ctx.ansible_check_mode = scope.mode === 'check';
  // {{ secrets.NAME }}: decrypted only when a template reads it; check mode writes nothing.
  addSecretsToContext(ctx, scope.inventory.sources, rt.host.name, roleRef?.role.dir, scope.inventory.hosts.keys(), {
    dryRun: scope.mode === 'check',
  });
  // Always there (each host's entry is built only when read): a variable may read hostvars
  // without the task naming it. opts.withHostvars no longer changes what a context holds.
  ctx.hostvars = hostvars(scope);
  if (opts.extra) Object.assign(ctx, opts.extra);
  return ctx;
}
