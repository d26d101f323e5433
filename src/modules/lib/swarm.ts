// A docker engine's view of the swarm, read with `docker info`, and the search for a live
// manager that swarm_member, swarm_node and `fleet node remove` share.
import type { ExecResult } from '../../model/transport.js';
import type { ActionPorts } from './controller.js';

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
  const key = `swarm-state:${host}`;
  if (opts.fresh) ports.forget(key);
  const p = await ports.memo(key, () => probeSwarm(host, (s) => (host === ports.host ? ports.run(s) : ports.runOn(host, s))));
  if (!p.state) ports.forget(key);
  return p;
}

export interface NodeSpec {
  Labels?: Record<string, string>;
  Availability?: string;
  Role?: string;
}

/** A node's spec as a manager holds it: every node's spec is read in one go, once per run;
 * a node that joined after that read is read by itself. */
export async function nodeSpecOf(ports: ActionPorts, manager: string, nodeId: string): Promise<NodeSpec> {
  const runM = (s: string) => (manager === ports.host ? ports.run(s) : ports.runOn(manager, s));
  const all = await ports.memo(`node-specs:${manager}`, async () => {
    const r = await runM("docker node ls -q | xargs -r docker node inspect --format '{{.ID}} {{json .Spec}}'\n");
    if (r.rc !== 0) throw new Error(`docker node inspect on ${manager} failed: ${(r.stderr || r.stdout).trim()}`);
    const m = new Map<string, NodeSpec>();
    for (const line of r.stdout.split('\n')) {
      const i = line.indexOf(' ');
      if (i > 0) m.set(line.slice(0, i), JSON.parse(line.slice(i + 1)) as NodeSpec);
    }
    return m;
  });
  const hit = all.get(nodeId);
  if (hit) return hit;
  const r = await runM(`docker node inspect --format '{{json .Spec}}' ${nodeId}\n`);
  if (r.rc !== 0) throw new Error(`docker node inspect ${nodeId} on ${manager} failed: ${(r.stderr || r.stdout).trim()}`);
  return JSON.parse(r.stdout) as NodeSpec;
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
