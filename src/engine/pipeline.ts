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
import type { BlockFrame } from '../model/playbook.js';
import { OPEN, type HostFacts, type Plan } from '../model/module.js';
import { getModule } from '../modules/index.js';
import { q } from '../modules/lib/sh.js';
import { ANY_VARIABLE } from '../template/index.js';
import { appliedVerdict, queryVerdict } from './verdicts.js';
import type { Verdict } from './outcome.js';
import { isQuery, type PreparedModuleTask, type PreparedTask } from './prepare-task.js';
import type { PlayProgram, Unit } from './program.js';
import { DIVERGED, DIVERGED_FLAG, type Section, type SectionResult } from './script.js';
import { readsAnyOf, taskReads } from './task-reads.js';
import { itemScope, loopItems } from './execute.js';
import { strictStandIns } from './rider-context.js';
import { writtenBy } from './written-by.js';

/** Exit code of a guard whose state moved under it (script.ts skips the applies after it). */
export { DIVERGED } from './script.js';
export const DIVERGED_MARK = '@@fleet-diverged@@';

export function probeDigest(r: SectionResult): string {
  return createHash('sha256').update(`${r.stdout}\n@rc=${r.rc}`).digest('hex');
}

/** Probe outputs up to this size are compared as text in the guard (the test builtin); larger
 * ones by digest, so the script does not carry them back. */
export const INLINE_GUARD_BYTES = 4096;

/** A probe that may end its shell with status 0 (`exit` without a non-zero status, `return`,
 * `exec`): its guard runs it in a subshell of its own, as its probe section did. */
const ENDS_SHELL = /\bexit\b(?![ \t]+[1-9]\b)|\breturn\b|\bexec\b/;

/** The guard runs the probe as a probe section does (stderr dropped) and appends the exit
 * code, so the comparison covers what plan() saw. Unless the probe could end its shell with
 * status 0 (ENDS_SHELL), it runs in the command substitution's own subshell as a `{ }` group,
 * not in a second subshell (a fork less per guard): a failure that ends the substitution there
 * (`|| exit 1`, set -e) ends it before the exit code is appended, so the answer can only differ
 * from the planned one, made from a probe that exited 0 (lookahead plans from no other): the
 * guard then stops the script, as it did when the subshell appended a non-zero code (`|| :`:
 * the substitution's own status must not end the apply section, which runs under set -e). */
export function guardedSection(probeText: string, planned: SectionResult, applyText: string | undefined, withOpen = false): Section {
  const seen = `${planned.stdout}\n@rc=${planned.rc}`;
  // Comparing the text itself costs the host no process; a digest costs a sha256sum and a subshell.
  const diverge = `echo ${DIVERGED_MARK}; ${DIVERGED_FLAG}; exit ${DIVERGED}`;
  // Values left open by a prediction (OPEN; `withOpen`, never from a host's answer) match any
  // text: a case pattern, the rest literal.
  const open = withOpen ? seen.split(OPEN) : [seen];
  if (open.length > 1 && Buffer.byteLength(seen) > INLINE_GUARD_BYTES) throw new Error('a predicted probe output with open values is too large for its guard');
  const differs =
    Buffer.byteLength(seen) <= INLINE_GUARD_BYTES ? `[ "$fleet_o" != ${q(seen)} ]` : `[ "$(printf '%s' "$fleet_o" | sha256sum)" != "${probeDigest(planned)}  -" ]`;
  const guard = [
    `fleet_o=$( ${planned.rc !== 0 || ENDS_SHELL.test(probeText) ? `(\n${probeText}\n)` : `{\n${probeText}\n}`} 2>/dev/null; printf '\\n@rc=%s' "$?" ) || :`,
    open.length > 1 ? `case "$fleet_o" in ${open.map((part) => q(part)).join('*')}) ;; *) ${diverge};; esac` : `if ${differs}; then ${diverge}; fi`,
  ].join('\n');
  return { kind: 'apply', text: applyText ? `${guard}\n${applyText}` : guard };
}

/** What a query rider was planned from: no probe. */
const NOTHING_PROBED: SectionResult = { stdout: '', stderr: '', rc: 0 };

/** The section a rider sends: its guard and apply, or a query's command as it is. */
export function riderSection(a: Ahead): Section {
  return a.query ? { kind: 'apply', text: a.applyText ?? '' } : guardedSection(a.prepared.section.text, a.planned, a.applyText, a.withOpen);
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
  /** `planned` was predicted with values left open (OPEN): its guard matches any text there. */
  withOpen?: boolean;
  applyText?: string;
  /** A loop's item: its position, and how many items the loop has (the items after the last
   * one riding, or after a divergence, run on their own). */
  item?: { index: number; of: number };
  /** A query (changed_when: false on a command): its command runs in its place, unguarded
   * (it promises to change nothing), and its result is its verdict. */
  query?: true;
  /** The play it belongs to, when not the opening change's (it rode past the play's end). */
  program?: PlayProgram;
}

/** Where the pipeline may go on past the end of the opening change's play: the next play's
 * units, planned with `ports` (its variables; the round trip's become). */
export interface NextPlay {
  program: PlayProgram;
  ports: LookaheadPorts;
}

export interface LookaheadPorts {
  /** The round trip's become. */
  become: boolean;
  /** Names registered anywhere in this run: a task reading one waits for the real value... */
  registerNames: ReadonlySet<string>;
  /** ...unless this host has it already (registered by a task before the pipeline). */
  registered(name: string): boolean;
  /** The unit's variables, with `standIns` over the registered results (what the script
   * reaching the unit proves), and under hostvars only what the controller knows before the
   * script runs; `notKnown` (results not final here) throw when read (rider-context.ts). */
  context(unit: Unit, standIns: Vars, notKnown: ReadonlySet<string>): Vars;
  whenHolds(unit: Unit, ctx: Vars): boolean;
  /** `item`: the loop item's position (0 without a loop). */
  prepare(unit: Unit, ctx: Vars, item: number): PreparedTask;
  cached(s: Section): SectionResult | undefined;
  facts?: HostFacts;
  /** Directories the change that opens the round trip leaves in place. */
  madeDirs?: readonly string[];
  /** What it writes (writtenBy). */
  written?: readonly string[];
  /** The change is its loop's last item: what follows the loop may ride along. */
  lastItem?: boolean;
  /** Past the play's last unit: the next play, if this host's riders may go on into it with
   * the handlers named in `notified` (notified by the changes riding) pending; undefined: they
   * stop at the play's end (host-runner.ts decides: the play's end is no sync point here). */
  next?(notified: readonly string[]): NextPlay | undefined;
  /** A failure is held by these blocks (blocks.ts held): the riders stay inside them, since
   * what follows their end runs only if a rescue takes the failure (and then not in order). */
  within?: readonly BlockFrame[];
}

/** A unit whose condition is false. `predicted`: decided from stand-ins for results of this
 * round trip; such a skip is not recorded ahead (the engine decides it again from the real
 * results), it only lets the pipeline go past the unit. */
export interface Skipped {
  unit: Unit;
  predicted: boolean;
}

/** The attributes of a result registered in this round trip that are known before it returns:
 * a later section runs only if every apply before it exited 0 (an apply stops the script when
 * it fails) and every guard before it passed, so each earlier task changed exactly as its plan
 * said, and none failed. Anything else it registers (stdout, rc) is only known once it ran. */
const KNOWN_ATTRIBUTES = new Set(['changed', 'failed']);

/** Its result's `changed` follows from its plan: no changed_when/failed_when decides over it,
 * and a failure is not turned into a success that lets the script go on. */
function predictable(t: Unit['task']): boolean {
  return t.changedWhen === undefined && t.failedWhen === undefined && !t.ignoreErrors && t.loop === undefined;
}

/** A command with no guard of its own (creates/unless/changed_when): the operator's code that
 * runs every time. At most one per round trip, so Ctrl-C still stops between two of them. */
function unguardedCommand(t: Unit['task']): boolean {
  return !!getModule(t.module)?.traits?.guards && t.changedWhen === undefined && t.creates === undefined && t.unless === undefined;
}

/** The units right after `unit` that can be planned now and applied behind guards in the same
 * round trip, and the ones among them whose condition is false (skipped). A skip decided from
 * final values only stays right even if the pipeline stops early; one decided from stand-ins
 * (`predicted`) is decided again by the engine. */
export function lookahead(program: PlayProgram, unit: Unit, ports: LookaheadPorts): { ahead: Ahead[]; skipped: Skipped[] } {
  const ahead: Ahead[] = [];
  const skipped: Skipped[] = [];
  // Riders run right after the change: not while more of its loop is to come, nor when its
  // outcome is judged by rules over its output (failed_when, until) after they would have run.
  const t0 = unit.task;
  if ((t0.loop !== undefined && !ports.lastItem) || t0.failedWhen !== undefined || t0.until !== undefined) return { ahead, skipped };
  // Directories the changes before the task being planned will have made by the time it runs.
  const made = new Set(ports.madeDirs ?? []);
  // Files the change that opens the round trip and those riding before it will have written
  // (their "file:" resources), and users they made (writtenBy).
  const written = new Set<string>(ports.written ?? []);
  // Names whose value is not final for the task being planned: registered in this run and not
  // yet on this host, or (again) by the change that opens the round trip or a task riding along.
  const unknown = new Set([...ports.registerNames].filter((n) => !ports.registered(n)));
  // What the results registered in this round trip are known to say (KNOWN_ATTRIBUTES) where
  // a later task is reached: the opening change changed (its apply ran), riders as planned.
  const standIns: Vars = {};
  const register = (t: Unit['task'], value: Vars | undefined) => {
    if (!t.register) return;
    unknown.add(t.register);
    if (value && predictable(t)) standIns[t.register] = value;
    else delete standIns[t.register];
  };
  register(unit.task, { changed: true, failed: false });
  let commands = unguardedCommand(unit.task) ? 1 : 0;
  // The handlers the changes riding notify (with the opening change's): the play's end runs them.
  const notified = [...unit.task.notify];
  let play: { program: PlayProgram; ports: LookaheadPorts; crossed: boolean } = { program, ports, crossed: false };
  for (let i = unit.index + 1; ahead.length < MAX_PIPELINED; i++) {
    if (i >= play.program.units.length) {
      // The play's end: on into the next play only where nothing happens between the two.
      const next = play.ports.next?.(notified);
      if (!next) break;
      play = { ...next, crossed: true };
      i = -1;
      continue;
    }
    const u = play.program.units[i];
    const p = play.ports;
    const of = play.crossed ? { program: play.program } : {};
    // A held failure's blocks end at the latest with the play: nothing past them rides.
    if (ports.within && (play.crossed || !ports.within.every((f, k) => u.task.blocks?.[k]?.id === f.id))) break;
    const reads = readsKnown(u, unknown, standIns);
    if (reads === undefined) break;
    try {
      // A template reading names it only knows when rendering may reach a stand-in's other
      // attributes: they throw then (rider-context.ts).
      const notKnown = new Set([...unknown].filter((n) => !(n in standIns)));
      const ctx = p.context(u, reads === 'dynamic' ? strictStandIns(standIns) : standIns, notKnown);
      if (!p.whenHolds(u, ctx)) {
        // A loop whose condition is false registers each item skipped: it runs on its own.
        if (u.task.loop !== undefined) break;
        skipped.push({ unit: u, predicted: reads !== 'final' });
        register(u.task, { changed: false, skipped: true });
        continue;
      }
      if (!runnable(u, p, commands)) break;
      // Past the play's end the other hosts may still be in the play before: the operator's own
      // commands (which may reach them) wait for the next play's round trip.
      if (play.crossed && getModule(u.task.module)?.traits?.guards) break;
      if (u.task.loop === undefined) {
        const a = planAhead(u, ctx, 0, p, made, written);
        if (!a) break;
        if (a.plan.kind === 'change' && unguardedCommand(u.task)) commands++;
        if (a.plan.kind === 'change') notified.push(...u.task.notify);
        register(u.task, { changed: a.plan.kind === 'change', failed: false });
        ahead.push({ ...a, ...of });
        continue;
      }
      // A loop rides item by item, each behind its own guard, as its items run on their own:
      // in order, each with its condition. Its items up to the first that cannot be planned
      // ride; the rest (and what follows the loop) run on their own.
      const items = loopItems(u, ctx);
      register(u.task, undefined);
      let all = items.length > 0;
      for (const [k, item] of items.entries()) {
        const ictx = itemScope(u.task, ctx, item, k);
        const a = p.whenHolds(u, ictx) && ahead.length < MAX_PIPELINED && (!unguardedCommand(u.task) || commands === 0) ? planAhead(u, ictx, k, p, made, written) : undefined;
        if (!a || a.query) {
          all = false;
          break;
        }
        if (a.plan.kind === 'change' && unguardedCommand(u.task)) commands++;
        if (a.plan.kind === 'change') notified.push(...u.task.notify);
        ahead.push({ ...a, ...of, item: { index: k, of: items.length } });
      }
      if (!all) break;
    } catch {
      // Not plannable from here (it cannot render yet): the pipeline stops, the task runs on its own.
      break;
    }
  }
  return { ahead, skipped };
}

/** The handlers notified before an action's last script that ends its play, planned to ride
 * after that script (host-runner.ts carried) behind guards, as tasks ride after a change: in
 * the order they would run; the first that cannot ride stops them (it and those after it run
 * on their own, at the end of the play as before). The action's own result is not known when
 * they are planned: one reading a result registered in this run and not yet on this host (the
 * action's included) runs on its own. One command with no guard of its own rides at most (its
 * changed_when, judged from its output afterwards, guards nothing on the host). `alone`: it
 * must run on its own (it waits for the other hosts' results). */
export function handlersAhead(handlers: readonly Unit[], opening: Unit, ports: LookaheadPorts, alone: (u: Unit) => boolean): Ahead[] {
  const ahead: Ahead[] = [];
  const unknown = new Set([...ports.registerNames].filter((n) => !ports.registered(n)));
  if (opening.task.register) unknown.add(opening.task.register);
  const written = new Set<string>();
  let commands = 0;
  for (const u of handlers) {
    const t = u.task;
    const everyTime = !!getModule(t.module)?.traits?.guards && t.creates === undefined && t.unless === undefined;
    if (ahead.length >= MAX_PIPELINED || t.loop !== undefined || (everyTime && commands > 0) || alone(u)) break;
    if (readsKnown(u, unknown, {}) !== 'final' || !runnable(u, ports, 0, true)) break;
    try {
      const ctx = ports.context(u, {}, unknown);
      if (!ports.whenHolds(u, ctx)) break;
      const a = planAhead(u, ctx, 0, ports, new Set(ports.madeDirs ?? []), written);
      if (!a) break;
      if (a.plan.kind === 'change' && everyTime) commands++;
      // Its result is known only once the round trip returns: a later handler reading it runs on its own.
      if (t.register) unknown.add(t.register);
      ahead.push(a);
    } catch {
      break;
    }
  }
  return ahead;
}

/** The task (or loop item) planned from its cached probe (from what it will print after the
 * changes before it, when they make its directory or write a file it reads); undefined when it
 * cannot be planned now. */
function planAhead(u: Unit, ctx: Vars, item: number, ports: LookaheadPorts, made: Set<string>, written: Set<string>): Ahead | undefined {
  const prepared = ports.prepare(u, ctx, item);
  if (prepared.kind !== 'module') return undefined;
  // A query has no probe to guard: it runs in its place, as its query section would have
  // (not under the apply section's set -e), and stops the script when it fails.
  if (prepared.query) return { unit: u, prepared, plan: { kind: 'ok' }, planned: NOTHING_PROBED, applyText: `set +e\n${prepared.section.text}`, query: true };
  const cached = ports.cached(prepared.section);
  if (!cached || cached.rc !== 0) return undefined;
  const { module, params } = prepared;
  // Probed before the changes ahead of it: planned from what it will print after them (its
  // directory made, a file it reads written), which its guard then checks.
  const inDirs = made.size ? module.predict?.(params, cached.stdout, made) : undefined;
  const afterDirs = inDirs ?? cached.stdout;
  const predicted = written.size ? (module.predictWritten?.(params, afterDirs, written) ?? inDirs) : inDirs;
  // Open values need the guard's text comparison (guardedSection).
  if (predicted?.includes(OPEN) && Buffer.byteLength(`${predicted}\n@rc=${cached.rc}`) > INLINE_GUARD_BYTES) return undefined;
  const probed = predicted === undefined ? cached : { ...cached, stdout: predicted };
  const plan = module.plan(params, probed.stdout, ports.facts);
  if (plan.kind === 'blocked') return undefined;
  const applyText = plan.kind === 'change' ? module.apply(params, plan, ports.facts) : undefined;
  if (plan.kind === 'change') for (const d of module.madeDirs?.(params, plan) ?? []) made.add(d);
  if (plan.kind === 'change') for (const w of writtenBy(module.name, module.resources?.(params) ?? [])) written.add(w);
  return { unit: u, prepared, plan, planned: probed, applyText, ...(predicted?.includes(OPEN) ? { withOpen: true } : {}) };
}

/** Can the unit's condition and values be read before this round trip returns? undefined: no
 * (a rescue, run_once, a result not known yet); 'stand-ins': only through KNOWN_ATTRIBUTES of
 * results registered in this round trip; 'final': from final values; 'dynamic': it reads names
 * only known when it renders, and the context's values that are not final (a stand-in's other
 * attributes too) throw when read (rider-context.ts, which also keeps hostvars to what is known
 * before the script runs). */
function readsKnown(u: Unit, unknown: ReadonlySet<string>, standIns: Vars): 'final' | 'stand-ins' | 'dynamic' | undefined {
  const t = u.task;
  if (t.runOnce) return undefined;
  // A rescue runs only if its block fails, which is known only when the block's tasks are judged.
  if (t.blocks?.some((f) => f.part === 'rescue')) return undefined;
  const reads = taskReads(u);
  const refs = [...reads.render, ...reads.when];
  // Names only known when it renders (any variable, vars[x]): the context's values not known
  // yet, and stand-ins' attributes they do not hold (which would read as absent), throw when read.
  const dynamic = refs.some((r) => r.name === ANY_VARIABLE || (r.name === 'vars' && r.path.length === 0));
  if (!dynamic && !readsAnyOf(refs, unknown)) return 'final';
  const known = refs.every((r) => !unknown.has(r.name) || (r.name in standIns && r.path.length > 0 && KNOWN_ATTRIBUTES.has(r.path[0])));
  if (!known) return undefined;
  return dynamic ? 'dynamic' : 'stand-ins';
}

/** What may ride along once its condition holds: a plain module task whose failure the host
 * sees in order (its own result, registered, is read by the tasks after it only as far as
 * KNOWN_ATTRIBUTES go). A command's apply is the operator's own code: a guarded one rides
 * along, and one unguarded one per round trip (so Ctrl-C between long commands stops before
 * the next one). */
function runnable(u: Unit, ports: LookaheadPorts, commands: number, judgedLast = false): boolean {
  const t = u.task;
  const module = getModule(t.module);
  if (!module) return false;
  // `judgedLast`: nothing after it in the script reads its result (handlersAhead). A query
  // (changed_when: false) is never changed: its stand-in says so before it runs.
  const query = isQuery(t, module);
  if (module.traits?.guards && t.changedWhen !== undefined && !judgedLast && !query) return false;
  // A query's failure ignored would stop the script with the task going on.
  if (query && t.ignoreErrors) return false;
  if (unguardedCommand(t) && commands > 0) return false;
  // failed_when could fail a task whose successors already ran on the host.
  if (t.failedWhen !== undefined || t.until !== undefined) return false;
  // check_mode: true never applies.
  if (t.checkMode) return false;
  // any_errors_fatal: the task after a fatal one waits for every host (host-runner.ts).
  if (u.barrier) return false;
  // delegate_to: applied on another host's shell, in a round trip of its own.
  if (t.delegateTo !== undefined) return false;
  return (t.become ?? ports.become) === ports.become;
}

/** How a pipelined task ended, from its section's result: undefined when its guard found the
 * state moved (it is then planned afresh). */
export function pipelinedVerdict(a: Ahead, r: SectionResult): Verdict | undefined {
  if (r.rc === DIVERGED && r.stdout.includes(DIVERGED_MARK)) return undefined;
  if (a.query) return queryVerdict(a.prepared, r);
  if (a.plan.kind === 'ok') return { changed: false, failed: false, msg: a.plan.note };
  if (a.plan.kind !== 'change') return undefined;
  return appliedVerdict(a.prepared, a.plan.summary, a.plan.diff, r);
}
