// Ansible's delegate_to: a task's probe and apply run on another host's shell (its run's
// connection, a few channels borrowed, or a fresh one) or, for localhost not in the inventory,
// the controller's; with the delegating host's variables. Each costs a round trip of its own
// (never speculated, never pipelined), which -v / FLEET_TRACE names.
import type { Vars } from '../model/inventory.js';
import type { Task } from '../model/playbook.js';
import { renderValue } from '../template/index.js';
import { ControllerSession } from '../transport/index.js';
import { withHostSession } from './action-ports.js';
import { roundTrip, type RoundTripSinks } from './round-trip.js';
import type { RunShared } from './run-shared.js';
import type { Section, SectionResult } from './script.js';

const LOCALHOST = ['localhost', '127.0.0.1', '::1'];

/** The host the task goes to, rendered in the delegating host's scope. */
export function delegateTarget(task: Task, ctx: Vars, shared: RunShared): string {
  const v = renderValue(task.delegateTo, ctx, task.source);
  if (typeof v !== 'string' || v.trim() === '') throw new Error(`delegate_to: expected a host name, got ${JSON.stringify(v)}`);
  const name = v.trim();
  if (!shared.inventory.hosts.has(name) && !LOCALHOST.includes(name)) throw new Error(`delegate_to: host '${name}' is not in the inventory`);
  return name;
}

export async function delegatedRoundTrip(
  shared: RunShared,
  from: string,
  target: string,
  section: Section,
  become: boolean,
  sinks: RoundTripSinks,
): Promise<SectionResult> {
  const why = `delegate_to ${target}: ${section.kind} on ${target === from ? 'this host' : target}'s shell (a round trip of its own)`;
  sinks.trace?.(why);
  const run = async (s: Parameters<typeof roundTrip>[0]) => (await roundTrip(s, [section], become, why, sinks)).get(0);
  const r = shared.inventory.hosts.has(target) ? await withHostSession(shared, from, target, run) : await run(new ControllerSession());
  return r ?? { stdout: '', stderr: `delegate_to ${target}: the ${section.kind} produced no result`, rc: 255 };
}
