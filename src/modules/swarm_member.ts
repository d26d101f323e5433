// swarm_member: controller-side. Makes the host a member of the swarm in the role its
// inventory groups give it: the first manager of the group initialises the swarm when no
// manager runs one; every other host joins with a token read from a live manager at the
// moment of joining (never stored, never printed); a host whose group changed is promoted or
// demoted from a live manager, never below quorum.
import type { Module } from '../model/module.js';
import { objectSchema } from './lib/schema.js';
import { afterPending, failed, hostSideNever, type ActionPorts, type ActionResult, type ActionRun } from './lib/controller.js';
import { isLiveManager, NODE_LIST_SCRIPT, parseNodeList, quorum, swarmStateOf, type Probed } from './lib/swarm.js';
import { q } from './lib/sh.js';

export interface SwarmMemberParams {
  manager_group: string;
  worker_group: string;
  /** Address other nodes reach this one on (default: the address fleet uses). */
  advertise_addr?: string;
  /** Swarm management port (2377). */
  port: number;
  /** Address pools for overlay networks (swarm init only). */
  default_addr_pool?: string[];
  default_addr_pool_mask_length?: number;
  /** VXLAN data path port (swarm init only; 4789). */
  data_path_port?: number;
}

export const swarmMember: Module<SwarmMemberParams> = {
  name: 'swarm_member',
  controller: true,
  schema: objectSchema({
    manager_group: { type: 'string', minLength: 1 },
    worker_group: { type: 'string', minLength: 1 },
    advertise_addr: { type: 'string', pattern: '^[0-9A-Fa-f.:]*$' },
    port: { type: 'integer', minimum: 1, maximum: 65535, default: 2377 },
    default_addr_pool: { type: 'array', items: { type: 'string', pattern: '^[0-9.]+/[0-9]{1,2}$' } },
    default_addr_pool_mask_length: { type: 'integer', minimum: 8, maximum: 30 },
    data_path_port: { type: 'integer', minimum: 1024, maximum: 49151 },
  }, ['manager_group', 'worker_group']),
  probe: hostSideNever('swarm_member'),
  plan: hostSideNever('swarm_member'),
  apply: hostSideNever('swarm_member'),
};

type Role = 'manager' | 'worker';

/** host:port, with brackets around an IPv6 address. */
function hostPort(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

function desiredRole(p: SwarmMemberParams, ports: ActionPorts): Role | undefined {
  if (ports.groupHosts(p.manager_group).includes(ports.host)) return 'manager';
  if (ports.groupHosts(p.worker_group).includes(ports.host)) return 'worker';
  return undefined;
}

/** Managers of the group other than this host, probed; the live ones first in group order. */
async function otherManagers(p: SwarmMemberParams, ports: ActionPorts, fresh = false): Promise<Probed[]> {
  const others = ports.groupHosts(p.manager_group).filter((h) => h !== ports.host);
  return Promise.all(others.map((h) => swarmStateOf(ports, h, { fresh })));
}

function warnOddManagers(p: SwarmMemberParams, ports: ActionPorts): void {
  const n = ports.groupHosts(p.manager_group).length;
  if (n % 2 === 0) {
    ports.warn(
      `swarm: ${n} managers in group '${p.manager_group}': an even number tolerates no more failures than ${n - 1} (quorum is ${quorum(n)} of ${n}); use an odd number (1, 3, 5)`,
    );
  }
}

export const runSwarmMember: ActionRun<SwarmMemberParams> = async (p, ports) => {
  warnOddManagers(p, ports);
  const role = desiredRole(p, ports);
  const self = await swarmStateOf(ports, ports.host);
  if (!self.state) return failed(`could not read the swarm state of ${ports.host}: ${self.unreachable}`);
  const st = self.state;
  if (!role) {
    if (st.state === 'active') ports.warn(`swarm: ${ports.host} is in a swarm but in neither group '${p.manager_group}' nor '${p.worker_group}'; fleet leaves it as it is (fleet node remove ${ports.host} takes it out)`);
    return { status: 'skipped', msg: `not in group '${p.manager_group}' or '${p.worker_group}'` };
  }
  if (st.state === 'nodocker' || st.state === 'down') {
    const first = ports.groupHosts(p.manager_group)[0] === ports.host;
    const pending = afterPending(ports, first ? 'will initialise the swarm, or join it if another manager runs it' : `will join the swarm as ${role}`);
    if (pending) return pending;
    return failed(st.state === 'nodocker' ? `docker is not installed on ${ports.host}` : `the docker daemon on ${ports.host} does not answer: ${st.error}`);
  }
  if (st.state === 'active') return reconcileRole(p, ports, role, self);
  if (st.state !== 'inactive') {
    return failed(`${ports.host} is in swarm state '${st.state}'${st.error ? ` (${st.error})` : ''}: fleet does not repair that by itself; see docker info, or leave (docker swarm leave --force) and apply again`);
  }
  return join(p, ports, role);
};

async function findLiveManager(p: SwarmMemberParams, ports: ActionPorts): Promise<{ live?: Probed; probed: Probed[] }> {
  let probed = await otherManagers(p, ports);
  let live = probed.find(isLiveManager);
  if (live) return { live, probed };
  // A fresh swarm: the first manager initialises it in this run; wait until it got past
  // this task, then look again.
  const first = ports.groupHosts(p.manager_group)[0];
  if (first && first !== ports.host && ports.runHosts().includes(first) && !ports.check) {
    await ports.waitForHost(first);
    probed = await otherManagers(p, ports, true);
    live = probed.find(isLiveManager);
  }
  return { live, probed };
}

async function join(p: SwarmMemberParams, ports: ActionPorts, role: Role): Promise<ActionResult> {
  const advertise = p.advertise_addr || ports.address(ports.host);
  const { live, probed } = await findLiveManager(p, ports);
  const first = ports.groupHosts(p.manager_group)[0];
  if (!live) {
    if (first !== ports.host) {
      if (ports.check && first && ports.runHosts().includes(first)) {
        return { status: 'changed', msg: `will join the swarm as ${role} once ${first} initialised it` };
      }
      return failed(
        `no live manager to join: none of ${ports.groupHosts(p.manager_group).join(', ') || `group '${p.manager_group}' (empty)`} runs the swarm` +
          `${probed.length ? ` (${probed.map(describe).join('; ')})` : ''}; apply to ${first ?? 'a manager'} first`,
      );
    }
    // Never a second swarm: every other manager must be known to be outside one.
    const unknown = probed.filter((x) => !x.state);
    if (unknown.length) {
      return failed(`refusing to initialise a new swarm: cannot tell whether ${unknown.map(describe).join('; ')} already runs one`);
    }
    const busy = probed.filter((x) => x.state && x.state.state !== 'inactive' && x.state.state !== 'nodocker' && x.state.state !== 'down');
    if (busy.length) return failed(`refusing to initialise a new swarm: ${busy.map(describe).join('; ')}`);
    const what = `initialise the swarm, advertising ${hostPort(advertise, p.port)}`;
    if (ports.check) return { status: 'changed', msg: `will ${what}`, diff: membershipDiff(ports.host, 'manager (initialises the swarm)') };
    const args = [`--advertise-addr ${q(advertise)}`, `--listen-addr ${q(hostPort(advertise, p.port))}`];
    for (const pool of p.default_addr_pool ?? []) args.push(`--default-addr-pool ${q(pool)}`);
    if (p.default_addr_pool_mask_length) args.push(`--default-addr-pool-mask-length ${p.default_addr_pool_mask_length}`);
    if (p.data_path_port) args.push(`--data-path-port ${p.data_path_port}`);
    const r = await ports.run(`docker swarm init ${args.join(' ')} >/dev/null\n`);
    if (r.rc !== 0) return failed(`docker swarm init failed on ${ports.host}`, { cmd: `docker swarm init ${args.join(' ')}`, rc: r.rc, stderr: r.stderr });
    return verifyJoined(ports, 'manager', what);
  }
  const via = hostPort(live.state!.addr || ports.address(live.host), p.port);
  const what = `join the swarm as ${role} via ${live.host} (${via}), advertising ${advertise}`;
  if (ports.check) return { status: 'changed', msg: `will ${what}`, diff: membershipDiff(ports.host, `${role} via ${live.host}`) };
  // The token is read now, from the live manager, and lives only in this process's memory and
  // in the script sent on the join's stdin; it is registered as a secret before any use.
  const t = await ports.runOn(live.host, `docker swarm join-token -q ${role}\n`);
  const token = t.stdout.trim();
  if (t.rc !== 0 || !/^SWMTKN-\S+$/.test(token)) {
    if (token) ports.secret(token);
    return failed(`could not read the ${role} join token from ${live.host}`, { cmd: `docker swarm join-token -q ${role}`, rc: t.rc, stderr: t.stderr });
  }
  ports.secret(token);
  const cmd = `docker swarm join --advertise-addr ${q(advertise)} --listen-addr ${q(hostPort(advertise, p.port))} ${q(via)}`;
  const r = await ports.run(`FLEET_SWARM_TOKEN=${q(token)}\ndocker swarm join --token "$FLEET_SWARM_TOKEN" --advertise-addr ${q(advertise)} --listen-addr ${q(hostPort(advertise, p.port))} ${q(via)} >/dev/null\n`);
  if (r.rc !== 0) return failed(`docker swarm join failed on ${ports.host}`, { cmd: `${cmd} (token from ${live.host})`, rc: r.rc, stderr: r.stderr });
  return verifyJoined(ports, role, what);
}

async function verifyJoined(ports: ActionPorts, role: Role, what: string): Promise<ActionResult> {
  const after = await swarmStateOf(ports, ports.host, { fresh: true });
  const st = after.state;
  if (!st || st.state !== 'active' || st.manager !== (role === 'manager')) {
    return failed(`after '${what}', ${ports.host} is ${st ? `${st.state}${st.manager ? ' manager' : ''}` : `unreadable (${after.unreachable})`}`);
  }
  return { status: 'changed', msg: what, registered: { changed: true, node_id: st.nodeId } };
}

function membershipDiff(host: string, want: string): string {
  return `--- swarm membership of ${host} (live)\n+++ swarm membership of ${host} (inventory)\n-not in a swarm\n+${want}\n`;
}

function describe(x: Probed): string {
  if (!x.state) return `${x.host} unreachable (${x.unreachable})`;
  return `${x.host} is ${x.state.state}${x.state.manager ? ' (manager)' : ''}`;
}

/** In a swarm already: the same swarm as the managers, in the right role. */
async function reconcileRole(p: SwarmMemberParams, ports: ActionPorts, role: Role, self: Probed): Promise<ActionResult> {
  const st = self.state!;
  const isManager = st.manager;
  const probed = await otherManagers(p, ports);
  const foreign = probed.find((x) => isLiveManager(x) && x.state!.cluster && st.cluster && x.state!.cluster !== st.cluster);
  if (foreign && isManager) {
    return failed(`${ports.host} runs swarm ${st.cluster.slice(0, 12)} but ${foreign.host} runs swarm ${foreign.state!.cluster.slice(0, 12)}: two swarms; make one leave (docker swarm leave --force) and apply again`);
  }
  if ((role === 'manager') === isManager) {
    return { status: 'ok', msg: `${role} of swarm ${st.cluster ? st.cluster.slice(0, 12) : '(cluster id known to managers)'}`, registered: { changed: false, node_id: st.nodeId } };
  }
  // Promotion and demotion are done by a manager: this one when it is a manager, else a live one.
  const manager = isManager ? ports.host : probed.find(isLiveManager)?.host;
  if (!manager) return failed(`${ports.host} should be a ${role}, but no live manager is there to ${role === 'manager' ? 'promote' : 'demote'} it`);
  const runM = (s: string) => (manager === ports.host ? ports.run(s) : ports.runOn(manager, s));
  if (role === 'worker') {
    const nodes = await runM(NODE_LIST_SCRIPT);
    const managers = parseNodeList(nodes.stdout).filter((n) => n.role === 'manager');
    const reachableOthers = managers.filter((n) => n.id !== st.nodeId && (n.managerStatus === 'Reachable' || n.managerStatus === 'Leader')).length;
    if (managers.length <= 1) return failed(`refusing to demote ${ports.host}: it is the swarm's last manager; add another manager to group '${p.manager_group}' first`);
    if (reachableOthers < quorum(managers.length - 1)) {
      return failed(
        `refusing to demote ${ports.host}: of the other ${managers.length - 1} managers only ${reachableOthers} are reachable, and ${managers.length - 1} managers need ${quorum(managers.length - 1)} for quorum; bring the others back first`,
      );
    }
  }
  const verb = role === 'manager' ? 'promote' : 'demote';
  const what = `${verb} ${ports.host} to ${role} (on ${manager})`;
  if (ports.check) return { status: 'changed', msg: `will ${what}`, diff: `--- swarm role of ${ports.host} (live)\n+++ swarm role of ${ports.host} (inventory)\n-${isManager ? 'manager' : 'worker'}\n+${role}\n` };
  const r = await runM(`docker node ${verb} ${q(st.nodeId)} >/dev/null\n`);
  if (r.rc !== 0) return failed(`docker node ${verb} failed`, { cmd: `docker node ${verb} ${st.nodeId}`, rc: r.rc, stderr: r.stderr });
  // Promotion takes effect on the node a moment later.
  for (let i = 0; i < 60; i++) {
    const now = await swarmStateOf(ports, ports.host, { fresh: true });
    if (now.state?.manager === (role === 'manager')) return { status: 'changed', msg: what, registered: { changed: true, node_id: st.nodeId } };
    await new Promise((res) => setTimeout(res, 1000));
  }
  return failed(`${what}: the node did not become a ${role} within 60 s`);
}
