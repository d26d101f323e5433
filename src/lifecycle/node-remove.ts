// `fleet node remove NAME`: take a node out of the swarm without losing what runs on it, and
// out of the inventory. Drain it (its tasks are rescheduled elsewhere), wait until they run
// elsewhere, demote it first if it is a manager (refused when it is the last one or when the
// rest would lose quorum), make it leave, remove it from the managers' node list, and remove
// it from the inventory file (comments and layout kept). The caller then converges the
// other hosts, whose firewalls stop admitting it.
import type { Host, Inventory } from '../model/inventory.js';
import type { HostSession } from '../model/transport.js';
import { connect } from '../transport/index.js';
import { NODE_LIST_SCRIPT, parseNodeList, parseSwarmState, quorum, SWARM_STATE_SCRIPT, type NodeRow, type SwarmState } from '../actions/lib/swarm.js';
import { q } from '../model/shell.js';

export interface NodeRemoveOptions {
  inventory: Inventory;
  name: string;
  /** Seconds to wait for the node's tasks to run elsewhere, and for it to be down. */
  timeoutS: number;
  log: (line: string) => void;
}

export class NodeRemoveError extends Error {}

interface Remote {
  name: string;
  session: HostSession;
  run(script: string): Promise<{ rc: number; stdout: string; stderr: string }>;
}

async function open(inv: Inventory, host: Host): Promise<Remote> {
  const session = await connect(host, { knownHostsFile: inv.knownHostsFile, acceptNewHostKeys: false });
  const become = host.connection.become || host.connection.user !== 'root';
  return { name: host.name, session, run: (s) => session.run(s, { become }) };
}

async function must(r: Remote, script: string, what: string): Promise<string> {
  const out = await r.run(script);
  if (out.rc !== 0) throw new NodeRemoveError(`${r.name}: ${what} failed (exit ${out.rc}): ${(out.stderr || out.stdout).trim()}`);
  return out.stdout;
}

async function state(r: Remote): Promise<SwarmState> {
  return parseSwarmState(await must(r, SWARM_STATE_SCRIPT, 'reading the swarm state'));
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

async function until(deadline: number, what: string, test: () => Promise<boolean>): Promise<void> {
  while (!(await test())) {
    if (Date.now() > deadline) throw new NodeRemoveError(`timed out waiting until ${what}`);
    await sleep(1000);
  }
}

export async function removeFromSwarm(o: NodeRemoveOptions): Promise<{ wasMember: boolean }> {
  const inv = o.inventory;
  const host = inv.hosts.get(o.name);
  if (!host) throw new NodeRemoveError(`no host '${o.name}' in the inventory`);
  const managerGroup = String(host.vars.swarm_manager_group ?? 'managers');
  const opened: Remote[] = [];
  try {
    // The node itself: it may be gone already (a dead server); then it is removed by force.
    let node: Remote | undefined;
    try {
      node = await open(inv, host);
      opened.push(node);
    } catch (err) {
      o.log(`${o.name}: unreachable (${err instanceof Error ? err.message : String(err)}); it cannot leave by itself, the managers will remove it`);
    }
    const self = node ? await state(node) : undefined;
    // A live manager other than the node, to drain, demote and remove it.
    let manager: Remote | undefined;
    for (const m of [...inv.hosts.values()].filter((h) => h.groups.includes(managerGroup) && h.name !== o.name)) {
      try {
        const r = await open(inv, m);
        opened.push(r);
        const st = await state(r);
        if (st.state === 'active' && st.manager) {
          manager = r;
          break;
        }
      } catch {
        // Try the next manager.
      }
    }
    if (self && self.state !== 'active' && self.state !== 'pending' && self.state !== 'error') {
      o.log(`${o.name}: not in a swarm (state ${self.state})`);
      return { wasMember: false };
    }
    if (!manager) {
      if (self?.manager) throw new NodeRemoveError(`refusing to remove ${o.name}: it is the swarm's last live manager; the swarm would be gone with it (promote another node to manager first: put it in group '${managerGroup}' and apply)`);
      throw new NodeRemoveError(`no live manager in group '${managerGroup}' other than ${o.name}: cannot drain it or remove it from the swarm`);
    }
    const nodes = parseNodeList(await must(manager, NODE_LIST_SCRIPT, 'listing the nodes'));
    const row = nodes.find((n) => (self?.nodeId ? n.id === self.nodeId : n.hostname === o.name || n.addr === host.connection.address));
    if (!row) {
      o.log(`${o.name}: not in ${manager.name}'s node list`);
      if (node && self?.state === 'active') await must(node, 'docker swarm leave --force >/dev/null\n', 'leaving the swarm');
      return { wasMember: false };
    }
    if (row.role === 'manager') refuseBreakingQuorum(o.name, row, nodes);
    const deadline = Date.now() + o.timeoutS * 1000;
    const moving = await servicesOn(manager, row.id);
    o.log(`${o.name}: draining (${moving.length ? `tasks of ${moving.join(', ')}` : 'no tasks'} on it)`);
    await must(manager, `docker node update --availability drain ${q(row.id)} >/dev/null\n`, 'draining');
    await until(deadline, `the tasks on ${o.name} stopped`, async () => {
      const left = (await must(manager!, `docker node ps ${q(row.id)} --filter desired-state=running -q | wc -l\n`, 'listing its tasks')).trim();
      if (left !== '0') return false;
      if (!node) return true;
      return (await must(node, "docker ps -q --filter label=com.docker.swarm.task.id | wc -l\n", 'listing its containers')).trim() === '0';
    });
    await until(deadline, `the replicated services moved off ${o.name} run all their replicas again`, async () => {
      const out = await must(manager!, "docker service ls --format '{{.Name}} {{.Mode}} {{.Replicas}}'\n", 'listing services');
      return out.split('\n').every((l) => {
        const [name, mode, reps] = l.trim().split(/\s+/);
        if (!name || !moving.includes(name) || mode !== 'replicated') return true;
        const m = /^(\d+)\/(\d+)/.exec(reps ?? '');
        return !m || m[1] === m[2];
      });
    });
    o.log(`${o.name}: drained; its tasks run elsewhere`);
    if (row.role === 'manager') {
      await must(manager, `docker node demote ${q(row.id)} >/dev/null\n`, 'demoting it');
      o.log(`${o.name}: demoted to worker`);
      if (node) await until(deadline, `${o.name} is no longer a manager`, async () => !(await state(node!)).manager);
    }
    if (node) {
      await must(node, 'docker swarm leave >/dev/null\n', 'leaving the swarm');
      o.log(`${o.name}: left the swarm`);
    }
    await until(deadline, `${manager.name} sees ${o.name} down`, async () => {
      const st = (await must(manager!, `docker node inspect --format '{{.Status.State}}' ${q(row.id)}\n`, 'inspecting the node')).trim();
      return st === 'down';
    });
    await must(manager, `docker node rm ${node ? '' : '--force '}${q(row.id)} >/dev/null\n`, 'removing it from the node list');
    o.log(`${o.name}: removed from the swarm's node list (on ${manager.name})`);
    return { wasMember: true };
  } finally {
    for (const r of opened) r.session.close();
  }
}

/** A manager may go only when it is not the last one and the others keep quorum. */
function refuseBreakingQuorum(name: string, row: NodeRow, nodes: NodeRow[]): void {
  const managers = nodes.filter((n) => n.role === 'manager');
  if (managers.length <= 1) {
    throw new NodeRemoveError(`refusing to remove ${name}: it is the swarm's last manager; the swarm would be gone with it (add another manager first)`);
  }
  const others = managers.filter((n) => n.id !== row.id);
  const reachable = others.filter((n) => n.managerStatus === 'Reachable' || n.managerStatus === 'Leader').length;
  if (reachable < quorum(others.length)) {
    throw new NodeRemoveError(
      `refusing to remove ${name}: the swarm would keep ${others.length} managers of which ${reachable} are reachable, below the quorum of ${quorum(others.length)}; bring the unreachable managers back (or remove them first)`,
    );
  }
}

/** Services with a running task on the node: what draining moves. */
async function servicesOn(manager: Remote, nodeId: string): Promise<string[]> {
  const out = await must(manager, `docker node ps ${q(nodeId)} --filter desired-state=running --format '{{.Name}}'\n`, 'listing its tasks');
  return [...new Set(out.split('\n').map((l) => l.trim().replace(/\.[^.]*$/, '')).filter(Boolean))];
}
