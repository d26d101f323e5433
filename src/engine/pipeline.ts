// Pipelined changes: when a task changes, the tasks after it whose probes are already known
// are planned from those probes and applied in the same round trip. Each runs behind a guard
// on the host: its probe is run again and its output compared (as text, or by digest when it
// is large); only if it is byte for byte what
// the plan was made from does its apply run (a plan is a pure function of that output, so it
// still holds). Otherwise the script stops there and the engine plans that task afresh.
// A task whose directory an earlier change in the script makes is planned from the output
// its probe will print then (Module.predict), and its guard checks exactly that.
import { createHash } from 'node:crypto';
import type { Vars } from '../model/inventory.js';
import type { HostFacts, Plan } from '../model/module.js';
import { getModule } from '../modules/index.js';
import { q } from '../modules/lib/sh.js';
import { appliedVerdict } from './verdicts.js';
import type { Verdict } from './outcome.js';
import type { PreparedModuleTask, PreparedTask } from './prepare-task.js';
import type { PlayProgram, Unit } from './program.js';
import type { Section, SectionResult } from './script.js';
import { readsAnyOf, taskReads } from './task-reads.js';

/** Exit code of a guard whose state moved under it. */
export const DIVERGED = 97;
export const DIVERGED_MARK = '@@fleet-diverged@@';

export function probeDigest(r: SectionResult): string {
  return createHash('sha256').update(`${r.stdout}\n@rc=${r.rc}`).digest('hex');
}

/** Probe outputs up to this size are compared as text in the guard (the test builtin); larger
 * ones by digest, so the script does not carry them back. */
export const INLINE_GUARD_BYTES = 4096;

/** The guard runs the probe exactly as a probe section does (its own subshell, stderr
 * dropped) and appends the exit code, so the comparison covers what plan() saw. */
export function guardedSection(probeText: string, planned: SectionResult, applyText: string | undefined): Section {
  const seen = `${planned.stdout}\n@rc=${planned.rc}`;
  // Comparing the text itself costs the host no process; a digest costs a sha256sum and a subshell.
  const differs =
    Buffer.byteLength(seen) <= INLINE_GUARD_BYTES ? `[ "$fleet_o" != ${q(seen)} ]` : `[ "$(printf '%s' "$fleet_o" | sha256sum)" != "${probeDigest(planned)}  -" ]`;
  const guard = [
    `fleet_o=$( (\n${probeText}\n) 2>/dev/null; printf '\\n@rc=%s' "$?" )`,
    `if ${differs}; then echo ${DIVERGED_MARK}; exit ${DIVERGED}; fi`,
  ].join('\n');
  return { kind: 'apply', text: applyText ? `${guard}\n${applyText}` : guard };
}

/** At most this many tasks ride along with one change. */
export const MAX_PIPELINED = 64;

/** A task planned from its cached probe, to apply behind its guard. */
export interface Ahead {
  unit: Unit;
  prepared: PreparedModuleTask;
  plan: Plan<unknown>;
  /** The probe output the plan was made from. */
  planned: SectionResult;
  applyText?: string;
}

export interface LookaheadPorts {
  /** The round trip's become. */
  become: boolean;
  /** Names registered anywhere in this run: a task reading one waits for the real value... */
  registerNames: ReadonlySet<string>;
  /** ...unless this host has it already (registered by a task before the pipeline). */
  registered(name: string): boolean;
  /** The unit's variables (without hostvars: a task reading them is not pipelined). */
  context(unit: Unit): Vars;
  whenHolds(unit: Unit, ctx: Vars): boolean;
  prepare(unit: Unit, ctx: Vars): PreparedTask;
  cached(s: Section): SectionResult | undefined;
  facts?: HostFacts;
  /** Directories the change that opens the round trip leaves in place. */
  madeDirs?: readonly string[];
}

/** The units right after `unit` that can be planned now and applied behind guards in the same
 * round trip, and the ones among them whose condition is false (skipped; a skip decided here
 * stays right even if the pipeline stops early: its condition reads only final values). */
export function lookahead(program: PlayProgram, unit: Unit, ports: LookaheadPorts): { ahead: Ahead[]; skipped: Unit[] } {
  const ahead: Ahead[] = [];
  const skipped: Unit[] = [];
  if (unit.task.loop !== undefined) return { ahead, skipped };
  // Directories the changes before the task being planned will have made by the time it runs.
  const made = new Set(ports.madeDirs ?? []);
  // Names whose value is not final for the task being planned: registered in this run and not
  // yet on this host, or (again) by the change that opens the round trip or a task riding along.
  const unknown = new Set([...ports.registerNames].filter((n) => !ports.registered(n)));
  if (unit.task.register) unknown.add(unit.task.register);
  for (let i = unit.index + 1; i < program.units.length && ahead.length < MAX_PIPELINED; i++) {
    const u = program.units[i];
    if (!pipelinable(u, ports, unknown)) break;
    if (u.task.register) unknown.add(u.task.register);
    try {
      const ctx = ports.context(u);
      if (!ports.whenHolds(u, ctx)) {
        skipped.push(u);
        continue;
      }
      const prepared = ports.prepare(u, ctx);
      if (prepared.kind !== 'module') break;
      const cached = ports.cached(prepared.section);
      if (!cached || cached.rc !== 0) break;
      const { module, params } = prepared;
      // Probed before the changes ahead of it: planned from what it will print after them
      // (its directory made), which its guard then checks.
      const predicted = made.size ? module.predict?.(params, cached.stdout, made) : undefined;
      const probed = predicted === undefined ? cached : { ...cached, stdout: predicted };
      const plan = module.plan(params, probed.stdout, ports.facts);
      if (plan.kind === 'blocked') break;
      const applyText = plan.kind === 'change' ? module.apply(params, plan, ports.facts) : undefined;
      if (plan.kind === 'change') for (const d of module.madeDirs?.(params, plan) ?? []) made.add(d);
      ahead.push({ unit: u, prepared, plan, planned: probed, applyText });
    } catch {
      // Not plannable from here (it cannot render yet): the pipeline stops, the task runs on its own.
      break;
    }
  }
  return { ahead, skipped };
}

/** What may ride along: a plain module task whose failure the host sees in order, reading no
 * registered value that is not final yet (its own result, registered, is read by the tasks
 * after it only once this round trip is back). A command's apply is the operator's own code:
 * only guarded ones ride along (an unguarded command keeps a round trip of its own, so Ctrl-C
 * between long commands stops before the next one). */
function pipelinable(u: Unit, ports: LookaheadPorts, unknown: ReadonlySet<string>): boolean {
  const t = u.task;
  const module = getModule(t.module);
  if (!module) return false;
  if (module.traits?.guards && (t.changedWhen !== undefined || (t.creates === undefined && t.unless === undefined))) return false;
  // failed_when could fail a task whose successors already ran on the host.
  if (t.failedWhen !== undefined || t.loop !== undefined || t.runOnce || t.until !== undefined) return false;
  // A rescue runs only if its block fails, which is known only when the block's tasks are judged.
  if (t.blocks?.some((f) => f.part === 'rescue')) return false;
  // check_mode: true never applies.
  if (t.checkMode) return false;
  // any_errors_fatal: the task after a fatal one waits for every host (host-runner.ts).
  if (u.barrier) return false;
  // delegate_to: applied on another host's shell, in a round trip of its own.
  if (t.delegateTo !== undefined) return false;
  if ((t.become ?? ports.become) !== ports.become) return false;
  const reads = taskReads(u);
  return !reads.hostvars && !readsAnyOf([...reads.render, ...reads.when], unknown);
}

/** How a pipelined task ended, from its section's result: undefined when its guard found the
 * state moved (it is then planned afresh). */
export function pipelinedVerdict(a: Ahead, r: SectionResult): Verdict | undefined {
  if (r.rc === DIVERGED && r.stdout.includes(DIVERGED_MARK)) return undefined;
  if (a.plan.kind === 'ok') return { changed: false, failed: false, msg: a.plan.note };
  if (a.plan.kind !== 'change') return undefined;
  return appliedVerdict(a.prepared, a.plan.summary, a.plan.diff, r);
}
