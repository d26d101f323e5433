// The variables a task sees, layered lowest to highest (docs/CONTRACTS.md):
// role defaults < inventory < play vars < role params < facts and registered < extra vars.
import type { Host, Inventory, Vars } from '../model/inventory.js';
import type { Play, RoleRef } from '../model/playbook.js';

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

/** Another host's values as templates see them under hostvars.NAME. */
function hostvarsOf(scope: VarsScope, name: string): Vars {
  const rt = scope.runtimes.get(name);
  const host = rt?.host ?? scope.inventory.hosts.get(name);
  if (!host) return {};
  return {
    ...host.vars,
    inventory_hostname: host.name,
    ansible_host: host.connection.address,
    ...(rt?.registered ?? {}),
    ...(rt?.facts ? { facts: rt.facts } : {}),
  };
}

/** Every host's values, rebuilt only after something registered a value (registered() bumps
 * the generation), and only when a task asks for them. */
function hostvars(scope: VarsScope): Vars {
  if (scope.hostvarsCache && scope.hostvarsCache.generation === scope.generation.value) return scope.hostvarsCache.vars;
  const hv: Vars = {};
  for (const name of scope.inventory.hosts.keys()) hv[name] = hostvarsOf(scope, name);
  scope.hostvarsCache = { generation: scope.generation.value, vars: hv };
  return hv;
}

export function buildContext(
  scope: VarsScope,
  rt: HostRuntime,
  play: Play,
  roleRef: RoleRef | undefined,
  opts: { withHostvars: boolean; extra?: Vars },
): Vars {
  const ctx: Vars = Object.assign(
    {},
    roleRef?.role.defaults,
    rt.host.vars,
    play.vars,
    roleRef?.vars,
    rt.registered,
    rt.facts ? { facts: rt.facts } : {},
    scope.extraVars,
  );
  ctx.inventory_hostname = rt.host.name;
  ctx.groups = scope.groups;
  ctx.group_names = rt.host.groups.filter((g) => g !== 'all');
  ctx.play_hosts = scope.playHosts;
  ctx.fleet_ssh_port = rt.sshPort;
  ctx.fleet_controller_ip = rt.controllerIp;
  ctx.ansible_check_mode = scope.mode === 'check';
  if (opts.withHostvars) ctx.hostvars = hostvars(scope);
  if (opts.extra) Object.assign(ctx, opts.extra);
  return ctx;
}
