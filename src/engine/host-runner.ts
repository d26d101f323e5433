// One host's run: its connection, facts, probe cache, registered values and counters.
// Probes are answered from a cache filled by speculative batches, so a host with nothing
// to change costs one round trip for the whole run; every change clears the cache and its
// round trip re-probes what is left.
import type { FleetEvent, HostCounts, HostEvent, TaskEvent, TaskStatus } from '../model/events.js';
import type { Host } from '../model/inventory.js';
import type { HostSession } from '../model/transport.js';
import { UnreachableError } from '../model/transport.js';
import { evalExpression, renderValue, truthy } from '../template/index.js';
import { hostvarsUse, mentionsAny, readsRegistered } from './hostvars-use.js';
import { DIVERGED, DIVERGED_MARK, guardedSection } from './pipeline.js';
import { getModule } from '../modules/index.js';
import { type GatheredFacts, FACTS_PROBE, factsForTemplates, loadCachedFacts, loadCachedQueries, parseFacts, saveCachedFacts, saveCachedQueries } from './facts.js';
import { CheckLedger } from './check-ledger.js';
import { buildScript, parseScriptOutput, type Section, type SectionResult } from './script.js';
import { prepareTask, TaskError, type PreparedTask } from './prepare-task.js';
import type { PlayProgram, Unit } from './program.js';
import type { BatchContext, RunShared } from './run-shared.js';
import { runControllerTask } from './controller-tasks.js';
import { buildContext, isSecretName, type HostRuntime } from './vars.js';
import type { Vars } from '../model/inventory.js';
import type { Task } from '../model/playbook.js';
import type { Outcome } from './outcome.js';
import type { Plan } from '../model/module.js';

const MAX_SPECULATIVE_SECTIONS = 4000;
const REPROBE_WINDOW = 160;


export class HostRunner {
  readonly rt: HostRuntime;
  session?: HostSession;
  facts?: GatheredFacts;
  failed = false;
  unreachable = false;
  readonly counts: HostCounts = { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0 };
  readonly timings = { connectMs: 0, probeMs: 0, planMs: 0, applyMs: 0, renderMs: 0 };
  private readonly cache = new Map<string, SectionResult>();
  private readonly ledger = new CheckLedger();
  private readonly cachedFacts?: GatheredFacts;
  private readonly cachedQueries: Vars;
  private notified = new Set<string>();
  /** Where the host is: play index and unit index, for speculation. */
  private cursor = { play: 0, unit: 0 };
  /** The batch this host is running in, and its unit: actions wait on other hosts with it. */
  batch?: BatchContext;
  get unitIndex(): number {
    return this.cursor.unit;
  }

  constructor(
    readonly host: Host,
    private readonly shared: RunShared,
  ) {
    this.rt = { host, registered: {}, sshPort: host.connection.port, controllerIp: '' };
    this.cachedFacts = loadCachedFacts(host.name, host.connection.address, host.connection.port);
    this.cachedQueries = loadCachedQueries(host.name, host.connection.address, host.connection.port);
  }

  get done(): boolean {
    return this.failed || this.unreachable;
  }

  private emit(e: FleetEvent): void {
    this.shared.emit(e);
  }

  async connect(): Promise<boolean> {
    if (this.session) return true;
    if (this.done) return false;
    const t0 = performance.now();
    try {
      this.session = await this.shared.handshakes.run(() =>
        this.shared.deps.connect(this.host, {
          knownHostsFile: this.shared.inventory.knownHostsFile,
          acceptNewHostKeys: this.shared.opts.acceptNewHostKeys,
          signal: this.shared.opts.signal,
        }),
      );
      this.timings.connectMs = Math.round(this.session.connectMs || performance.now() - t0);
      this.emit({ type: 'connect', host: this.host.name, connectMs: this.timings.connectMs });
      return true;
    } catch (err) {
      this.markStopped('unreachable', 'connect', '', err);
      return false;
    }
  }

  /** The connection under this host failed: the host stops, as unreachable (it dropped, it
   * refused us) or failed (it answered, but sudo refused). */
  private markStopped(status: 'unreachable' | 'failed', task: string, play: string, err: unknown): void {
    if (status === 'unreachable') this.unreachable = true;
    else this.failed = true;
    this.counts[status]++;
    const msg = err instanceof Error ? err.message : String(err);
    this.emit({
      type: 'task',
      host: this.host.name,
      play,
      role: '',
      task,
      status,
      durationMs: 0,
      msg,
      failure: { host: this.host.name, task, role: '', location: `${this.host.connection.address}:${this.host.connection.port}`, msg },
    });
  }

  // ---- round trips -------------------------------------------------------------------

  private defaultBecome(program: PlayProgram): boolean {
    return program.play.become ?? this.host.connection.become;
  }

  private async roundTrip(sections: Section[], become: boolean, why: string): Promise<Map<number, SectionResult>> {
    const session = this.session;
    if (!session) throw new UnreachableError(this.host.name, 'not connected');
    // FLEET_TRACE=1: why each round trip happened, to see what keeps a role from one round trip.
    if (TRACE) process.stderr.write(`[trace] ${this.host.name}: round trip ${session.roundTrips + 1}: ${why} (${sections.length} sections)\n`);
    const built = buildScript(sections);
    if (this.shared.opts.dumpProbe && !this.shared.dumped) {
      this.shared.dumped = true;
      this.shared.opts.dumpProbe(built.script);
    }
    const res = await session.run(built.script, { become });
    const parsed = parseScriptOutput(res.stdout, built.nonce);
    if (parsed.size === 0 && res.rc !== 0) {
      // The script itself could not start (sudo refused, no sh): every section failed alike.
      const why = (res.stderr || res.stdout).trim() || `exit ${res.rc}`;
      sections.forEach((_, i) => parsed.set(i, { stdout: '', stderr: why, rc: res.rc || 1 }));
    }
    return parsed;
  }

  /** First contact for a play: facts (once) plus every probe we can already render. */
  async prime(program: PlayProgram): Promise<void> {
    this.cursor = { play: program.playIndex, unit: 0 };
    if (this.facts) return;
    const become = this.defaultBecome(program);
    const spec = this.speculate(program, 0, become);
    const t0 = performance.now();
    const results = await this.roundTrip([{ kind: 'probe', text: FACTS_PROBE }, ...spec], become, 'facts and first probes');
    this.timings.probeMs += performance.now() - t0;
    const factsOut = results.get(0);
    this.facts = parseFacts(factsOut?.stdout ?? '');
    this.rt.facts = factsForTemplates(this.facts);
    this.rt.controllerIp = this.facts.controllerIp;
    this.shared.changedValues();
    saveCachedFacts(this.host.name, this.host.connection.address, this.host.connection.port, this.facts);
    spec.forEach((s, i) => {
      const r = results.get(i + 1);
      if (r) this.cache.set(cacheKey(s), r);
    });
  }

  private async probe(section: Section, program: PlayProgram, unitIndex: number, become: boolean): Promise<SectionResult> {
    const hit = this.cache.get(cacheKey(section));
    if (hit) return hit;
    // From this unit on: the other items of a loop are probed in the same round trip.
    const spec = this.speculate(program, unitIndex, become).filter((s) => cacheKey(s) !== cacheKey(section));
    const t0 = performance.now();
    const results = await this.roundTrip([section, ...spec], become, `probe of '${this.currentTaskName}' was not in the cache`);
    this.timings.probeMs += performance.now() - t0;
    spec.forEach((s, i) => {
      const r = results.get(i + 1);
      if (r) this.cache.set(cacheKey(s), r);
    });
    return results.get(0) ?? { stdout: '', stderr: 'probe produced no result', rc: 255 };
  }

  /** Apply one change, and the pipelined changes after it, then re-probe what is left, all
   * in one round trip. */
  private async apply(text: string, program: PlayProgram, unit: Unit, become: boolean): Promise<SectionResult> {
    const ahead = this.lookahead(unit, program, become);
    this.cache.clear();
    const last = ahead.length ? ahead[ahead.length - 1].unit.index : unit.index;
    // A window, not everything left: when every task changes, re-probing the whole rest after
    // each change is quadratic in tasks. A no-change stretch past the window costs one more
    // round trip, which speculates everything again.
    const spec = this.speculate(program, last + 1, become, REPROBE_WINDOW);
    const guarded = ahead.map((a) => guardedSection(a.probeText, a.planned, a.applyText));
    const t0 = performance.now();
    const results = await this.roundTrip([{ kind: 'apply', text }, ...guarded, ...spec], become, `apply '${this.currentTaskName}'${ahead.length ? ` and ${ahead.length} pipelined` : ''}`);
    this.timings.applyMs += performance.now() - t0;
    ahead.forEach((a, i) => {
      const r = results.get(i + 1);
      const o = r && this.pipelinedOutcome(a, r);
      if (o) this.decided.set(a.unit, o);
    });
    spec.forEach((s, i) => {
      const r = results.get(i + 1 + ahead.length);
      if (r) this.cache.set(cacheKey(s), r);
    });
    return results.get(0) ?? { stdout: '', stderr: 'apply produced no result', rc: 255 };
  }

  /** Outcomes already known for later units (pipelined in an earlier round trip). */
  private readonly decided = new Map<Unit, Outcome>();

  private pipelinedOutcome(a: Ahead, r: SectionResult): Outcome | undefined {
    if (r.rc === DIVERGED && r.stdout.includes(DIVERGED_MARK)) return undefined;
    if (a.plan.kind === 'ok') return { status: 'ok', msg: a.plan.note, registered: { changed: false, failed: false } };
    if (a.plan.kind !== 'change') return undefined;
    if (isCommand(a.unit.task)) return this.ignoreIfAsked(a.unit.task, this.commandOutcome(a.unit.task, a.prepared, r, {}, true, a.plan.summary));
    const res = a.prepared.module.result?.(a.prepared.params, r) ?? { failed: r.rc !== 0 };
    if (res.failed) {
      return this.ignoreIfAsked(a.unit.task, {
        status: 'failed',
        msg: res.msg ?? `${a.plan.summary}: failed`,
        failure: { msg: res.msg ?? a.plan.summary, cmd: res.cmd ?? a.plan.summary, rc: r.rc, stderr: r.stderr || r.stdout },
      });
    }
    return { status: 'changed', msg: a.plan.summary, diff: a.plan.diff, registered: { changed: true, failed: false } };
  }

  /** The units right after `unit` that can be planned now and applied behind guards: plain
   * module tasks whose probes are cached and whose conditions read no registered value. */
  private lookahead(unit: Unit, program: PlayProgram, become: boolean): Ahead[] {
    const out: Ahead[] = [];
    if (unit.task.loop !== undefined || this.shared.opts.mode === 'check') return out;
    const names = Object.keys(this.unknownRegistered());
    for (let i = unit.index + 1; i < program.units.length && out.length < MAX_PIPELINED; i++) {
      const u = program.units[i];
      const t = u.task;
      const module = getModule(t.module);
      if (!module || module.controller) break;
      // A command's result is judged by changed_when/failed_when and may be registered: only
      // plain commands guarded by creates/unless are pipelined. An unguarded command runs in a
      // round trip of its own, so Ctrl-C between long commands stops before the next one.
      if (isCommand(t) && (t.changedWhen !== undefined || t.failedWhen !== undefined || (t.creates === undefined && t.unless === undefined))) break;
      if (t.register || t.loop !== undefined || t.runOnce || (t.become ?? become) !== become) break;
      if (hostvarsUse(t).reads || mentionsAny(JSON.stringify([t.when ?? null, u.roleWhen ?? null, t.params]), names)) break;
      try {
        const ctx = buildContext(this.shared.scope(program), this.rt, program.play, u.roleRef, { withHostvars: false });
        if (!this.whenHolds(u, ctx)) {
          this.decided.set(u, { status: 'skipped', msg: 'condition false', registered: { changed: false, skipped: true } });
          continue;
        }
        const prepared = prepareTask(t, ctx, this.facts);
        const section = prepared.section;
        const probed = section && this.cache.get(cacheKey(section));
        if (!section || !probed || probed.rc !== 0) break;
        const plan = module.plan(prepared.params, probed.stdout, this.facts);
        if (plan.kind === 'blocked') break;
        const applyText = plan.kind === 'change' ? module.apply(prepared.params, plan, this.facts) : undefined;
        out.push({ unit: u, prepared, plan, planned: probed, probeText: section.text, applyText });
      } catch {
        break;
      }
    }
    // A skip decided here stays right even if the pipeline stops early: its condition reads
    // no registered value and no host state.
    return out;
  }

  /** Render every later unit we can render now (this play from `from`, then this host's later
   * plays) and return their probe sections. Errors only mean "not yet": they are skipped. */
  private speculate(program: PlayProgram, from: number, become: boolean, max = MAX_SPECULATIVE_SECTIONS): Section[] {
    const t0 = performance.now();
    const out: Section[] = [];
    const seen = new Set<string>();
    const facts = this.facts ?? this.cachedFacts;
    // Values later tasks will register are not known yet: a sentinel stands in, and a probe
    // text that contains it is useless and dropped. Texts that do not depend on it (a command
    // guarded by `creates`) are exact, so the real run finds them in the cache.
    const registered = { ...this.unknownRegistered(), ...this.rt.registered };
    const rt: HostRuntime = { ...this.rt, registered, facts: this.rt.facts ?? (facts ? factsForTemplates(facts) : undefined) };
    if (!this.rt.controllerIp && facts) rt.controllerIp = facts.controllerIp;
    const programs = [program, ...this.shared.laterPrograms(this.host.name, program.playIndex)];
    for (const p of programs) {
      if ((p.play.become ?? this.host.connection.become) !== become) continue;
      const start = p === program ? from : 0;
      for (let i = start; i < p.units.length && out.length < max; i++) {
        const unit = p.units[i];
        if (unit.task.runOnce && p !== program) continue;
        if (this.needsBarrier(unit.task)) continue;
        if ((unit.task.become ?? become) !== become) continue;
        for (const s of this.sectionsFor(unit, p, rt, facts)) {
          if (s.text.includes(UNKNOWN)) continue;
          const k = cacheKey(s);
          if (!seen.has(k) && !this.cache.has(k)) {
            seen.add(k);
            out.push(s);
          }
        }
      }
    }
    this.timings.renderMs += performance.now() - t0;
    return out;
  }

  private unknownCache?: Vars;
  /** Every name a task of this host registers, standing for "not registered yet": the last
   * run's result for queries, a sentinel otherwise. */
  private unknownRegistered(): Vars {
    if (!this.unknownCache) {
      this.unknownCache = {};
      for (const p of this.shared.programsOf(this.host.name))
        for (const u of p.units) if (u.task.register) this.unknownCache[u.task.register] = UNKNOWN_RESULT;
      for (const [name, v] of Object.entries(this.cachedQueries)) if (name in this.unknownCache) this.unknownCache[name] = v;
    }
    return this.unknownCache;
  }

  /** Query results of this run, kept for the next run's speculation. */
  private readonly queryResults: Vars = {};

  saveQueries(): void {
    const c = this.host.connection;
    if (Object.keys(this.queryResults).length) saveCachedQueries(this.host.name, c.address, c.port, this.queryResults);
  }

  /** A task reading what other hosts register waits for every host of the play to get there. */
  private needsBarrier(task: Task): boolean {
    return readsRegistered(task, Object.keys(this.unknownRegistered()));
  }

  /** Does the unit's condition read a value this run has not registered yet? */
  private dependsOnUnknown(unit: Unit): boolean {
    const text = JSON.stringify([unit.task.when ?? null, unit.roleWhen ?? null]);
    for (const name of Object.keys(this.unknownRegistered())) {
      if (!(name in this.rt.registered) && !(name in this.cachedQueries) && mentionsAny(text, [name])) return true;
    }
    return false;
  }

  private sectionsFor(unit: Unit, program: PlayProgram, rt: HostRuntime, facts: GatheredFacts | undefined): Section[] {
    const out: Section[] = [];
    try {
      const base = buildContext(this.shared.scope(program), rt, program.play, unit.roleRef, { withHostvars: hostvarsUse(unit.task).reads });
      const items = this.loopItems(unit.task, base);
      for (const item of items) {
        const ctx = item === NO_ITEM ? base : { ...base, [unit.task.loopVar]: item };
        try {
          if (!this.dependsOnUnknown(unit) && !this.whenHolds(unit, ctx)) continue;
        } catch {
          // Unknown yet (depends on a value this run has not produced): probe anyway, it is free of side effects.
        }
        const prepared = prepareTask(unit.task, ctx, facts);
        if (prepared.section) out.push(prepared.section);
      }
    } catch {
      // Not renderable yet.
    }
    return out;
  }

  // ---- tasks ---------------------------------------------------------------------------

  private loopItems(task: Task, ctx: Vars): unknown[] {
    if (task.loop === undefined) return [NO_ITEM];
    const rendered = typeof task.loop === 'string' ? evalOrRender(task.loop, ctx, task) : renderLoop(task.loop, ctx, task);
    if (!Array.isArray(rendered)) throw new TaskError(`loop must be a list, got ${typeof rendered}`);
    return rendered;
  }

  private whenHolds(unit: Unit, ctx: Vars): boolean {
    for (const cond of [unit.roleWhen, unit.task.when]) {
      if (cond === undefined) continue;
      const conds = Array.isArray(cond) ? cond : [cond];
      for (const c of conds) if (!truthy(evalExpression(c, ctx, unit.task.source))) return false;
    }
    return true;
  }

  async runPlay(program: PlayProgram, batch: BatchContext): Promise<void> {
    this.batch = batch;
    try {
      if (!this.done) await this.prime(program);
      for (const unit of program.units) {
        batch.progress.reach(this.host.name, unit.index);
        if (this.done || this.shared.aborted()) break;
        this.cursor = { play: program.playIndex, unit: unit.index };
        await this.runUnit(unit, program, batch, false);
      }
      if (!this.done && !this.shared.aborted()) await this.runHandlers(program, batch);
    } catch (err) {
      // The transport failed under this host (connection lost, sudo refused): the host stops,
      // the run goes on.
      const status = err instanceof UnreachableError ? 'unreachable' : 'failed';
      this.markStopped(status, this.currentTaskName ?? 'connection', program.play.name, err);
    } finally {
      batch.progress.done(this.host.name);
    }
  }

  private currentTaskName?: string;

  private async runHandlers(program: PlayProgram, batch: BatchContext): Promise<void> {
    if (this.notified.size === 0) return;
    const units = program.handlers.filter(({ handler }) => handler.listen.some((n) => this.notified.has(n)));
    this.notified = new Set();
    for (const { handler, roleRef } of units) {
      if (this.done || this.shared.aborted()) break;
      await this.runUnit({ task: handler, roleRef, index: program.units.length, roleWhen: roleRef?.when }, program, batch, true);
    }
  }

  private async runUnit(unit: Unit, program: PlayProgram, batch: BatchContext, handler: boolean): Promise<void> {
    const task = unit.task;
    this.currentTaskName = task.name;
    const t0 = performance.now();
    const base = { host: this.host.name, play: program.play.name, role: task.role, task: task.name };
    this.emit({ type: 'task_start', ...base });
    let outcome: Outcome;
    const pre = handler ? undefined : this.decided.get(unit);
    if (pre) {
      this.decided.delete(unit);
      outcome = pre;
    } else if (task.runOnce && !handler) {
      outcome = await this.runOnce(unit, program, batch);
    } else {
      if (this.needsBarrier(task)) await batch.progress.waitAll(unit.index);
      outcome = await this.execute(unit, program);
    }
    if (task.register && outcome.query && !isSecretName(task.register) && outcome.registered && !this.shared.opts.redactor.containsSecret(JSON.stringify(outcome.registered))) {
      this.queryResults[task.register] = outcome.registered;
    }
    if (task.register) {
      this.shared.changedValues();
      this.rt.registered[task.register] = outcome.registered ?? { changed: outcome.status === 'changed', failed: outcome.status === 'failed', skipped: outcome.status === 'skipped' };
      if (isSecretName(task.register)) this.registerSecrets(outcome.registered);
    }
    if (outcome.status === 'changed' && !handler) for (const n of task.notify) this.notified.add(n);
    if (outcome.status === 'failed' && !outcome.ignored) this.failed = true;
    const counted: TaskStatus = outcome.ignored ? 'ok' : outcome.status;
    this.counts[counted]++;
    const ev: TaskEvent = {
      type: 'task',
      ...base,
      status: outcome.status,
      durationMs: Math.round(performance.now() - t0),
    };
    if (outcome.msg) ev.msg = outcome.msg;
    if (outcome.diff && this.shared.opts.diff) ev.diff = outcome.diff;
    if (outcome.after) ev.after = outcome.after;
    if (handler) ev.handler = true;
    if (outcome.ignored) ev.ignored = true;
    if (outcome.failure) {
      ev.failure = {
        host: this.host.name,
        task: task.name,
        role: task.role,
        location: `${task.source.file}:${task.source.line ?? 0}`,
        ...outcome.failure,
      };
    }
    this.emit(ev);
  }

  private registerSecrets(reg: Vars | undefined): void {
    if (!reg) return;
    for (const k of ['stdout', 'stderr']) {
      const v = reg[k];
      if (typeof v === 'string' && v.trim()) this.shared.opts.redactor.add(v.trim());
    }
  }

  /** run_once: the first host of the batch still standing runs it; the others take its result. */
  private async runOnce(unit: Unit, program: PlayProgram, batch: BatchContext): Promise<Outcome> {
    await batch.progress.waitAll(unit.index);
    let shared = batch.runOnce.get(unit.index);
    if (!shared) {
      shared = this.execute(unit, program).then((o) => ({ outcome: o, host: this.host.name }));
      batch.runOnce.set(unit.index, shared);
      return (await shared).outcome;
    }
    const { outcome, host } = await shared;
    return { status: outcome.status === 'failed' ? 'skipped' : 'ok', msg: `ran once on ${host}`, registered: outcome.registered };
  }

  private async execute(unit: Unit, program: PlayProgram): Promise<Outcome> {
    const task = unit.task;
    const check = this.shared.opts.mode === 'check';
    const become = task.become ?? this.defaultBecome(program);
    let base: Vars;
    let items: unknown[];
    try {
      base = buildContext(this.shared.scope(program), this.rt, program.play, unit.roleRef, {
        withHostvars: hostvarsUse(task).reads,
      });
      items = this.loopItems(task, base);
    } catch (err) {
      return this.renderFailure(err);
    }
    const results: Outcome[] = [];
    for (const item of items) {
      const ctx = item === NO_ITEM ? base : { ...base, [task.loopVar]: item };
      results.push(await this.executeItem(unit, program, ctx, become, check));
      if (results[results.length - 1].status === 'failed') break;
    }
    if (items.length === 1 && items[0] === NO_ITEM) return this.ignoreIfAsked(task, results[0]);
    return this.ignoreIfAsked(task, combineLoop(results));
  }

  private ignoreIfAsked(task: Task, o: Outcome): Outcome {
    if (o.status === 'failed' && task.ignoreErrors) return { ...o, ignored: true, msg: `ignored error: ${o.failure?.msg ?? o.msg ?? ''}` };
    return o;
  }

  private renderFailure(err: unknown): Outcome {
    const msg = err instanceof Error ? err.message : String(err);
    const pending = this.shared.opts.mode === 'check' ? this.ledger.last() : undefined;
    if (pending) return { status: 'changed', after: pending, msg: `will change (after: ${pending})` };
    return { status: 'failed', msg, failure: { msg } };
  }

  private async executeItem(unit: Unit, program: PlayProgram, ctx: Vars, become: boolean, check: boolean): Promise<Outcome> {
    const task = unit.task;
    const tr = performance.now();
    let prepared: PreparedTask;
    try {
      if (!this.whenHolds(unit, ctx)) return { status: 'skipped', msg: 'condition false', registered: { changed: false, skipped: true } };
      prepared = prepareTask(task, ctx, this.facts);
    } catch (err) {
      return this.renderFailure(err);
    } finally {
      this.timings.renderMs += performance.now() - tr;
    }
    const secrets = [...(prepared.module.secretParams ?? []), ...(prepared.params.secret === true ? ['content'] : [])];
    for (const name of secrets) {
      const v = prepared.params[name];
      if (typeof v === 'string' && v) this.shared.opts.redactor.add(v);
    }
    if (prepared.module.controller) {
      const o = await runControllerTask(prepared, {
        runner: this,
        shared: this.shared,
        check,
        pendingAfter: this.ledger.last(),
        become,
        playHosts: this.shared.scope(program).playHosts,
      });
      // Later tasks of this host depend on what a controller task would change, too.
      if (check && o.status === 'changed' && !o.after) this.ledger.add(task.name, []);
      return o;
    }
    const section = prepared.section as Section;
    if (prepared.query) {
      const r = await this.probe(section, program, unit.index, become);
      return { ...this.commandOutcome(task, prepared, r, ctx, false), query: true };
    }
    const r = await this.probe(section, program, unit.index, become);
    const resources = prepared.module.resources?.(prepared.params) ?? [];
    if (r.rc !== 0) {
      const after = check ? this.ledger.last() : undefined;
      if (after) return { status: 'changed', after, msg: `will change (after: ${after})` };
      return { status: 'failed', msg: 'probe failed', failure: { msg: 'probing the current state failed', cmd: section.text.trim().split('\n')[0], rc: r.rc, stderr: r.stderr } };
    }
    const tp = performance.now();
    let plan: Plan;
    try {
      plan = prepared.module.plan(prepared.params, r.stdout, this.facts);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      return { status: 'failed', msg, failure: { msg } };
    } finally {
      this.timings.planMs += performance.now() - tp;
    }
    if (plan.kind === 'ok') {
      const after = check ? this.ledger.touching(resources) : undefined;
      if (after) return { status: 'changed', after, msg: `will change (after: ${after})` };
      return { status: 'ok', msg: plan.note, registered: { changed: false, failed: false } };
    }
    if (plan.kind === 'blocked') {
      const after = check ? this.ledger.last() : undefined;
      if (after) return { status: 'changed', after, msg: `will change (after: ${after})` };
      return { status: 'failed', msg: plan.reason, failure: { msg: plan.reason } };
    }
    if (check) {
      this.ledger.add(task.name, resources);
      return { status: 'changed', msg: plan.summary, diff: plan.diff, registered: { changed: true, failed: false } };
    }
    const text = prepared.module.apply(prepared.params, plan, this.facts);
    const out = await this.apply(text, program, unit, become);
    if (task.module === 'command' || task.module === 'shell') return this.commandOutcome(task, prepared, out, ctx, true, plan.summary);
    const res = prepared.module.result?.(prepared.params, out) ?? { failed: out.rc !== 0 };
    if (res.failed) {
      return {
        status: 'failed',
        msg: res.msg ?? `${plan.summary}: failed`,
        failure: { msg: res.msg ?? plan.summary, cmd: res.cmd ?? plan.summary, rc: out.rc, stderr: out.stderr || out.stdout },
        registered: { changed: false, failed: true, rc: out.rc, stderr: out.stderr },
      };
    }
    return { status: 'changed', msg: plan.summary, diff: plan.diff, registered: { changed: true, failed: false } };
  }

  /** command/shell: rc, changed_when and failed_when decide. */
  private commandOutcome(task: Task, prepared: PreparedTask, r: SectionResult, ctx: Vars, ran: boolean, summary?: string): Outcome {
    const res = prepared.module.result?.(prepared.params, r);
    const cmd = res?.cmd ?? String(prepared.params.cmd ?? '');
    const stdout = r.stdout.replace(/\n$/, '');
    const stderr = r.stderr.replace(/\n$/, '');
    const reg: Vars = { rc: r.rc, stdout, stderr, stdout_lines: stdout ? stdout.split('\n') : [], cmd };
    const exprCtx = { ...ctx, ...reg, ...(task.register ? { [task.register]: reg } : {}) };
    let failed = r.rc !== 0;
    let changed = ran;
    try {
      if (task.failedWhen !== undefined) failed = truthy(evalExpression(task.failedWhen, exprCtx, task.source));
      if (task.changedWhen !== undefined) changed = truthy(evalExpression(task.changedWhen, exprCtx, task.source));
    } catch (err) {
      return { status: 'failed', msg: err instanceof Error ? err.message : String(err), failure: { msg: String(err) } };
    }
    reg.changed = changed && !failed;
    reg.failed = failed;
    if (failed) {
      return {
        status: 'failed',
        msg: `command failed (rc ${r.rc})`,
        failure: { msg: `command exited ${r.rc}`, cmd, rc: r.rc, stderr: stderr || stdout },
        registered: reg,
      };
    }
    return { status: changed ? 'changed' : 'ok', msg: changed ? summary : undefined, registered: reg };
  }

  hostEvent(): HostEvent {
    const t = this.timings;
    return {
      type: 'host',
      host: this.host.name,
      roundTrips: this.session?.roundTrips ?? 0,
      connectMs: t.connectMs,
      status: this.unreachable ? 'unreachable' : this.failed ? 'failed' : 'ok',
      timings: {
        connectMs: Math.round(t.connectMs),
        probeMs: Math.round(t.probeMs),
        planMs: Math.round(t.planMs),
        applyMs: Math.round(t.applyMs),
        renderMs: Math.round(t.renderMs),
      },
    };
  }

  close(): void {
    this.session?.close();
  }
}

const NO_ITEM = Symbol('no loop item');
const TRACE = process.env.FLEET_TRACE === '1';
const MAX_PIPELINED = 64;

interface Ahead {
  unit: Unit;
  prepared: PreparedTask;
  plan: Plan;
  /** The probe output the plan was made from. */
  planned: SectionResult;
  probeText: string;
  applyText?: string;
}

function isCommand(t: Task): boolean {
  return t.module === 'command' || t.module === 'shell';
}

const UNKNOWN = '@@FLEET-NOT-YET-KNOWN@@';
const UNKNOWN_RESULT = { changed: false, failed: false, skipped: false, rc: 0, stdout: UNKNOWN, stderr: UNKNOWN, stdout_lines: [UNKNOWN], results: [], msg: UNKNOWN };

function cacheKey(s: Section): string {
  return `${s.kind}\0${s.text}`;
}

function evalOrRender(loop: string, ctx: Vars, task: Task): unknown {
  const trimmed = loop.trim();
  if (trimmed.startsWith('{{')) return renderLoop(loop, ctx, task);
  return evalExpression(trimmed, ctx, task.source);
}

function renderLoop(loop: unknown, ctx: Vars, task: Task): unknown {
  return renderValue(loop, ctx, task.source);
}

function combineLoop(results: Outcome[]): Outcome {
  const failed = results.find((r) => r.status === 'failed');
  const registered: Vars = { results: results.map((r) => r.registered ?? {}), changed: results.some((r) => r.status === 'changed') };
  if (failed) return { ...failed, registered };
  const changed = results.filter((r) => r.status === 'changed');
  if (changed.length > 0) {
    return {
      status: 'changed',
      msg: changed.map((r) => r.msg).filter(Boolean).join('; '),
      diff: changed.map((r) => r.diff).filter(Boolean).join('\n') || undefined,
      after: changed.find((r) => r.after)?.after,
      registered,
    };
  }
  if (results.length > 0 && results.every((r) => r.status === 'skipped')) return { status: 'skipped', registered };
  return { status: 'ok', registered };
}
