// Speculation: which probes of later tasks to send now, in the same round trip, so a host
// with nothing to change costs one round trip for the whole run. A speculative probe is keyed
// by its exact text (probe-cache.ts): if the task later renders differently, it is a miss and
// costs a round trip, never a wrong answer. So guessing is allowed; deciding is not: a
// condition that reads a guessed value never skips a probe.
// A query (a command that promises to change nothing) is not a probe: it is the operator's
// command, run for its answer. It rides along only when that answer cannot depend on a task
// before it that has not run yet and may change the host (a deploy, then a check of what it
// deployed): run ahead, it would check the old state (and wait out its retries) for nothing.
import type { Vars } from '../model/inventory.js';
import type { Task } from '../model/playbook.js';
import { getModule } from '../modules/index.js';
import { factNamesOf } from './fact-names.js';
import { isQuery } from './prepare-task.js';
import type { PlayProgram, Unit } from './program.js';
import type { Section } from './script.js';
import { readsAnyOf, taskReads } from './task-reads.js';

export interface SpecCandidate {
  unit: Unit;
  program: PlayProgram;
  /** From a later play than the one running. */
  later: boolean;
}

export interface SpeculationInput {
  /** The units after the current one, in run order. */
  candidates: Iterable<SpecCandidate>;
  /** The play running now: its handlers run before a later play's candidates. */
  running?: PlayProgram;
  /** The round trip's become: only units run the same way can share it. */
  become: boolean;
  /** At most this many sections. */
  max: number;
  /** Names whose values are guesses for now: registered later in the run, not yet in this one. */
  guessed: ReadonlySet<string>;
}

export interface SpeculationPorts {
  becomeOf(c: SpecCandidate): boolean;
  /** The unit's probe sections (one per loop item), rendered with the guesses standing in.
   * With `decideWhen`, items whose condition is false give none; with `knownOnly` (a query),
   * neither do items whose condition cannot be evaluated yet. Throws when the unit cannot be
   * rendered yet (it reads something no guess stands in for). */
  sections(c: SpecCandidate, decideWhen: boolean, knownOnly?: boolean): Section[];
  /** Already answered: no need to send it again. */
  cached(s: Section): boolean;
}

export function speculate(input: SpeculationInput, ports: SpeculationPorts): Section[] {
  const out: Section[] = [];
  const seen = new Set<string>();
  // Results of the candidates so far that may say "changed": they run before what follows.
  const pending = new Set<string>();
  let program = input.running;
  for (const c of input.candidates) {
    if (out.length >= input.max) break;
    // A play's handlers run at its end, before the next play's tasks.
    if (program && c.program !== program) for (const h of program.handlers) addChanging(pending, h.handler);
    program = c.program;
    const aheadOfChange = isQueryTask(c.unit.task) && readsPending(c.unit, pending);
    addChanging(pending, c.unit.task, c.unit);
    if (aheadOfChange) continue;
    // delegate_to: its probe belongs to another host's shell.
    if (c.unit.task.delegateTo !== undefined) continue;
    // A later play's run_once runs on one host only: probing it everywhere is waste.
    if (c.later && c.unit.task.runOnce) continue;
    if (ports.becomeOf(c) !== input.become) continue;
    const decideWhen = !readsAnyOf(taskReads(c.unit).when, input.guessed);
    // A query rides along only when its condition holds, read with the guesses too: run ahead
    // and then skipped, it would have cost its whole runtime (a self-check of a part that is
    // switched off, waiting out its retries). Leaving it out costs a round trip at most.
    const query = isQueryTask(c.unit.task);
    let sections: Section[];
    try {
      sections = ports.sections(c, decideWhen || query, query);
    } catch {
      // Not renderable yet (it reads a value this run has not produced): the real run probes it.
      continue;
    }
    for (const s of sections) {
      const key = `${s.kind}\0${s.text}`;
      if (seen.has(key) || ports.cached(s)) continue;
      seen.add(key);
      out.push(s);
      if (out.length >= input.max) break;
    }
  }
  return out;
}

/** A query task (prepare-task.ts isQuery), from its module name. */
export function isQueryTask(task: Task): boolean {
  const module = getModule(task.module);
  return module !== undefined && isQuery(task, module);
}

/** Controller modules that set variables and never touch the host. */
const SETS_ONLY = new Set(['include_vars', 'set_fact']);

/** The names a task sets for the rest of the run, when it may change the host (not a query).
 * include_vars / set_fact change no host: their names wait only on what they read. */
function addChanging(into: Set<string>, task: Task, unit?: Unit): void {
  if (isQueryTask(task)) return;
  if (SETS_ONLY.has(task.module) && !(unit && readsPending(unit, into))) return;
  for (const name of [...(task.register ? [task.register] : []), ...factNamesOf(task)]) into.add(name);
}

function readsPending(unit: Unit, pending: ReadonlySet<string>): boolean {
  if (pending.size === 0) return false;
  const reads = taskReads(unit);
  return readsAnyOf([...reads.render, ...reads.when], pending);
}

/** What a task that changed nothing registers: the guess for results this run has not produced. */
export const STEADY_RESULT: Readonly<Vars> = Object.freeze({ changed: false, failed: false, skipped: false });

/** Stand-ins for the names this host registers later in the run: a query's result from the
 * last run, else a result that changed nothing. Its text (stdout...) is unknown, so a probe
 * built from it cannot be rendered and is not guessed at. */
export function guessRegistered(names: Iterable<string>, registered: Vars, lastRunQueries: Vars): { values: Vars; guessed: Set<string> } {
  const values: Vars = {};
  const guessed = new Set<string>();
  for (const name of names) {
    if (name in registered) continue;
    guessed.add(name);
    values[name] = name in lastRunQueries ? lastRunQueries[name] : STEADY_RESULT;
  }
  return { values: { ...values, ...registered }, guessed };
}

/** The units to consider after `from` in this play, then this host's later plays. */
export function* candidatesFrom(program: PlayProgram, from: number, later: readonly PlayProgram[]): Generator<SpecCandidate> {
  for (let i = from; i < program.units.length; i++) yield { unit: program.units[i], program, later: false };
  for (const p of later) for (const unit of p.units) yield { unit, program: p, later: true };
}
