// A docker engine's view of the swarm, read with `docker info`; the managers' node list; and
// the search for a live manager that swarm_member, swarm_nodes and `fleet node remove` share.
import type { ActionPorts } from '../../model/action.js';
import type { ExecResult } from '../../model/transport.js';

export interface SwarmState {
  /** nodocker, down, inactive, pending, active, error, locked */
  state: string;
  nodeId: string;
  manager: boolean;
  cluster: string;
  addr: string;
  /** Managers this node knows, and how many are reachable (managers only). */
  managers: number;
  error: string;
}

// Go templates in a TypeScript string: never rendered by fleet.
export const SWARM_STATE_SCRIPT = [
  'command -v docker >/dev/null 2>&1 || { echo state=nodocker; exit 0; }',
  "out=$(docker info --format 'state={{.Swarm.LocalNodeState}}",
  'node={{.Swarm.NodeID}}',
  'manager={{.Swarm.ControlAvailable}}',
  'cluster={{if .Swarm.Cluster}}{{.Swarm.Cluster.ID}}{{end}}',
  'addr={{.Swarm.NodeAddr}}',
  'managers={{.Swarm.Managers}}',
  "error={{.Swarm.Error}}' 2>&1) || { echo state=down; echo \"error=$(printf %s \"$out\" | tr '\\n' ' ')\"; exit 0; }",
  'printf "%s\\n" "$out"',
  '',
].join('\n');

export function parseSwarmState(out: string): SwarmState {
  const kv = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return {
    state: kv.get('state') || 'unknown',
    nodeId: kv.get('node') ?? '',
    manager: kv.get('manager') === 'true',
    cluster: kv.get('cluster') ?? '',
    addr: kv.get('addr') ?? '',
    managers: Number(kv.get('managers') ?? 0) || 0,
    error: kv.get('error') ?? '',
  };
}

export interface Probed {
  host: string;
  state?: SwarmState;
  /** Why the host could not be read. */
  unreachable?: string;
}

export async function probeSwarm(host: string, run: (script: string) => Promise<ExecResult>): Promise<Probed> {
  try {
    const r = await run(SWARM_STATE_SCRIPT);
    if (r.rc !== 0) return { host, unreachable: (r.stderr || r.stdout).trim() || `exit ${r.rc}` };
    return { host, state: parseSwarmState(r.stdout) };
  } catch (err) {
    return { host, unreachable: err instanceof Error ? err.message : String(err) };
  }
}

/** A host's swarm state, read once per run while nothing changed it: the actions of many
 * hosts ask the same managers. `fresh` reads again (after a change, or after waiting for a
 * manager that was initialising the swarm). A failed read is not remembered. */
export async function swarmStateOf(ports: ActionPorts, host: string, opts: { fresh?: boolean } = {}): Promise<Probed> {
  const key = swarmStateKey(host);
  if (opts.fresh) ports.forget(key);
  const p = await ports.memo(key, () => probeSwarm(host, (s) => ports.runOn(host, s)));
  if (!p.state) ports.forget(key);
  return p;
}

/** A change on the host (its last command's failure ends the script with its status), then
 * its swarm state read in the same script: one round trip where the change and its check were two. */
export function thenSwarmState(change: string): string {
  return `${change.trimEnd()} || exit $?\n${SWARM_STATE_SCRIPT}`;
}

/** What a host's own script just read of its state: what swarmStateOf gives from now on. */
export function rememberSwarmState(ports: ActionPorts, p: Probed): void {
  const key = swarmStateKey(p.host);
  ports.forget(key);
  void ports.memo(key, () => Promise.resolve(p));
}

export function swarmStateKey(host: string): string {
  return `swarm-state:${host}`;
}

export function isLiveManager(p: Probed): boolean {
  return p.state?.state === 'active' && p.state.manager;
}

/** Majority of n managers: what raft needs to keep working. */
export function quorum(n: number): number {
  return Math.floor(n / 2) + 1;
}

export interface NodeRow {
  id: string;
  hostname: string;
  role: string;
  availability: string;
  status: string;
  /** "Leader", "Reachable", "Unreachable", or "" for workers. */
  managerStatus: string;
  addr: string;
}

// One JSON object per node: hostname and status as the managers see them.
export const NODE_LIST_SCRIPT =
  "docker node ls -q | xargs -r docker node inspect --format '{{json .ID}}\t{{json .Description.Hostname}}\t{{json .Spec.Role}}\t{{json .Spec.Availability}}\t{{json .Status.State}}\t{{if .ManagerStatus}}{{json .ManagerStatus.Reachability}}{{if .ManagerStatus.Leader}}L{{end}}{{else}}\"\"{{end}}\t{{json .Status.Addr}}'\n";

export function parseNodeList(out: string): NodeRow[] {
  const rows: NodeRow[] = [];
  for (const line of out.split('\n')) {
    if (!line.trim()) continue;
    const f = line.split('\t');
    if (f.length < 7) continue;
    const s = (x: string) => {
      try {
        return String(JSON.parse(x.replace(/L$/, '')));
      } catch {
        return x;
      }
    };
    const ms = f[5].endsWith('L') ? 'Leader' : s(f[5]);
    rows.push({ id: s(f[0]), hostname: s(f[1]), role: s(f[2]), availability: s(f[3]), status: s(f[4]), managerStatus: ms === 'reachable' ? 'Reachable' : ms === 'unreachable' ? 'Unreachable' : ms, addr: s(f[6]) });
  }
  return rows;
}

/** A node as the managers hold it: its spec (labels, availability, role) and where it is. */
export interface NodeInfo {
  id: string;
  hostname: string;
  labels: Record<string, string>;
  availability: string;
  role: string;
  /** ready, down, unknown... */
  state: string;
  /** The addresses the node is known by (its own, and a manager's listen address). */
  addrs: string[];
}

export const NO_DOCKER = '@@fleet-no-docker';
export const NOT_MANAGER = '@@fleet-not-a-manager';

// Every node in one go, on a manager: one line of JSON fields per node.
export const NODE_SPECS_SCRIPT = [
  `command -v docker >/dev/null 2>&1 || { echo ${NO_DOCKER}; exit 0; }`,
  `ids=$(docker node ls -q 2>/dev/null) || { echo ${NOT_MANAGER}; exit 0; }`,
  `[ -z "$ids" ] || docker node inspect --format '{{json .ID}}\t{{json .Description.Hostname}}\t{{json .Spec}}\t{{json .Status}}\t{{json .ManagerStatus}}' $ids`,
  '',
].join('\n');

/** The host part of "addr", "addr:port" or "[v6]:port". */
function hostOf(addr: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(addr);
  if (m) return m[1];
  return /^[^:]+:\d+$/.test(addr) ? addr.slice(0, addr.lastIndexOf(':')) : addr;
}

export function parseNodeSpecs(out: string): NodeInfo[] {
  const nodes: NodeInfo[] = [];
  for (const line of out.split('\n')) {
    if (!line.trim()) continue;
    const f = line.split('\t');
    if (f.length < 5) throw new Error(`unexpected line from docker node inspect: ${line.slice(0, 200)}`);
    const spec = JSON.parse(f[2]) as { Labels?: Record<string, string> | null; Availability?: string; Role?: string };
    const status = JSON.parse(f[3]) as { State?: string; Addr?: string } | null;
    const ms = JSON.parse(f[4]) as { Addr?: string } | null;
    const addrs = [status?.Addr, ms?.Addr].filter((a): a is string => !!a && a !== '0.0.0.0').map(hostOf);
    nodes.push({
      id: String(JSON.parse(f[0])),
      hostname: String(JSON.parse(f[1])),
      labels: spec.Labels ?? {},
      availability: spec.Availability ?? 'active',
      role: spec.Role ?? 'worker',
      state: status?.State ?? 'unknown',
      addrs: [...new Set(addrs)],
    });
  }
  return nodes;
}

/** The node of an inventory host: by the address it advertises, a ready one first; else by
 * hostname. */
export function nodeOf(nodes: NodeInfo[], address: string, name: string): NodeInfo | undefined {
  const byAddr = nodes.filter((n) => n.addrs.includes(address));
  return byAddr.find((n) => n.state === 'ready') ?? byAddr[0] ?? nodes.find((n) => n.hostname === name);
}
