// Builders for typed inventories and playbooks, so engine tests need no YAML.
import type { Host, Inventory, Vars } from '../../../src/model/inventory.js';
import type { Handler, Play, Playbook, Role, Task } from '../../../src/model/playbook.js';
import type { GatheredFacts } from '../../../src/engine/facts.js';
import type { AnyModule } from '../../../src/model/module.js';
import { modules } from '../../../src/modules/index.js';

export function host(name: string, vars: Vars = {}, groups: string[] = []): Host {
  return {
    name,
    connection: { address: `192.0.2.${name.length}`, port: 22, user: 'root', become: false, connectTimeoutMs: 1000, keepaliveIntervalMs: 1000 },
    groups: ['all', ...groups],
    vars,
    varSources: {},
  };
}

export function inventory(hosts: Host[]): Inventory {
  const groups = new Map<string, { name: string; hosts: string[]; children: string[]; vars: Vars }>();
  groups.set('all', { name: 'all', hosts: hosts.map((h) => h.name), children: [], vars: {} });
  for (const h of hosts) for (const g of h.groups) if (g !== 'all') {
    if (!groups.has(g)) groups.set(g, { name: g, hosts: [], children: [], vars: {} });
    groups.get(g)!.hosts.push(h.name);
  }
  return { sources: [], hosts: new Map(hosts.map((h) => [h.name, h])), groups, knownHostsFile: '/dev/null', warnings: [] };
}

let line = 1;
export function task(name: string, module: string, params: Record<string, unknown>, extra: Partial<Task> = {}): Task {
  return { name, module, params, notify: [], tags: [], loopVar: 'item', ignoreErrors: false, runOnce: false, role: 'test', source: { file: 'roles/test/tasks.yml', line: line++ }, ...extra };
}

export function handler(name: string, module: string, params: Record<string, unknown>): Handler {
  return { ...task(name, module, params), listen: [name] };
}

export function play(tasks: Task[], extra: Partial<Play> = {}): Play {
  return { name: 'test play', hosts: 'all', roles: [], tasks, handlers: [], vars: {}, source: { file: 'playbooks/test.yml', line: 1 }, ...extra };
}

export function role(name: string, tasks: Task[], defaults: Vars = {}, handlers: Handler[] = []): Role {
  return { name, dir: `/tmp/roles/${name}`, description: '', varsSchema: { type: 'object' }, defaults, tasks, handlers, source: { file: `roles/${name}/role.yml`, line: 1 } };
}

export function playbook(plays: Play[]): Playbook {
  return { file: 'playbooks/test.yml', plays };
}

/** While `fn` runs, module `fact_reader`: the directory module whose probe prints the facts'
 * osId and its path, as a module that reads the host's facts would. */
export function withFactReader(fn: () => void): void {
  modules.fact_reader = {
    ...modules.directory,
    name: 'fact_reader',
    probe: (p: unknown, f?: { osId: string }) => `echo ${f?.osId} ${(p as { path: string }).path}`,
  } as AnyModule;
  try {
    fn();
  } finally {
    delete modules.fact_reader;
  }
}

/** Facts as the first round trip gathers them, with `over` in place. */
export function gathered(over: Partial<GatheredFacts> = {}): GatheredFacts {
  return {
    osId: 'debian', osVersion: '12', osCodename: 'bookworm', arch: 'x86_64', hostname: 'h1', init: 'systemd',
    addresses: ['10.0.0.1'], memoryMb: 1024, cpus: 2, opensshVersion: '9.2', controllerIp: '10.0.0.9', ...over,
  };
}
