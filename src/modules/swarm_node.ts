// swarm_node: controller-side. The host's node spec as the swarm's managers hold it (labels,
// availability) reconciled with the inventory, read and changed on a live manager: only
// managers can. Drift (a label changed by hand) shows as a diff of the node's spec.
import type { Module } from '../model/module.js';
import { objectSchema } from './lib/schema.js';
import { afterPending, failed, hostSideNever, type ActionRun } from './lib/controller.js';
import { isLiveManager, nodeSpecOf, swarmStateOf, type NodeSpec } from './lib/swarm.js';
import { q } from './lib/sh.js';

export interface SwarmNodeParams {
  manager_group: string;
  labels: Record<string, string | number | boolean>;
  /** Remove labels the inventory does not name (default), or leave them. */
  labels_exclusive: boolean;
  availability: 'active' | 'pause' | 'drain';
}

export const swarmNode: Module<SwarmNodeParams> = {
  name: 'swarm_node',
  controller: true,
  schema: objectSchema({
    manager_group: { type: 'string', minLength: 1 },
    labels: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]*$' },
      additionalProperties: { type: ['string', 'number', 'boolean'] },
      default: {},
    },
    labels_exclusive: { type: 'boolean', default: true },
    availability: { type: 'string', enum: ['active', 'pause', 'drain'], default: 'active' },
  }, ['manager_group']),
  probe: hostSideNever('swarm_node'),
  plan: hostSideNever('swarm_node'),
  apply: hostSideNever('swarm_node'),
};

interface Spec {
  labels: Record<string, string>;
  availability: string;
}

function lines(s: Spec): string[] {
  return [`availability: ${s.availability}`, ...Object.keys(s.labels).sort().map((k) => `label ${k}=${s.labels[k]}`)];
}

/** A unified diff of the two specs, one line per setting. */
function specDiff(host: string, live: Spec, want: Spec): string {
  const a = lines(live);
  const b = lines(want);
  const out = [`--- swarm node ${host} (live)`, `+++ swarm node ${host} (inventory)`];
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

export const runSwarmNode: ActionRun<SwarmNodeParams> = async (p, ports) => {
  const want: Spec = {
    labels: Object.fromEntries(Object.entries(p.labels).map(([k, v]) => [k, String(v)])),
    availability: p.availability,
  };
  const self = await swarmStateOf(ports, ports.host);
  if (!self.state) return failed(`could not read the swarm state of ${ports.host}: ${self.unreachable}`);
  if (self.state.state !== 'active') {
    const pending = afterPending(ports, 'will set the node labels and availability');
    if (pending) return pending;
    return failed(`${ports.host} is not in a swarm (state ${self.state.state}): nothing to label`);
  }
  const nodeId = self.state.nodeId;
  // This host when it is a manager, else the first live manager of the group.
  let manager: string | undefined = self.state.manager ? ports.host : undefined;
  const seen: string[] = [];
  if (!manager) {
    for (const h of ports.groupHosts(p.manager_group).filter((x) => x !== ports.host)) {
      const m = await swarmStateOf(ports, h);
      if (isLiveManager(m)) {
        manager = h;
        break;
      }
      seen.push(m.state ? `${h} is ${m.state.state}${m.state.manager ? '' : ' (not a manager)'}` : `${h}: ${m.unreachable}`);
    }
  }
  if (!manager) return failed(`no live manager in group '${p.manager_group}' to read ${ports.host}'s node spec from${seen.length ? ` (${seen.join('; ')})` : ''}`);
  const runM = (s: string) => (manager === ports.host ? ports.run(s) : ports.runOn(manager!, s));
  let spec: NodeSpec;
  try {
    spec = await nodeSpecOf(ports, manager, nodeId);
  } catch (err) {
    return failed(err instanceof Error ? err.message : String(err));
  }
  const live: Spec = { labels: spec.Labels ?? {}, availability: spec.Availability ?? 'active' };
  const add = Object.entries(want.labels).filter(([k, v]) => live.labels[k] !== v);
  const rm = p.labels_exclusive ? Object.keys(live.labels).filter((k) => !(k in want.labels)) : [];
  const target: Spec = { labels: p.labels_exclusive ? want.labels : { ...live.labels, ...want.labels }, availability: want.availability };
  if (!add.length && !rm.length && live.availability === want.availability) {
    return { status: 'ok', msg: lines(live).join(', '), registered: { changed: false } };
  }
  const parts = [
    ...add.map(([k, v]) => `label ${k}=${v}`),
    ...rm.map((k) => `remove label ${k}`),
    ...(live.availability !== want.availability ? [`availability ${want.availability}`] : []),
  ];
  const what = `${parts.join(', ')} (on ${manager})`;
  const diff = specDiff(ports.host, live, target);
  if (ports.check) return { status: 'changed', msg: `will set ${what}`, diff, registered: { changed: true } };
  const args = [
    ...add.map(([k, v]) => `--label-add ${q(`${k}=${v}`)}`),
    ...rm.map((k) => `--label-rm ${q(k)}`),
    ...(live.availability !== want.availability ? [`--availability ${q(want.availability)}`] : []),
  ];
  const u = await runM(`docker node update ${args.join(' ')} ${q(nodeId)} >/dev/null\n`);
  if (u.rc !== 0) return failed(`docker node update failed on ${manager}`, { cmd: `docker node update ${args.join(' ')} ${nodeId}`, rc: u.rc, stderr: u.stderr });
  return { status: 'changed', msg: `set ${what}`, diff, registered: { changed: true } };
};
