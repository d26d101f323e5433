// swarm_nodes: every node's labels and availability, reconciled on a manager with what the
// inventory says for each member (host or group variables). The managers' node list is this
// action's probe on the manager it runs on, read with that host's other probes: a converged
// swarm costs no round trip of its own. Drift (a label changed by hand) is a diff per node.
import { Type } from '@sinclair/typebox';
import type { Action, ActionContext, ActionPorts, ActionResult } from '../model/action.js';
import type { Vars } from '../model/inventory.js';
import { paramsObject, withDefault, type Params } from '../model/params.js';
import { q } from '../model/shell.js';
import { afterPending, failed } from './lib/result.js';
import { specsReadKey, type SpecsRead } from './lib/swarm-spec-batch.js';
import { NO_DOCKER, NODE_SPECS_SCRIPT, nodeOf, NOT_MANAGER, parseNodeSpecs, type NodeInfo } from './lib/swarm.js';

const varName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' });
const schema = paramsObject({
  manager_group: Type.String({ minLength: 1 }),
  worker_group: Type.String({ minLength: 1 }),
  /** The variables each member's settings are read from, and their defaults. */
  labels_var: withDefault(varName, 'swarm_labels'),
  availability_var: withDefault(varName, 'swarm_availability'),
  exclusive_var: withDefault(varName, 'swarm_labels_exclusive'),
  advertise_var: withDefault(varName, 'swarm_advertise_addr'),
  /** Remove labels the inventory does not name, unless a member's exclusive_var says otherwise. */
  labels_exclusive: withDefault(Type.Boolean(), true),
});
export type SwarmNodesParams = Params<typeof schema>;

interface Want {
  host: string;
  labels: Record<string, string>;
  exclusive: boolean;
  availability: string;
  address: string;
}

interface Fix {
  want: Want;
  node: NodeInfo;
  add: [string, string][];
  rm: string[];
  availability?: string;
}

const AVAILABILITIES = ['active', 'pause', 'drain'];

/** A member's wanted spec from its inventory variables; a value fleet cannot use is refused. */
function wantOf(p: SwarmNodesParams, host: string, vars: Readonly<Vars>, address: string): Want {
  const raw = vars[p.labels_var] ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${host}: ${p.labels_var} must be a mapping of label names to values`);
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!['string', 'number', 'boolean'].includes(typeof v)) throw new Error(`${host}: ${p.labels_var}.${k} must be a string, number or boolean`);
    if (String(v).includes('{{')) throw new Error(`${host}: ${p.labels_var}.${k} is a template; node labels are read from the inventory as written`);
    labels[k] = String(v);
  }
  const availability = String(vars[p.availability_var] ?? 'active');
  if (!AVAILABILITIES.includes(availability)) throw new Error(`${host}: ${p.availability_var} must be one of ${AVAILABILITIES.join(', ')}, got ${availability}`);
  const ex = vars[p.exclusive_var];
  const advertise = vars[p.advertise_var];
  return {
    host,
    labels,
    exclusive: ex === undefined ? p.labels_exclusive : ex === true || ex === 'true',
    availability,
    address: typeof advertise === 'string' && advertise ? advertise : address,
  };
}

function fixOf(want: Want, node: NodeInfo): Fix | undefined {
  const add = Object.entries(want.labels).filter(([k, v]) => node.labels[k] !== v);
  const rm = want.exclusive ? Object.keys(node.labels).filter((k) => !(k in want.labels)) : [];
  const availability = node.availability !== want.availability ? want.availability : undefined;
  return add.length || rm.length || availability ? { want, node, add, rm, availability } : undefined;
}

function lines(labels: Record<string, string>, availability: string): string[] {
  return [`availability: ${availability}`, ...Object.keys(labels).sort().map((k) => `label ${k}=${labels[k]}`)];
}

/** A unified diff of the node's spec, one line per setting. */
function specDiff(f: Fix): string {
  const live = f.node;
  const target = f.want.exclusive ? f.want.labels : { ...live.labels, ...f.want.labels };
  const a = lines(live.labels, live.availability);
  const b = lines(target, f.want.availability);
  const out = [`--- swarm node ${f.want.host} (live)`, `+++ swarm node ${f.want.host} (inventory)`];
  const keyOf = (l: string) => l.replace(/=.*$/, '').replace(/:.*$/, '');
  const keys = [...new Set([...a, ...b].map(keyOf))].sort((x, y) => (x === 'availability' ? -1 : y === 'availability' ? 1 : x.localeCompare(y)));
  for (const k of keys) {
    const la = a.find((l) => keyOf(l) === k);
    const lb = b.find((l) => keyOf(l) === k);
    if (la === lb) out.push(` ${la}`);
    else {
      if (la) out.push(`-${la}`);
      if (lb) out.push(`+${lb}`);
    }
  }
  return out.join('\n') + '\n';
}

function updateCmd(f: Fix): string {
  const args = [
    ...f.add.map(([k, v]) => `--label-add ${q(`${k}=${v}`)}`),
    ...f.rm.map((k) => `--label-rm ${q(k)}`),
    ...(f.availability ? [`--availability ${q(f.availability)}`] : []),
  ];
  return `docker node update ${args.join(' ')} ${q(f.node.id)} >/dev/null || exit 1\n`;
}

function summary(f: Fix): string {
  const parts = [...f.add.map(([k, v]) => `label ${k}=${v}`), ...f.rm.map((k) => `remove label ${k}`), ...(f.availability ? [`availability ${f.availability}`] : [])];
  return `${f.want.host}: ${parts.join(', ')}`;
}

export const swarmNodes: Action<typeof schema> = {
  name: 'swarm_nodes',
  schema,
  probe: () => NODE_SPECS_SCRIPT,
  async run(p, ctx, ports) {
    const out = ctx.probed;
    if (!out || out.rc !== 0) return failed(`could not read the swarm's nodes on ${ctx.host}`, { cmd: 'docker node inspect', rc: out?.rc, stderr: out?.stderr });
    const text = out.stdout.trim();
    if (text === NO_DOCKER || text === NOT_MANAGER) {
      const pending = afterPending(ctx, 'will set the nodes\' labels and availability');
      if (pending) return pending;
      return failed(`${ctx.host} ${text === NO_DOCKER ? 'has no docker' : 'is not a swarm manager'}: the nodes' labels can only be read and set on a manager`);
    }
    let wants: Want[];
    let nodes: NodeInfo[];
    try {
      const members = [...new Set([...ports.groupHosts(p.manager_group), ...ports.groupHosts(p.worker_group)])];
      wants = members.map((h) => wantOf(p, h, ports.hostVars(h) ?? {}, ports.address(h)));
      nodes = parseNodeSpecs(text);
    } catch (err) {
      return failed(err instanceof Error ? err.message : String(err));
    }
    // Members of this run not in the swarm yet are joining now (with their labels): wait until
    // they are past their join, then read the list again. Only then is there a second round trip.
    const joining = wants.filter((w) => !nodeOf(nodes, w.address, w.host) && ports.playHosts().includes(w.host));
    if (joining.length && !ctx.check) {
      await Promise.all(joining.map((w) => ports.waitForHost(w.host)));
      // The joiners' labels script on this manager read the list after them (swarm-spec-batch.ts).
      const key = specsReadKey(ctx.host);
      const batched = await ports.memo<SpecsRead | undefined>(key, async () => undefined);
      ports.forget(key);
      if (batched && joining.every((w) => batched.covered.has(w.host))) nodes = parseNodeSpecs(batched.stdout);
      else {
        const again = await ports.runOn(ctx.host, NODE_SPECS_SCRIPT);
        if (again.rc !== 0) return failed(`could not read the swarm's nodes on ${ctx.host}`, { cmd: 'docker node inspect', rc: again.rc, stderr: again.stderr });
        nodes = parseNodeSpecs(again.stdout);
      }
    }
    return reconcile(ctx, ports, wants, nodes);
  },
};

async function reconcile(ctx: ActionContext, ports: ActionPorts, wants: Want[], nodes: NodeInfo[]): Promise<ActionResult> {
  const fixes: Fix[] = [];
  const absent: string[] = [];
  for (const w of wants) {
    const node = nodeOf(nodes, w.address, w.host);
    if (!node) absent.push(w.host);
    else {
      const f = fixOf(w, node);
      if (f) fixes.push(f);
    }
  }
  // A member not in the swarm is its own swarm_member's business (it says so); not a change here.
  const note = absent.length ? `; not in the swarm: ${absent.join(', ')}` : '';
  if (!fixes.length) return { status: 'ok', msg: `${wants.length - absent.length} nodes as the inventory says${note}`, registered: { changed: false } };
  const diff = fixes.map(specDiff).join('');
  const what = fixes.map(summary).join('; ');
  if (ctx.check) return { status: 'changed', msg: `will set ${what}`, diff, registered: { changed: true } };
  const r = await ports.runOn(ctx.host, fixes.map(updateCmd).join(''));
  if (r.rc !== 0) return failed(`docker node update failed on ${ctx.host}`, { cmd: 'docker node update', rc: r.rc, stderr: r.stderr });
  return { status: 'changed', msg: `set ${what}`, diff, registered: { changed: true } };
}
