// swarm_member: the host's membership of the swarm, in the role its inventory groups give it.
// Its own `docker info` is a probe read with the host's other probes, so a member in the
// right role costs no round trip of its own. Only a change reaches other hosts: the first
// manager initialises the swarm when no manager runs one; every other host joins with a
// token read from a live manager when the first of them joins (kept in this process's memory
// for the others of the run, never written, never printed) and
// gets its labels and availability there; a host whose group changed is promoted or demoted
// from a live manager, never below quorum.
import { Type } from '@sinclair/typebox';
import type { Action, ActionContext, ActionPorts, ActionResult } from '../model/action.js';
import { paramsObject, rawSchema, stringEnum, withDefault, type Params } from '../model/params.js';
import { q } from '../model/shell.js';
import { afterPending, failed } from './lib/result.js';
import {
  isLiveManager, NODE_LIST_SCRIPT, parseNodeList, parseSwarmState, quorum, rememberSwarmState, SWARM_STATE_SCRIPT, swarmStateKey, swarmStateOf, thenSwarmState, type Probed,
} from './lib/swarm.js';
import type { ExecResult } from '../model/transport.js';
import { SpecBatches, type Ticket } from './lib/swarm-spec-batch.js';
import { swarmJoinScript } from './lib/swarm-join.js';

const schema = paramsObject({
  manager_group: Type.String({ minLength: 1 }),
  worker_group: Type.String({ minLength: 1 }),
  /** Address other nodes reach this one on (default: the address fleet uses). */
  advertise_addr: withDefault(Type.String({ pattern: '^[0-9A-Fa-f.:]*$' }), ''),
  /** Swarm management port. */
  port: withDefault(Type.Integer({ minimum: 1, maximum: 65535 }), 2377),
  /** Address pools for overlay networks (swarm init only). */
  default_addr_pool: withDefault(Type.Array(Type.String({ pattern: '^[0-9.]+/[0-9]{1,2}$' })), []),
  default_addr_pool_mask_length: Type.Optional(Type.Integer({ minimum: 8, maximum: 30 })),
  /** VXLAN data path port (swarm init only). */
  data_path_port: Type.Optional(Type.Integer({ minimum: 1024, maximum: 49151 })),
  /** Given to the node when it joins (later drift is swarm_nodes' on a manager). */
  labels: withDefault(rawSchema<Record<string, string | number | boolean>>({ type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } }), {}),
  availability: withDefault(stringEnum(['active', 'pause', 'drain']), 'active'),
});
export type SwarmMemberParams = Params<typeof schema>;

type Role = 'manager' | 'worker';

/** host:port, with brackets around an IPv6 address. */
export function hostPort(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

function desiredRole(p: SwarmMemberParams, ctx: ActionContext, ports: ActionPorts): Role | undefined {
  if (ports.groupHosts(p.manager_group).includes(ctx.host)) return 'manager';
  if (ports.groupHosts(p.worker_group).includes(ctx.host)) return 'worker';
  return undefined;
}

/** Managers of the group other than this host, probed; the live ones first in group order. */
function otherManagers(p: SwarmMemberParams, ctx: ActionContext, ports: ActionPorts, fresh = false): Promise<Probed[]> {
  const others = ports.groupHosts(p.manager_group).filter((h) => h !== ctx.host);
  return Promise.all(others.map((h) => swarmStateOf(ports, h, { fresh })));
}

/** The other managers read again once `first` got past its swarm task: what its own task read
 * after its change (verifyJoined), else a fresh read, made once for every host that waited on
 * `first` (each of them would read the same thing; on a fresh swarm, one round trip on the
 * manager instead of one per worker). A failed read is read again. */
function managersAfter(p: SwarmMemberParams, ctx: ActionContext, ports: ActionPorts, first: string): Promise<Probed[]> {
  const others = ports.groupHosts(p.manager_group).filter((h) => h !== ctx.host);
  return Promise.all(
    others.map(async (h) => {
      const key = afterKey(first, h);
      const x = await ports.memo(key, () => swarmStateOf(ports, h, { fresh: true }));
      if (!x.state) ports.forget(key);
      return x;
    }),
  );
}

/** Host h's swarm state read after `first`'s swarm task (by that task, or by a host that waited on it). */
function afterKey(first: string, h: string): string {
  return `swarm-state-after:${first}:${h}`;
}

function warnOddManagers(p: SwarmMemberParams, ports: ActionPorts): void {
  const n = ports.groupHosts(p.manager_group).length;
  if (n % 2 === 0) {
    ports.warn(
      `swarm: ${n} managers in group '${p.manager_group}': an even number tolerates no more failures than ${n - 1} (quorum is ${quorum(n)} of ${n}); use an odd number (1, 3, 5)`,
    );
  }
}

export const swarmMember: Action<typeof schema> = {
  name: 'swarm_member',
  schema,
  probe: () => SWARM_STATE_SCRIPT,
  async run(p, ctx, ports) {
    warnOddManagers(p, ports);
    const role = desiredRole(p, ctx, ports);
    const probed = ctx.probed;
    if (!probed || probed.rc !== 0) return failed(`could not read the swarm state of ${ctx.host}`, { cmd: 'docker info', rc: probed?.rc, stderr: probed?.stderr });
    const self: Probed = { host: ctx.host, state: parseSwarmState(probed.stdout) };
    const st = self.state!;
    // Other hosts' actions of this run ask for this host's state: they have it now.
    void ports.memo(swarmStateKey(ctx.host), () => Promise.resolve(self));
    if (!role) {
      if (st.state === 'active') ports.warn(`swarm: ${ctx.host} is in a swarm but in neither group '${p.manager_group}' nor '${p.worker_group}'; fleet leaves it as it is (fleet node remove ${ctx.host} takes it out)`);
      return { status: 'skipped', msg: `not in group '${p.manager_group}' or '${p.worker_group}'` };
    }
    if (st.state === 'nodocker' || st.state === 'down') {
      const first = ports.groupHosts(p.manager_group)[0] === ctx.host;
      const pending = afterPending(ctx, first ? 'will initialise the swarm, or join it if another manager runs it' : `will join the swarm as ${role}`);
      if (pending) return pending;
      return failed(st.state === 'nodocker' ? `docker is not installed on ${ctx.host}` : `the docker daemon on ${ctx.host} does not answer: ${st.error}`);
    }
    if (st.state === 'active') return reconcileRole(p, ctx, ports, role, self);
    if (st.state !== 'inactive') {
      return failed(`${ctx.host} is in swarm state '${st.state}'${st.error ? ` (${st.error})` : ''}: fleet does not repair that by itself; see docker info, or leave (docker swarm leave --force) and apply again`);
    }
    return join(p, ctx, ports, role);
  },
};

async function findLiveManager(p: SwarmMemberParams, ctx: ActionContext, ports: ActionPorts): Promise<{ live?: Probed; probed: Probed[] }> {
  let probed = await otherManagers(p, ctx, ports);
  let live = probed.find(isLiveManager);
  if (live) return { live, probed };
  // A fresh swarm: the first manager initialises it in this run; wait until it got past
  // this task, then look again.
  const first = ports.groupHosts(p.manager_group)[0];
  if (first && first !== ctx.host && ports.playHosts().includes(first) && !ctx.check) {
    await ports.waitForHost(first);
    probed = await managersAfter(p, ctx, ports, first);
    live = probed.find(isLiveManager);
  }
  return { live, probed };
}

async function join(p: SwarmMemberParams, ctx: ActionContext, ports: ActionPorts, role: Role): Promise<ActionResult> {
  const advertise = p.advertise_addr || ports.address(ctx.host);
  const { live, probed } = await findLiveManager(p, ctx, ports);
  const first = ports.groupHosts(p.manager_group)[0];
  if (!live) {
    if (first !== ctx.host) {
      if (ctx.check && first && ports.playHosts().includes(first)) {
        return { status: 'changed', msg: `will join the swarm as ${role} once ${first} initialised it`, diff: membershipDiff(ctx.host, `${role} via ${first}`) };
      }
      return failed(
        `no live manager to join: none of ${ports.groupHosts(p.manager_group).join(', ') || `group '${p.manager_group}' (empty)`} runs the swarm` +
          `${probed.length ? ` (${probed.map(describe).join('; ')})` : ''}; apply to ${first ?? 'a manager'} first`,
      );
    }
    // Never a second swarm: every other manager must be known to be outside one.
    const unknown = probed.filter((x) => !x.state);
    if (unknown.length) return failed(`refusing to initialise a new swarm: cannot tell whether ${unknown.map(describe).join('; ')} already runs one`);
    const busy = probed.filter((x) => x.state && x.state.state !== 'inactive' && x.state.state !== 'nodocker' && x.state.state !== 'down');
    if (busy.length) return failed(`refusing to initialise a new swarm: ${busy.map(describe).join('; ')}`);
    const what = `initialise the swarm, advertising ${hostPort(advertise, p.port)}`;
    if (ctx.check) return { status: 'changed', msg: `will ${what}`, diff: membershipDiff(ctx.host, 'manager (initialises the swarm)') };
    const args = [`--advertise-addr ${q(advertise)}`, `--listen-addr ${q(hostPort(advertise, p.port))}`];
    for (const pool of p.default_addr_pool) args.push(`--default-addr-pool ${q(pool)}`);
    if (p.default_addr_pool_mask_length) args.push(`--default-addr-pool-mask-length ${p.default_addr_pool_mask_length}`);
    if (p.data_path_port) args.push(`--data-path-port ${p.data_path_port}`);
    // The init, its check, the node's own labels and the join tokens the hosts joining
    // through it will ask for, in one script: its last here.
    const spec = specArgs(p);
    const roles = rolesJoiningVia(p, ctx, ports);
    const sent = await ports.runOn(ctx.host, thenSwarmState(`docker swarm init ${args.join(' ')} >/dev/null`) + (spec ? ownSpecAfterState(spec) : '') + tokensAfterState(roles), { last: true });
    // Registered before anything else reads the output; the rest is read without them.
    const { tokens, rest } = takeTokens(sent.stdout, ports);
    const r = { ...sent, stdout: rest };
    if (r.rc !== 0) return failed(`docker swarm init failed on ${ctx.host}`, { cmd: `docker swarm init ${args.join(' ')}`, rc: r.rc, stderr: r.stderr });
    const joined = verifyJoined(ctx, ports, 'manager', what, r);
    // The joiners' token read (joinVia) finds them here: no round trip of its own on this host.
    if (joined.status === 'changed') for (const [role, token] of tokens) void ports.memo(tokenKey(ctx.host, role), () => Promise.resolve({ rc: 0, stdout: `${token}\n`, stderr: '' }));
    const set = /^spec=(\d+)$/m.exec(r.stdout);
    // The script's own test of the state is verifyJoined's: were they ever to disagree, the
    // labels go as they went before, in a script of their own.
    if (!set || joined.status !== 'changed') return withSpec(p, ports, ctx.host, what, joined);
    if (set[1] !== '0') return failed(`${what}: setting its labels on ${ctx.host} failed`, { cmd: 'docker node update', rc: Number(set[1]), stderr: r.stderr });
    return joined;
  }
  const via = hostPort(live.state!.addr || ports.address(live.host), p.port);
  const what = `join the swarm as ${role} via ${live.host} (${via}), advertising ${advertise}`;
  if (ctx.check) return { status: 'changed', msg: `will ${what}`, diff: membershipDiff(ctx.host, `${role} via ${live.host}`) };
  // Hosts joining through this manager now share one script there for their labels.
  const ticket = (await ports.memo(`swarm-spec-batch:${live.host}`, async () => new SpecBatches(live.host))).enter(ctx.host);
  try {
    return await joinVia(p, ctx, ports, role, live, { via, what, advertise }, ticket);
  } finally {
    ticket.leave(ports);
  }
}

async function joinVia(
  p: SwarmMemberParams,
  ctx: ActionContext,
  ports: ActionPorts,
  role: Role,
  live: Probed,
  { via, what, advertise }: { via: string; what: string; advertise: string },
  ticket: Ticket,
): Promise<ActionResult> {
  // The token is read now, from the live manager, and lives only in this process's memory and
  // in the script sent on the join's stdin; it is registered as a secret before any use.
  // Read once per manager and role for the run: the hosts joining together share it.
  // (A manager that initialised the swarm in this run read them in its init script.)
  const key = tokenKey(live.host, role);
  const t = await ports.memo(key, () => ports.runOn(live.host, `docker swarm join-token -q ${role}\n`));
  const token = t.stdout.trim();
  if (token) ports.secret(token);
  if (t.rc !== 0 || !TOKEN.test(token)) {
    ports.forget(key);
    return failed(`could not read the ${role} join token from ${live.host}`, { cmd: `docker swarm join-token -q ${role}`, rc: t.rc, stderr: t.stderr });
  }
  const cmd = `docker swarm join --advertise-addr ${q(advertise)} --listen-addr ${q(hostPort(advertise, p.port))} ${q(via)}`;
  // The join and its check in one script: the last here for a worker (its labels go on the
  // manager, where a worker reads nothing) and for a manager with no labels to get.
  const r = await ports.runOn(
    ctx.host,
    thenSwarmState(swarmJoinScript({ token, advertise, listen: hostPort(advertise, p.port), via })),
    { last: role === 'worker' || !hasSpec(p) },
  );
  if (r.rc !== 0) return failed(`docker swarm join failed on ${ctx.host}`, { cmd: `${cmd} (token from ${live.host})`, rc: r.rc, stderr: r.stderr });
  const joined = verifyJoined(ctx, ports, role, what, r);
  const args = specArgs(p);
  const node = String(joined.registered?.node_id ?? '');
  if (joined.status !== 'changed' || !args || !node) return joined;
  // Its labels on the manager it joined through, with the others joining now (swarm-spec-batch.ts).
  const u = await ticket.submit(args, node, ports);
  if (u.rc !== 0) return failed(`${what}: setting its labels on ${live.host} failed`, { cmd: 'docker node update', rc: u.rc, stderr: u.stderr });
  return joined;
}

/** A node that just became a member gets its labels and availability on `manager`: it arrives
 * complete, and the managers' reconciliation (swarm_nodes) finds nothing to change. */
async function withSpec(p: SwarmMemberParams, ports: ActionPorts, manager: string, what: string, joined: ActionResult): Promise<ActionResult> {
  if (joined.status !== 'changed') return joined;
  const spec = specUpdate(p, String(joined.registered?.node_id ?? ''));
  if (!spec) return joined;
  // The action's last script (on its own host only when it is the manager).
  const u = await ports.runOn(manager, spec, { last: true });
  if (u.rc !== 0) return failed(`${what}: setting its labels on ${manager} failed`, { cmd: 'docker node update', rc: u.rc, stderr: u.stderr });
  return joined;
}

/** The node gets labels or an availability when it joins. */
function hasSpec(p: SwarmMemberParams): boolean {
  return Object.keys(p.labels).length > 0 || p.availability !== 'active';
}

/** The arguments of `docker node update` giving the node its labels and availability ('' when there are none). */
function specArgs(p: SwarmMemberParams): string {
  const args = Object.entries(p.labels).map(([k, v]) => `--label-add ${q(`${k}=${String(v)}`)}`);
  if (p.availability !== 'active') args.push(`--availability ${q(p.availability)}`);
  return args.join(' ');
}

/** `docker node update` giving the node its labels and availability ('' when there is nothing to set). */
function specUpdate(p: SwarmMemberParams, node: string): string {
  const args = specArgs(p);
  return args && node ? `docker node update ${args} ${q(node)} >/dev/null\n` : '';
}

/** A join token as docker prints it. */
const TOKEN = /^SWMTKN-\S+$/;

/** Where a run keeps the join token of `role` read from `manager`. */
function tokenKey(manager: string, role: Role): string {
  return `swarm-join-token:${manager}:${role}`;
}

/** The roles other hosts of the play join a new swarm in: they join through the manager that
 * initialises it (the only live one), which reads their tokens in its init script. */
function rolesJoiningVia(p: SwarmMemberParams, ctx: ActionContext, ports: ActionPorts): Role[] {
  const others = ports.playHosts().filter((h) => h !== ctx.host);
  const managers = ports.groupHosts(p.manager_group);
  const roles: Role[] = [];
  if (others.some((h) => managers.includes(h))) roles.push('manager');
  if (ports.groupHosts(p.worker_group).some((h) => others.includes(h) && !managers.includes(h))) roles.push('worker');
  return roles;
}

/** After thenSwarmState, on a manager that just initialised the swarm: the join tokens of
 * `roles`, each on a line `token_<role>_b64=<base64>`. Base64 because the round trip's output
 * is printed at -vv before the action can register the token as a secret, and verbose output
 * leaves `b64=` values out (round-trip.ts elidePayloads); nothing else prints an action's
 * output. A failed read prints no line: the joiners read the token themselves, as before. */
export function tokensAfterState(roles: readonly Role[]): string {
  if (!roles.length) return '';
  // An `if` without `else`: a failed read leaves the script's status alone.
  const reads = roles.map((r) => `  if fleet_t=$(docker swarm join-token -q ${r} 2>/dev/null); then printf 'token_${r}_b64=%s\\n' "$(printf %s "$fleet_t" | base64 | tr -d '\\n')"; fi`);
  return ['case "$out" in', '  state=active*manager=true*)', ...reads, '  ;;', 'esac', ''].join('\n');
}

/** The tokens tokensAfterState printed, registered as secrets (clear and base64) before
 * anything else reads the output, and the output without their lines. */
function takeTokens(stdout: string, ports: ActionPorts): { tokens: Map<Role, string>; rest: string } {
  const tokens = new Map<Role, string>();
  const rest: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^token_(manager|worker)_b64=(.*)$/.exec(line);
    if (!m) {
      rest.push(line);
      continue;
    }
    ports.secret(m[2]);
    const token = Buffer.from(m[2], 'base64').toString('utf8').trim();
    if (token) ports.secret(token);
    if (TOKEN.test(token)) tokens.set(m[1] as Role, token);
  }
  return { tokens, rest: rest.join('\n') };
}

/** After thenSwarmState, on the manager that just initialised the swarm: its own node gets
 * `args` when the state read shows it an active manager with a node id (what verifyJoined
 * asks before withSpec); `spec=<status>` says how that went. */
function ownSpecAfterState(args: string): string {
  return [
    'case "$out" in',
    `  state=active*manager=true*) n=\${out#*node=}; n=\${n%%[!A-Za-z0-9]*}; [ -z "$n" ] || { docker node update ${args} "$n" >/dev/null; echo "spec=$?"; } ;;`,
    'esac',
    '',
  ].join('\n');
}

/** The state the change's own script read after it (thenSwarmState). */
function verifyJoined(ctx: ActionContext, ports: ActionPorts, role: Role, what: string, r: ExecResult): ActionResult {
  const after: Probed = { host: ctx.host, state: parseSwarmState(r.stdout) };
  // What other hosts' actions read for this host from now on, and what the hosts waiting on
  // this one read (managersAfter): its state after its change.
  rememberSwarmState(ports, after);
  void ports.memo(afterKey(ctx.host, ctx.host), () => Promise.resolve(after));
  const st = after.state!;
  if (st.state !== 'active' || st.manager !== (role === 'manager')) {
    return failed(`after '${what}', ${ctx.host} is ${st.state}${st.manager ? ' manager' : ''}`);
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

/** In a swarm already: in the right role, or promoted or demoted on a live manager. */
async function reconcileRole(p: SwarmMemberParams, ctx: ActionContext, ports: ActionPorts, role: Role, self: Probed): Promise<ActionResult> {
  const st = self.state!;
  const isManager = st.manager;
  if ((role === 'manager') === isManager) {
    return { status: 'ok', msg: `${role} of swarm ${st.cluster ? st.cluster.slice(0, 12) : '(cluster id known to managers)'}`, registered: { changed: false, node_id: st.nodeId } };
  }
  const probed = await otherManagers(p, ctx, ports);
  const foreign = probed.find((x) => isLiveManager(x) && x.state!.cluster && st.cluster && x.state!.cluster !== st.cluster);
  if (foreign && isManager) {
    return failed(`${ctx.host} runs swarm ${st.cluster.slice(0, 12)} but ${foreign.host} runs swarm ${foreign.state!.cluster.slice(0, 12)}: two swarms; make one leave (docker swarm leave --force) and apply again`);
  }
  // Promotion and demotion are done by a manager: this one when it is a manager, else a live one.
  const manager = isManager ? ctx.host : probed.find(isLiveManager)?.host;
  if (!manager) return failed(`${ctx.host} should be a ${role}, but no live manager is there to ${role === 'manager' ? 'promote' : 'demote'} it`);
  const runM = (s: string) => ports.runOn(manager, s);
  if (role === 'worker') {
    const nodes = await runM(NODE_LIST_SCRIPT);
    const managers = parseNodeList(nodes.stdout).filter((n) => n.role === 'manager');
    const reachableOthers = managers.filter((n) => n.id !== st.nodeId && (n.managerStatus === 'Reachable' || n.managerStatus === 'Leader')).length;
    if (managers.length <= 1) return failed(`refusing to demote ${ctx.host}: it is the swarm's last manager; add another manager to group '${p.manager_group}' first`);
    if (reachableOthers < quorum(managers.length - 1)) {
      return failed(
        `refusing to demote ${ctx.host}: of the other ${managers.length - 1} managers only ${reachableOthers} are reachable, and ${managers.length - 1} managers need ${quorum(managers.length - 1)} for quorum; bring the others back first`,
      );
    }
  }
  const verb = role === 'manager' ? 'promote' : 'demote';
  const what = `${verb} ${ctx.host} to ${role} (on ${manager})`;
  if (ctx.check) return { status: 'changed', msg: `will ${what}`, diff: `--- swarm role of ${ctx.host} (live)\n+++ swarm role of ${ctx.host} (inventory)\n-${isManager ? 'manager' : 'worker'}\n+${role}\n` };
  const r = await runM(`docker node ${verb} ${q(st.nodeId)} >/dev/null\n`);
  if (r.rc !== 0) return failed(`docker node ${verb} failed`, { cmd: `docker node ${verb} ${st.nodeId}`, rc: r.rc, stderr: r.stderr });
  // Promotion takes effect on the node a moment later.
  for (let i = 0; i < 60; i++) {
    const now = await swarmStateOf(ports, ctx.host, { fresh: true });
    if (now.state?.manager === (role === 'manager')) return { status: 'changed', msg: what, registered: { changed: true, node_id: st.nodeId } };
    await new Promise((res) => setTimeout(res, 1000));
  }
  return failed(`${what}: the node did not become a ${role} within 60 s`);
}
