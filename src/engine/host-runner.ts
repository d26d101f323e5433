// One host's run, in order: connect; per play, the first round trip (facts and every probe
// that can be speculated), each unit (executed, or decided ahead by the pipeline), the notified
// handlers; each outcome recorded. A host with nothing to change costs one round trip for the
// whole run. The parts live beside this file: host-wire (round trips), speculation, pipeline,
// execute (one task), outcome (the rules), handlers, last-run (caches), secrets, timings.
import type { HostCounts, HostEvent } from '../model/events.js';
import type { Host, Vars } from '../model/inventory.js';
import type { BlockFrame, Task } from '../model/playbook.js';
import type { ExecOptions, ExecResult, HostSession } from '../model/transport.js';
import { UnreachableError } from '../model/transport.js';
import { probesRunAs, probesSurvive } from './action-cache.js';
import { actionPorts, type ActionCarry } from './action-ports.js';
import { BlockTracker } from './blocks.js';
import { addFacts } from './included-vars.js';
import { delegatedRoundTrip, delegateTarget } from './delegate.js';
import { CheckLedger } from './check-ledger.js';
import { connectHost } from './connect-host.js';
import { evaluator, executeTask, itemScope, loopItems, whenHolds, type TaskEnv } from './execute.js';
import { factsForTemplates, parseFacts, type GatheredFacts } from './facts.js';
import { handlersNext, Notifications, runOnce } from './handlers.js';
import { HostWire } from './host-wire.js';
import { loadCachedFacts, QueryCache, saveCachedFacts } from './last-run.js';
import { CONDITION_FALSE, errorText, ignoreErrors, judge, registeredOf, type Outcome, type Verdict } from './outcome.js';
import { lockSection, parseLockResult, type LockState } from './host-lock.js';
import { handlersAhead, lookahead, pipelinedVerdict, riderSection, type Ahead, type LookaheadPorts, type NextPlay } from './pipeline.js';
import { PrepareMemo } from './prepare-memo.js';
import { FLUSH_HANDLERS, type PlayProgram, type Unit } from './program.js';
import type { BatchContext, RunShared } from './run-shared.js';
import type { Section, SectionResult } from './script.js';
import { registerResultSecrets } from './secrets.js';
import { stoppedEvent, taskEvent } from './task-event.js';
import { candidatesFrom, guessRegistered, isQueryTask, speculate, STEADY_RESULT, type SpecCandidate } from './speculation.js';
import { readsOtherHostsResults, taskReads } from './task-reads.js';
import { Timings } from './timings.js';
import { ContextCache } from './context-cache.js';
import { notKnownYet, riderHostvars, writableNames } from './rider-context.js';
import { buildContext, type HostRuntime } from './vars.js';

/** Probes speculated in one round trip, at most. */
const MAX_SPECULATIVE_SECTIONS = 4000;
/** After a change, the next tasks re-probed with it: not everything left, or a run where every
 * task changes re-probes quadratically. A no-change stretch past it costs one more round trip. */
const REPROBE_WINDOW = 160;
/** How often a run waiting for another run's lock looks again (one round trip each). */
const LOCK_POLL_MS = 2000;

/** The run lock could not be had: the host fails (it answered), the run goes on. */
class LockError extends Error {}

/** An apply was cut off after it started: whether it made its change is unknown. */
class OutcomeUnknownError extends Error {}

/** A loop's items applied ahead (pipeline.ts), by position, of how many it has. */
interface DecidedItems {
  items: Map<number, Verdict>;
  of: number;
}

/** A failed task inside an Ansible block: what a rescue reads as ansible_failed_task/_result. */
interface BlockFailure {
  task: { name: string; action: string };
  result: unknown;
}

export class HostRunner {
  readonly rt: HostRuntime;
  readonly counts: HostCounts = { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0 };
  readonly timings = new Timings();
  /** What this host's tasks published for the recap (onion addresses...). */
  readonly outputs: Record<string, string> = {};
  failed = false;
  unreachable = false;
  session?: HostSession;
  private wire?: HostWire;
  private facts?: GatheredFacts;
  /** The last run's facts and query results, for speculation: dropped when the host is retired. */
  private lastRunFacts?: GatheredFacts;
  private templateFacts?: { from: GatheredFacts; view: Record<string, unknown> };
  private queries?: QueryCache;
  /** Round trips of the closed connection, once the host is retired. */
  private roundTrips = 0;
  private retired = false;
  /** The user this run's connection logged in as (an inventory_var user change applies to later fresh connections only). */
  private loginUser?: string;
  private readonly ledger = new CheckLedger();
  private readonly notifications = new Notifications();
  /** Units decided in an earlier round trip: pipelined (a verdict to judge) or skipped. */
  private readonly decided = new Map<Unit, Outcome | Verdict | DecidedItems>();
  /** Handlers that rode after the play's last action script (carried), by task. */
  private readonly handlersDone = new Map<Task, Verdict>();
  /** Tasks prepared by speculation, given back when they run if nothing they read changed. */
  private memo: PrepareMemo;
  /** Each role's variables while nothing was registered (context-cache.ts). */
  private contexts = new ContextCache();
  /** The task running now, to name it when the connection fails under it. */
  private current = 'connection';
  /** A task of this host is between task_start and its result. */
  private inTask = false;
  /** A round trip that changes the host (or an action) is in flight: if the connection is lost
   * now, the change may or may not have been made. */
  private applying = false;
  /** The tasks riding along in the apply round trip in flight: cut off, their outcome is as
   * unknown as the current task's. */
  private riders: { task: string; play: string }[] = [];
  /** The blocks holding a failure around the unit running now (blocks.ts held). */
  private heldBlocks?: BlockFrame[];

  constructor(
    readonly host: Host,
    private readonly shared: RunShared,
  ) {
    this.rt = { host, registered: {}, sshPort: host.connection.port, controllerIp: '' };
    // What the checks before contact prepared for this host (preflight-handoff.ts).
    this.memo = new PrepareMemo(shared.opts.preflight?.take(host.name));
    this.lastRunFacts = loadCachedFacts(host.name, host.connection);
    this.queries = new QueryCache(host.name, host.connection);
  }

  get done(): boolean {
    return this.failed || this.unreachable;
  }

  async connect(): Promise<boolean> {
    if (this.session) return true;
    if (this.done || this.retired) return false;
    const t0 = performance.now();
    let retries: string[];
    try {
      ({ session: this.session, retries } = await connectHost(this.shared, this.host, { fresh: false }));
    } catch (err) {
      this.stop('unreachable', 'connect', '', err);
      return false;
    }
    this.loginUser = this.host.connection.user;
    this.timings.connectMs = Math.round(this.session.connectMs || performance.now() - t0);
    const verbosity = this.shared.opts.verbosity ?? 0;
    const trace = verbosity > 0 ? (msg: string) => this.shared.emit({ type: 'trace', host: this.host.name, msg }) : undefined;
    this.wire = new HostWire(this.session, this.timings, { trace, verbosity, dumpOnce: this.shared.dumpOnce });
    this.shared.emit({ type: 'connect', host: this.host.name, connectMs: this.timings.connectMs, ...(retries.length ? { retries } : {}) });
    return true;
  }

  async runPlay(program: PlayProgram, batch: BatchContext): Promise<void> {
    this.halted = false;
    this.pendingFatal = undefined;
    this.handlersDone.clear();
    try {
      if (!this.done) await this.prime(program);
      const blocks = new BlockTracker<BlockFailure>();
      for (const unit of program.units) {
        batch.progress.reach(this.host.name, unit.index);
        // After a first Ctrl-C nothing more runs, but what already ran along in the round trip
        // in flight is reported: a change made on the host never vanishes from the recap.
        if (this.done || (this.shared.aborted() && !this.ranAhead(unit))) break;
        // A failure held until its block ended is known here, before the any_errors_fatal wait.
        const gate = blocks.enter(unit.task.blocks ?? []);
        this.blockEnds(gate);
        this.noteFatal(batch);
        if (this.done) break;
        if (unit.barrier && (await this.haltedByFatal(program, batch, unit.index))) break;
        if (!gate.run) {
          // Left out by its block (a rescue with nothing to rescue, the rest of a failed block):
          // Ansible shows nothing for it, and anything decided for it ahead is void.
          this.decided.delete(unit);
          continue;
        }
        this.heldBlocks = blocks.held();
        await this.runUnit(unit, program, batch, false, blocks);
        this.heldBlocks = undefined;
        this.noteFatal(batch);
        if (unit.task.module === FLUSH_HANDLERS && !this.done) await this.flushHandlers(program, batch, unit.index);
      }
      if (!this.halted && !this.done && !this.shared.aborted()) this.blockEnds(blocks.finish());
      this.noteFatal(batch);
      if (!this.halted && !this.done && program.units.at(-1)?.fatal) await this.haltedByFatal(program, batch, program.units.length);
      if (this.halted) return;
      await this.flushHandlers(program, batch, program.units.length);
    } catch (err) {
      // The transport failed under this host (connection lost, sudo refused): the host stops,
      // the run goes on. A change in flight then has an unknown outcome, never "failed".
      const unknown = this.unknownOutcome(err);
      if (unknown) {
        this.stopUnknown(this.current, program.play.name, unknown);
        // Each task that rode in the same round trip is as unknown: none may vanish from the recap.
        for (const r of this.riders) this.stopUnknown(r.task, r.play, `rode along with '${this.current}': ${unknown}`);
      }
      else this.stop(err instanceof UnreachableError ? 'unreachable' : 'failed', err instanceof LockError ? 'run lock' : this.current, program.play.name, err);
    } finally {
      batch.progress.done(this.host.name);
    }
  }

  /** A unit a round trip already ran on the host (it rode along): reporting it sends nothing.
   * A loop's items are left out: the items not yet run would run. */
  private ranAhead(unit: Unit): boolean {
    const d = this.decided.get(unit);
    return d !== undefined && !('items' in d);
  }

  /** Whether this play has units that already ran here (riders that went on into it). */
  ranAheadIn(program: PlayProgram): boolean {
    return program.units.some((u) => this.ranAhead(u));
  }

  /** any_errors_fatal: waits until every host of the batch finished the fatal task before
   * `index`; true when one of them failed it (this host then ends the play here, its handlers
   * not run, as in Ansible). The wait costs no round trip; FLEET_TRACE says why it waited. */
  private async haltedByFatal(program: PlayProgram, batch: BatchContext, index: number): Promise<boolean> {
    batch.progress.reach(this.host.name, index);
    this.trace(`any_errors_fatal: waiting for every host of the batch to finish '${program.units[index - 1]?.task.name}'`);
    await batch.progress.waitAll(index);
    if (!batch.fatal) return false;
    this.halted = true;
    this.trace(`any_errors_fatal: '${batch.fatal.task}' failed on ${batch.fatal.host}: the play ends here`);
    return true;
  }
  /** Ended by another host's fatal failure (any_errors_fatal): not failed, nothing more runs. */
  halted = false;
  /** A failure of an any_errors_fatal task no rescue handles (the host fails now or once its
   * always parts ran). */
  private pendingFatal: string | undefined;
  private noteFatal(batch: BatchContext): void {
    if (this.failed && this.pendingFatal) batch.fatal ??= { host: this.host.name, task: this.pendingFatal };
  }

  /** The notified handlers, now (at the end of the play, or at a meta: flush_handlers). */
  private async flushHandlers(program: PlayProgram, batch: BatchContext, at: number): Promise<void> {
    // Aborted: those that already rode along with the action before them are still reported.
    const stopped = (h: Unit) => this.done || (this.shared.aborted() && !this.handlersDone.has(h.task));
    const handlers = this.done ? [] : this.notifications.take(program, at).filter((h) => !stopped(h));
    for (const handler of handlers) {
      if (stopped(handler)) break;
      await this.runUnit(handler, program, batch, true);
    }
    // Mid-play, what was probed or decided ahead predates what the handlers did.
    if (handlers.length && at < program.units.length) {
      this.decided.clear();
      this.wire?.cache.clear();
    }
  }

  /** First contact in a play: the run lock (apply: taken; check: waited for), facts (once per
   * run) and every probe that can be speculated, all in one round trip. */
  private async prime(program: PlayProgram): Promise<void> {
    if (this.facts) return;
    const become = this.becomeOf(program);
    const lockOpts = this.shared.opts.lock;
    const lock = lockOpts && lockSection(this.shared.opts.mode === 'apply' ? 'take' : 'test', lockOpts.owner);
    const started = Date.now();
    let told = false;
    for (;;) {
      const res = await this.wire!.prime(this.speculate(program, 0, become), become, lock);
      const state: LockState = lock ? parseLockResult(res.lock) : { state: 'free' };
      if (state.state === 'error') throw new LockError(state.msg);
      if (state.state === 'free') {
        if (state.stale) this.trace(`run lock: the lock of a run that has ended was taken over (${state.stale})`);
        this.facts = parseFacts(res.facts ?? '');
        break;
      }
      const waited = Date.now() - started;
      const timeout = lockOpts!.timeoutMs;
      if (!lockOpts!.wait) throw new LockError(`locked by another fleet run (${state.owner}); --no-wait was given, so this host was left alone`);
      if (waited >= timeout) throw new LockError(`still locked by another fleet run (${state.owner}) after ${Math.round(waited / 1000)} s (--lock-timeout); this host was left alone`);
      if (!told) {
        told = true;
        this.shared.emit({ type: 'warning', host: this.host.name, msg: `locked by another fleet run (${state.owner}): waiting up to ${Math.round(timeout / 1000)} s (--no-wait fails at once)` });
      }
      // A Ctrl-C while waiting: nothing was started here, so nothing is left to finish.
      if (await this.shared.pause(Math.min(LOCK_POLL_MS, timeout - waited))) return;
    }
    this.rt.facts = factsForTemplates(this.facts);
    this.rt.controllerIp = this.facts.controllerIp;
    this.shared.changedValues();
    saveCachedFacts(this.host.name, this.host.connection, this.facts, this.lastRunFacts);
  }

  private trace(msg: string): void {
    if ((this.shared.opts.verbosity ?? 0) > 0) this.shared.emit({ type: 'trace', host: this.host.name, msg });
  }

  /** Blocks ended: a failure a rescue now handles is what its tasks read; one that left every
   * block fails the host (its task was reported, and counted, as failed already). */
  private blockEnds(r: { caught: { failure: BlockFailure }[]; hostFails?: BlockFailure }): void {
    for (const c of r.caught) this.rescuing(c.failure);
    if (r.hostFails) this.failed = true;
  }

  private rescuing(f: BlockFailure): void {
    this.rt.registered.ansible_failed_task = f.task;
    this.rt.registered.ansible_failed_result = f.result;
    this.shared.changedValues();
  }

  private async runUnit(unit: Unit, program: PlayProgram, batch: BatchContext, handler: boolean, blocks?: BlockTracker<BlockFailure>): Promise<void> {
    const task = unit.task;
    this.current = task.name;
    const t0 = performance.now();
    this.shared.emit({ type: 'task_start', host: this.host.name, play: program.play.name, role: task.role, task: task.name });
    this.inTask = true;
    this.applying = false;
    const outcome = await this.outcomeOf(unit, program, batch, handler);
    this.inTask = false;
    const rescued = this.record(unit, outcome, handler, blocks);
    const ev = taskEvent(this.host.name, program.play.name, task, outcome, performance.now() - t0, { handler, diff: this.shared.opts.diff });
    if (rescued) ev.rescued = true;
    this.shared.emit(ev);
  }

  private async outcomeOf(unit: Unit, program: PlayProgram, batch: BatchContext, handler: boolean): Promise<Outcome> {
    const ahead = handler ? this.handlersDone.get(unit.task) : this.decided.get(unit);
    if (ahead) {
      this.decided.delete(unit);
      this.handlersDone.delete(unit.task);
      if ('status' in ahead) return ahead;
      // Items applied ahead read only values known then (rider-context.ts): no wait for them.
      if ('items' in ahead) {
        // Items left (after a divergence) run as the task would have: after what they may read.
        if (ahead.items.size < ahead.of && readsOtherHostsResults(taskReads(unit), this.shared.registerNames)) await batch.progress.waitAll(unit.index);
        return this.executeHere(unit, program, batch, unit.task.become ?? this.becomeOf(program), { decidedItems: ahead.items });
      }
      const judged = judge(unit.task, ahead, evaluator(unit, this.context(program, unit)));
      // A query that rode along is a query's outcome, as when it runs with the probes.
      return ignoreErrors(unit.task, isQueryTask(unit.task) ? { ...judged, query: true } : judged);
    }
    if (unit.task.runOnce && !handler) return runOnce(unit, batch, this.host.name, () => this.execute(unit, program, batch));
    if (readsOtherHostsResults(taskReads(unit), this.shared.registerNames)) await batch.progress.waitAll(unit.index);
    return this.execute(unit, program, batch);
  }

  /** What the outcome changes for the rest of the run: registered values, notified handlers,
   * the host's state and counters. */
  private record(unit: Unit, outcome: Outcome, handler: boolean, blocks?: BlockTracker<BlockFailure>): boolean {
    const task = unit.task;
    if (task.register) {
      const reg = registeredOf(outcome);
      if (outcome.query) this.queries?.record(task.register, reg, this.shared.opts.redactor);
      this.rt.registered[task.register] = reg;
      this.shared.changedValues();
      registerResultSecrets(task.register, reg, this.shared.opts.redactor);
    }
    if (outcome.facts && outcome.status !== 'failed') {
      addFacts(this.rt.registered, outcome.facts, task);
      this.shared.changedValues();
    }
    // Named by where they are read: the register name, then the path inside its value.
    for (const [k, v] of Object.entries(outcome.outputs ?? {})) this.outputs[task.register ? `${task.register}.${k}` : k] = v;
    if (outcome.status === 'changed' && !handler) this.notifications.notify(task.notify);
    let rescued = false;
    if (outcome.status === 'failed' && !outcome.ignored) {
      const frames = handler || !blocks ? [] : (task.blocks ?? []);
      const r = blocks ? blocks.fail(frames, { task: { name: task.name, action: task.module }, result: registeredOf(outcome) }) : { rescued: false, caught: false, host: true };
      rescued = r.rescued;
      if (unit.fatal && !r.caught && !r.rescued) this.pendingFatal = task.name;
      if (r.caught) this.rescuing({ task: { name: task.name, action: task.module }, result: registeredOf(outcome) });
      if (r.host) this.failed = true;
    }
    if (rescued) this.counts.rescued = (this.counts.rescued ?? 0) + 1;
    else {
      const counted = outcome.ignored ? 'ok' : outcome.status;
      this.counts[counted] = (this.counts[counted] ?? 0) + 1;
    }
    return rescued;
  }

  private execute(unit: Unit, program: PlayProgram, batch: BatchContext): Promise<Outcome> {
    const become = unit.task.become ?? this.becomeOf(program);
    if (unit.task.delegateTo !== undefined) return this.executeDelegated(unit, program, batch, become);
    return this.executeHere(unit, program, batch, become);
  }

  /** delegate_to: probe and apply go to the target's shell, each a round trip of its own. */
  private executeDelegated(unit: Unit, program: PlayProgram, batch: BatchContext, become: boolean): Promise<Outcome> {
    let target: string;
    try {
      target = delegateTarget(unit.task, this.context(program, unit), this.shared);
    } catch (err) {
      return Promise.resolve({ status: 'failed', msg: errorText(err) });
    }
    const sinks = { trace: (this.shared.opts.verbosity ?? 0) > 0 ? (msg: string) => this.trace(msg) : undefined, verbosity: this.shared.opts.verbosity };
    return this.executeHere(unit, program, batch, become, {
      probe: (section) => delegatedRoundTrip(this.shared, this.host.name, target, section, become, sinks),
      apply: async (text) => {
        this.applying = true;
        try {
          return await delegatedRoundTrip(this.shared, this.host.name, target, { kind: 'apply', text }, become, sinks);
        } finally {
          this.applying = false;
        }
      },
    });
  }

  private executeHere(unit: Unit, program: PlayProgram, batch: BatchContext, become: boolean, on: Partial<Pick<TaskEnv, 'probe' | 'apply' | 'decidedItems'>> = {}): Promise<Outcome> {
    const forced = unit.task.checkMode === true && this.shared.opts.mode !== 'check';
    const env: TaskEnv = {
      check: this.shared.opts.mode === 'check' || unit.task.checkMode === true,
      facts: this.facts,
      // check_mode: true in an apply: what came before is made, nothing is pending.
      ledger: forced ? new CheckLedger() : this.ledger,
      timings: this.timings,
      secrets: this.shared.opts.redactor,
      decidedItems: on.decidedItems,
      probe: on.probe ?? ((section) => this.probe(section, program, unit.index, become)),
      apply: on.apply ?? ((text, madeDirs, lastItem, written) => this.apply(text, madeDirs, program, unit, become, lastItem, written, batch)),
      // The first attempt may take what speculation prepared; a retry prepares again.
      prepare: (u, item, ctx) => this.memo.prepare(u, item, ctx, this.facts, true),
      retryPause: async (ms, why) => {
        this.trace(`${why}: the next attempt probes again (one more round trip)`);
        const interrupted = await this.shared.pause(ms);
        this.wire?.cache.clear();
        return interrupted;
      },
      runAction: async (p, probed, lastItem) => {
        const c = this.host.connection;
        const ctx = { host: this.host.name, connection: c, vars: this.host.vars, check: env.check, pendingAfter: this.ledger.last(), probed };
        // The probe cache holds answers read after the action's last script here (carried), or
        // the action reached the host again since.
        let carried = false;
        const carry: ActionCarry | undefined = env.check
          ? undefined
          : {
              run: async (script, b, why, exec, conclusive) => {
                carried = false;
                const r = await this.carried(script, b, why, exec, program, unit, lastItem === true, conclusive === true);
                carried = true;
                return r;
              },
              stale: () => void (carried = false),
            };
        const place = { playHosts: this.shared.scope(program).playHosts, waitForHost: (h: string) => batch.progress.waitPast(h, unit.index), task: unit.task.name, carry };
        this.applying = !env.check;
        // It runs on the controller: what the variables read there (files...) may change.
        this.contexts.invalidate();
        const runAs = probesRunAs(this.becomeOf(program), this.loginUser);
        const res = await p.action.run(p.params, ctx, actionPorts(this.host, this.shared, place));
        this.contexts.invalidate();
        this.applying = false;
        // The action changed the host with scripts of its own: what was probed before may be
        // stale, unless the probes were read again after its last script, or it wrote only on the controller.
        if (!env.check && res.status === 'changed' && !carried && !probesSurvive(p.action, runAs, probesRunAs(this.becomeOf(program), this.loginUser))) this.wire?.cache.clear();
        return res;
      },
    };
    return executeTask(unit, () => this.context(program, unit), env);
  }

  private context(program: PlayProgram, unit: Unit, rt: HostRuntime = this.rt): Vars {
    return this.contexts.get(this.shared.scope(program), rt, program.play, unit.roleRef, unit.task);
  }

  private becomeOf(program: PlayProgram): boolean {
    return program.play.become ?? this.host.connection.become;
  }

  private probe(section: Section, program: PlayProgram, from: number, become: boolean): Promise<SectionResult> {
    const hit = this.wire!.cache.get(section);
    if (hit) return Promise.resolve(hit);
    // From this unit on: the other items of a loop are probed in the same round trip.
    const spec = this.speculate(program, from, become).filter((s) => s.kind !== section.kind || s.text !== section.text);
    return this.wire!.probe(section, spec, become, `probe of '${this.current}' was not in the cache`);
  }

  /** One change, the pipelined changes after it, and the re-probe of what follows: one round trip. */
  private async apply(text: string, madeDirs: readonly string[], program: PlayProgram, unit: Unit, become: boolean, lastItem = false, written: readonly string[] = [], batch?: BatchContext): Promise<SectionResult> {
    const wire = this.wire!;
    // A handler's change carries no riders: the tasks after a flush run after every handler.
    const { ahead, skipped } =
      this.shared.opts.mode === 'check' || 'listen' in unit.task
        ? { ahead: [], skipped: [] }
        : lookahead(program, unit, this.riderPorts(program, become, madeDirs, lastItem, written, batch));
    // A skip read from stand-ins is decided again, from the real results, when the unit is reached.
    for (const s of skipped) if (!s.predicted) this.decided.set(s.unit, CONDITION_FALSE);
    wire.cache.clear();
    // A loop's other items are probed again after its change (they are the next to run).
    // So are a riding loop's items left (after the last one that could be planned).
    const end = ahead.at(-1);
    // The riders may end in the next play (pipeline.ts NextPlay): what follows them is there.
    const endProgram = end?.program ?? program;
    const last = end ? (end.item && end.item.index < end.item.of - 1 ? end.unit.index - 1 : end.unit.index) : unit.task.loop !== undefined && !lastItem ? unit.index - 1 : unit.index;
    // The handlers these changes notify: their probes ride along, so a handler costs only its apply.
    const changes = ahead.filter((a) => a.plan.kind === 'change');
    const notifying = [...(endProgram === program ? [unit.task] : []), ...changes.filter((a) => (a.program ?? program) === endProgram).map((a) => a.unit.task)];
    // A package install changes files no plan foresaw (its own configuration, logs): the riders
    // after it are probed again at the end too, so one whose guard finds its state moved is
    // planned afresh from that answer, not from a round trip of its own.
    const installs = [{ unit, program }, ...changes.map((a) => ({ unit: a.unit, program: a.program ?? program }))];
    const install = installs.find((c) => c.unit.task.module === 'package');
    const from = install && (install.program !== endProgram || install.unit.index < last) ? { program: install.program, index: install.unit.index + 1 } : { program: endProgram, index: last + 1 };
    const handlers = from.program === endProgram ? this.notifications.peek(endProgram, notifying.flatMap((t) => t.notify)) : [];
    const spec = this.speculate(from.program, from.index, become, REPROBE_WINDOW, handlers);
    const guarded = ahead.map(riderSection);
    const why = `apply '${this.current}'${ahead.length ? ` and ${ahead.length} pipelined` : ''}`;
    this.applying = true;
    // Each once (a loop's items share it), named in its own play (riders may be in the next).
    this.riders = [...new Map(ahead.map((a) => [`${a.program?.playIndex ?? program.playIndex}\0${a.unit.task.name}`, { task: a.unit.task.name, play: (a.program ?? program).play.name }])).values()];
    // Left set when the round trip throws: the catch in runPlay reads them.
    const { result, guarded: ridden } = await wire.apply(text, guarded, spec, become, why);
    this.applying = false;
    if (result.cutOff || [...ridden.values()].some((r) => r.cutOff)) {
      throw new OutcomeUnknownError(`the apply script was cut off before it reported (${(result.stderr || [...ridden.values()].find((r) => r.cutOff)?.stderr || '').trim()})`);
    }
    this.riders = [];
    ahead.forEach((a, i) => {
      const r = ridden.get(i);
      const verdict = r && pipelinedVerdict(a, r);
      if (!verdict) return;
      if (!a.item) return void this.decided.set(a.unit, verdict);
      // A loop's items: those that ran before a divergence (or before the items left) are done.
      const prev = this.decided.get(a.unit);
      const items = prev && 'items' in prev ? prev.items : new Map<number, Verdict>();
      items.set(a.item.index, verdict);
      this.decided.set(a.unit, { items, of: a.item.of });
    });
    return result;
  }

  /** What the pipeline plans riders with (pipeline.ts). */
  private riderPorts(program: PlayProgram, become: boolean, madeDirs: readonly string[], lastItem: boolean, written: readonly string[] = [], batch?: BatchContext): LookaheadPorts {
    return {
      become,
      registerNames: this.shared.registerNamesOf(this.host.name),
      registered: (name) => name in this.rt.registered,
      context: (u, standIns, notKnown) => {
        const scope = this.shared.scope(program);
        const hostvars = riderHostvars(scope, writableNames(this.shared.opts.playbook));
        const registered = { ...this.rt.registered, ...standIns, ...notKnownYet(notKnown) };
        return buildContext(scope, { ...this.rt, registered }, program.play, u.roleRef, { withHostvars: false, task: u.task, extra: { hostvars } });
      },
      whenHolds,
      prepare: (u, ctx, item) => this.memo.prepare(u, item, ctx, this.facts, false),
      cached: (s) => this.wire!.cache.get(s),
      facts: this.facts,
      madeDirs,
      written,
      lastItem,
      // Only from the play the batch runs now (its other hosts' progress is known there).
      next: batch ? (notified) => this.nextPlay(program, become, notified, batch) : undefined,
      within: this.heldBlocks,
    };
  }

  /** The next play, when the riders of a round trip may go on into it (pipeline.ts NextPlay):
   * nothing happens between the two plays for this host but the play event. Not when
   * handlers are to run at this play's end; not when another host's failure can stop the run
   * there (any_errors_fatal, max_fail_percentage) or batches order the hosts (serial); not
   * past a play this host is not in; not when the next play's become differs. */
  private nextPlay(program: PlayProgram, become: boolean, notified: readonly string[], batch: BatchContext): NextPlay | undefined {
    if (this.notifications.peek(program, notified).length > 0) return undefined;
    // Every host ends a play before any host starts the next (Ansible's plays are barriers):
    // another host of the batch still in this play may do what the next play relies on.
    if (!batch.progress.othersDone(this.host.name)) return undefined;
    const play = program.play;
    if (play.serial !== undefined || play.maxFailPercentage !== undefined || program.units.some((u) => u.fatal || u.barrier)) return undefined;
    const next = this.shared.laterPrograms(this.host.name, program.playIndex)[0];
    if (!next || next.playIndex !== program.playIndex + 1 || next.play.serial !== undefined || this.becomeOf(next) !== become) return undefined;
    return { program: next, ports: this.riderPorts(next, become, [], true) };
  }

  /** An action's last script on this host as the apply of a round trip that re-probes what
   * follows it (as an apply's would: the next units, the loop's other items before its last,
   * the handlers notified so far): their answers replace every one read before the action.
   * `conclusive` (ScriptOptions), when the task ends its play: the handlers notified so far
   * ride after the script, behind guards, and run only if it exited 0 (handlersNext). */
  private async carried(
    script: string,
    become: boolean,
    why: string,
    exec: ((script: string, opts: ExecOptions) => Promise<ExecResult>) | undefined,
    program: PlayProgram,
    unit: Unit,
    lastItem: boolean,
    conclusive: boolean,
  ): Promise<ExecResult> {
    const wire = this.wire!;
    const ahead: Ahead[] =
      conclusive && handlersNext(program, unit, lastItem)
        ? handlersAhead(this.notifications.peek(program), unit, this.riderPorts(program, become, [], true), (h) => readsOtherHostsResults(taskReads(h), this.shared.registerNames))
        : [];
    wire.cache.clear();
    const from = unit.task.loop !== undefined && !lastItem ? unit.index : unit.index + 1;
    const riding = new Set(ahead.map((a) => a.unit.task));
    const handlers = this.notifications.peek(program, unit.task.notify).filter((h) => !riding.has(h.task));
    const spec = this.speculate(program, from, become, REPROBE_WINDOW, handlers);
    const guarded = ahead.map(riderSection);
    this.riders = ahead.map((a) => ({ task: a.unit.task.name, play: program.play.name }));
    // The action's script runs as it would alone: not under the apply section's set -e.
    const named = ahead.map((a) => `'${a.unit.task.name}'`).join(', ');
    const { result, guarded: ridden } = await wire.apply(`set +e\n${script}`, guarded, spec, become, named ? `${why}, with the handler(s) ${named}` : why, exec);
    const cut = [...ridden.values()].find((r) => r.cutOff);
    if (cut) throw new OutcomeUnknownError(`the script of the handler(s) ${named} was cut off before it reported (${cut.stderr.trim()})`);
    this.riders = [];
    ahead.forEach((a, i) => {
      const r = ridden.get(i);
      const verdict = r && pipelinedVerdict(a, r);
      if (verdict) this.handlersDone.set(a.unit.task, verdict);
    });
    return { rc: result.rc, stdout: result.stdout, stderr: result.stderr, ...(result.dropped ? { dropped: result.dropped } : {}) };
  }

  /** The last run's facts as templates see them, one object per host (ansibleFactVars keeps
   * its spellings per object: a new one per speculation built them again). */
  private lastRunTemplateFacts(facts: GatheredFacts): Record<string, unknown> {
    if (this.templateFacts?.from !== facts) this.templateFacts = { from: facts, view: factsForTemplates(facts) };
    return this.templateFacts.view;
  }

  /** The probes of later units that can be rendered now, with guesses for what this run has
   * not registered yet (speculation.ts). */
  private speculate(program: PlayProgram, from: number, become: boolean, max = MAX_SPECULATIVE_SECTIONS, handlers: Unit[] = []): Section[] {
    return this.timings.measure('renderMs', () => {
      const { values, guessed } = guessRegistered(this.shared.registerNamesOf(this.host.name), this.rt.registered, this.queries?.lastRun ?? {});
      const facts = this.facts ?? this.lastRunFacts;
      const rt: HostRuntime = {
        ...this.rt,
        registered: values,
        facts: this.rt.facts ?? (facts ? this.lastRunTemplateFacts(facts) : undefined),
        controllerIp: this.rt.controllerIp || facts?.controllerIp || '',
      };
      const candidates = [
        ...handlers.map((unit) => ({ unit, program, later: false })),
        ...candidatesFrom(program, from, this.shared.laterPrograms(this.host.name, program.playIndex)),
      ];
      return speculate(
        { candidates, running: program, become, max, guessed },
        {
          becomeOf: (c) => c.unit.task.become ?? this.becomeOf(c.program),
          sections: (c, decideWhen, knownOnly) => this.sectionsOf(c, rt, facts, decideWhen, knownOnly),
          cached: (s) => this.wire!.cache.has(s),
        },
      );
    });
  }

  private sectionsOf(c: SpecCandidate, rt: HostRuntime, facts: GatheredFacts | undefined, decideWhen: boolean, knownOnly = false): Section[] {
    const base = this.context(c.program, c.unit, rt);
    const out: Section[] = [];
    for (const [i, item] of loopItems(c.unit, base).entries()) {
      const ctx = c.unit.task.loop === undefined ? base : itemScope(c.unit.task, base, item, i);
      if (decideWhen && !(knownOnly ? whenKnown(c.unit, ctx) : holdsOrUnknown(c.unit, ctx))) continue;
      const prepared = this.memo.prepare(c.unit, i, ctx, facts, false);
      if (prepared.section) out.push(prepared.section);
      if (prepared.kind === 'action' && prepared.action.factsOf && c.unit.task.loop === undefined) this.speculateFacts(c, rt, prepared.action.factsOf(prepared.params));
    }
    return out;
  }

  /** set_fact / include_vars: later candidates render with what it would set, so a role whose
   * paths come from them still costs one round trip. Its condition (often "X is not defined"
   * for the X it sets) is read without the stand-in for those names, and must be known to hold. */
  private speculateFacts(c: SpecCandidate, rt: HostRuntime, sets: Vars): void {
    const own = Object.keys(sets).filter((k) => rt.registered[k] === STEADY_RESULT && !(k in this.rt.registered));
    const registered = Object.fromEntries(Object.entries(rt.registered).filter(([k]) => !own.includes(k)));
    const ctx = this.context(c.program, c.unit, { ...rt, registered });
    if (!whenKnown(c.unit, ctx)) return;
    addFacts(rt.registered, sets, c.unit.task);
    // rt.registered changed under contexts kept for it.
    this.contexts.invalidate();
  }

  /** The connection under this host failed: the host stops, as unreachable (it dropped, it
   * refused us) or failed (it answered, but sudo refused). */
  private stop(status: 'unreachable' | 'failed', task: string, play: string, err: unknown): void {
    if (status === 'unreachable') this.unreachable = true;
    else this.failed = true;
    this.counts[status]++;
    this.shared.emit(stoppedEvent(this.host, play, task, status, errorText(err)));
  }

  /** Why the task in flight has an unknown outcome, if it has one: the run was aborted under it
   * (a second Ctrl-C), or its change was cut off or lost with the connection. */
  private unknownOutcome(err: unknown): string | undefined {
    if (!this.inTask) return undefined;
    if (this.shared.opts.signal?.aborted) {
      return this.applying
        ? 'aborted (second Ctrl-C) while its change was being applied: it may or may not have been made; run fleet check to see the real state'
        : 'aborted (second Ctrl-C) while it ran (nothing was being changed yet)';
    }
    if (err instanceof OutcomeUnknownError) return `${err.message}: the change may or may not have been made; run fleet check to see the real state`;
    if (err instanceof UnreachableError && this.applying) {
      return `the connection was lost while its change was being applied (${errorText(err)}): it may or may not have been made; run fleet check to see the real state`;
    }
    return undefined;
  }

  private stopUnknown(task: string, play: string, msg: string): void {
    this.unreachable = true;
    this.counts.unknown = (this.counts.unknown ?? 0) + 1;
    this.shared.emit(stoppedEvent(this.host, play, task, 'unknown', msg));
  }

  hostEvent(): HostEvent {
    const timings = this.timings.rounded();
    const status = this.unreachable ? 'unreachable' : this.failed ? 'failed' : 'ok';
    return { type: 'host', host: this.host.name, roundTrips: this.session?.roundTrips ?? this.roundTrips, connectMs: timings.connectMs, status, timings };
  }

  /** This run's query results, for the next run's speculation. */
  saveQueries(): void {
    this.queries?.save();
  }

  close(): void {
    this.session?.close();
  }

  /** Done with the run: only what the recap and other hosts' templates read stays (counts,
   * outputs, timings, its variables). The connection object (ssh2's buffers and ciphers), the
   * probe cache, the plans ahead and the last run's caches go, so that the controller's memory
   * follows the hosts in flight, not the hosts of the run. */
  retire(): void {
    this.roundTrips = this.session?.roundTrips ?? this.roundTrips;
    this.close();
    this.retired = true;
    this.session = undefined;
    this.wire = undefined;
    this.decided.clear();
    this.memo = new PrepareMemo();
    this.contexts = new ContextCache();
    this.lastRunFacts = undefined;
    this.templateFacts = undefined;
    this.queries = undefined;
  }
}

/** The condition is known to hold now (one that cannot be evaluated yet: false). */
function whenKnown(unit: Unit, ctx: Vars): boolean {
  try {
    return whenHolds(unit, ctx);
  } catch {
    return false;
  }
}

function holdsOrUnknown(unit: Unit, ctx: Vars): boolean {
  try {
    return whenHolds(unit, ctx);
  } catch {
    // It reads a value this run has not produced: probe anyway.
    return true;
  }
}
