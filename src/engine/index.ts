// The engine: plays in order; within a play, batches (serial) in order; within a batch,
// hosts in parallel bounded by --forks, each running its tasks in order.
import type { Failure, HostCounts, RecapEvent } from '../model/events.js';
import { connect } from '../transport/index.js';
import { HostRunner } from './host-runner.js';
import { HandshakeWindow } from './handshake-window.js';
import { Limiter } from './limiter.js';
import { BatchProgress } from './progress.js';
import { buildProgram, type PlayProgram } from './program.js';
import type { BatchContext, EngineDeps, RunOptions, RunShared } from './run-shared.js';
import { groupsMap, type VarsScope } from './vars.js';
import { markNamedSecrets } from '../secrets/index.js';
import { batchesOf } from './batches.js';
import { setVariableTemplates } from './task-reads.js';
import { factNamesOf } from './fact-names.js';

export type { RunOptions, EngineDeps } from './run-shared.js';
export { ownerDescription, LOCK_FILE } from './host-lock.js';
export { expandIncludeLoops } from './include-loops.js';
import { expandIncludeLoops } from './include-loops.js';

/** Every name the tasks and handlers of these plays register. */
function registerNamesIn(programs: PlayProgram[]): Set<string> {
  const tasks = programs.flatMap((p) => [...p.units.map((u) => u.task), ...p.handlers.map((h) => h.handler)]);
  return new Set(tasks.flatMap((t) => [...(t.register ? [t.register] : []), ...factNamesOf(t)]));
}

/** fn, called the first time only. */
function once<T>(fn: (x: T) => void): (x: T) => void {
  let done = false;
  return (x) => {
    if (done) return;
    done = true;
    fn(x);
  };
}

/** ms, or until one of the signals fires: true when one did. */
function pause(ms: number, signals: (AbortSignal | undefined)[]): Promise<boolean> {
  const live = signals.filter((s): s is AbortSignal => s !== undefined);
  if (live.some((s) => s.aborted)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (stopped: boolean) => {
      clearTimeout(timer);
      for (const s of live) s.removeEventListener('abort', onAbort);
      resolve(stopped);
    };
    const onAbort = () => done(true);
    const timer = setTimeout(() => done(false), Math.max(0, ms));
    for (const s of live) s.addEventListener('abort', onAbort, { once: true });
  });
}

export async function run(input: RunOptions): Promise<RecapEvent> {
  const started = performance.now();
  // include_tasks with a loop: laid out before contact (a no-op when the caller did it).
  const opts: RunOptions = { ...input, playbook: expandIncludeLoops({ ...input, selectHosts: input.deps.selectHosts }) };
  const inv = opts.inventory;
  const deps: Required<EngineDeps> = { ...opts.deps, connect: opts.deps.connect ?? connect };
  const selectHosts = deps.selectHosts;
  const limited = opts.limit ? new Set(selectHosts(inv, opts.limit)) : undefined;
  setVariableTemplates(inv, opts.playbook, opts.extraVars);
  const programs: PlayProgram[] = opts.playbook.plays.map((p, i) => buildProgram(p, i, { tags: opts.tags, skipTags: opts.skipTags }));
  const playHosts = programs.map((p) =>
    selectHosts(inv, p.play.hosts, p.play.hostsSource ?? p.play.source).filter((h) => !limited || limited.has(h)),
  );
  const allHosts = [...new Set(playHosts.flat())];

  // Variables named like secrets, at any depth, from every place a value can be set.
  for (const v of markNamedSecrets({ inventory: inv, playbook: opts.playbook, extraVars: opts.extraVars, hosts: allHosts }))
    opts.redactor.add(String(v));

  const failures: Failure[] = [];
  // The recap lists every failure; the engine collects them from its own task events.
  const emit: RunOptions['emit'] = (e) => {
    if (e.type === 'task' && e.failure && !e.ignored && !e.rescued) failures.push(e.failure);
    opts.emit(e);
  };
  const groups = groupsMap(inv);
  const runners = new Map<string, HostRunner>();
  let interrupted = false;
  const scopes = new Map<number, VarsScope>();
  const registerNamesByHost = new Map<string, ReadonlySet<string>>();
  const generation = { value: 0 };
  const shared: RunShared = {
    opts,
    handshakes: new HandshakeWindow(),
    retryPolicy: opts.retryPolicy,
    inventory: inv,
    deps,
    emit,
    registerNames: registerNamesIn(programs),
    registerNamesOf: (host) => {
      let names = registerNamesByHost.get(host);
      if (!names) registerNamesByHost.set(host, (names = registerNamesIn(programs.filter((_, i) => playHosts[i].includes(host)))));
      return names;
    },
    dumpOnce: opts.dumpProbe && once(opts.dumpProbe),
    changedValues: () => void generation.value++,
    aborted: () => interrupted || opts.signal?.aborted === true || opts.stop?.aborted === true,
    pause: (ms) => pause(ms, [opts.signal, opts.stop]),
    scope: (program): VarsScope => {
      let s = scopes.get(program.playIndex);
      if (!s) {
        s = {
          inventory: inv,
          groups,
          extraVars: opts.extraVars,
          mode: opts.mode,
          runtimes: new Map([...runners].map(([n, r]) => [n, r.rt])),
          generation,
          playHosts: playHosts[program.playIndex],
        };
        scopes.set(program.playIndex, s);
      }
      return s;
    },
    sessionOf: (host) => {
      const r = runners.get(host);
      // A host done with its last play has closed its connection.
      return r && !r.unreachable && !finished.has(host) ? r.session : undefined;
    },
    laterPrograms: (host, playIndex) => programs.filter((_, i) => i > playIndex && playHosts[i].includes(host)),
  };
  for (const h of allHosts) runners.set(h, new HostRunner(inv.hosts.get(h)!, shared));
  const lastPlay = new Map<string, number>();
  playHosts.forEach((hs, i) => hs.forEach((h) => lastPlay.set(h, i)));
  const finished = new Set<string>();
  const finish = (r: HostRunner): void => {
    if (finished.has(r.host.name)) return;
    finished.add(r.host.name);
    if (r.session || r.unreachable) emit(r.hostEvent());
    r.saveQueries();
    r.retire();
  };

  emit({ type: 'run', mode: opts.mode, playbook: opts.playbook.file, hosts: allHosts });
  const limiter = new Limiter(Math.max(1, opts.forks));
  let stopRun = false;

  try {
    await runPlays();
  } finally {
    // Whatever happened, no connection outlives the run. A host interrupted mid-play gets no
    // host event: the recap names it as not finished.
    for (const r of runners.values()) {
      if (!shared.aborted() || r.done) finish(r);
      else r.close();
    }
  }
  if (opts.signal?.aborted || opts.stop?.aborted) interrupted = true;

  const hostsRecap: Record<string, HostCounts> = {};
  for (const [name, r] of runners) hostsRecap[name] = { ...r.counts };
  const recap: RecapEvent = {
    type: 'recap',
    hosts: hostsRecap,
    failures,
    durationMs: Math.round(performance.now() - started),
    mode: opts.mode,
  };
  if (interrupted) recap.interrupted = true;
  const outputs = Object.fromEntries(
    [...runners].filter(([, r]) => Object.keys(r.outputs).length > 0).map(([n, r]) => [n, { ...r.outputs }]),
  );
  if (Object.keys(outputs).length > 0) recap.outputs = outputs;
  emit(recap);
  return recap;

  async function runPlays(): Promise<void> {
    for (const program of programs) {
      if (stopRun) break;
      // After a first Ctrl-C only the hosts whose riders already ran into this play go on, to
      // report those tasks (runPlay runs nothing else).
      const hosts = playHosts[program.playIndex].filter((h) => !runners.get(h)!.done && (!shared.aborted() || runners.get(h)!.ranAheadIn(program)));
      if (shared.aborted() && hosts.length === 0) break;
      const batches = batchesOf(hosts, program.play.serial);
      for (const [bi, batch] of batches.entries()) {
        if (shared.aborted() && !batch.some((h) => runners.get(h)!.ranAheadIn(program))) break;
        emit({ type: 'play', play: program.play.name, hosts: batch, ...(batches.length > 1 ? { batch: bi + 1 } : {}) });
        const progress = new BatchProgress(batch);
        const ctx: BatchContext = { progress, runOnce: new Map() };
        await Promise.all(
          batch.map((h) =>
            limiter.run(async () => {
              const r = runners.get(h)!;
              if (shared.aborted() && !r.ranAheadIn(program)) return progress.done(h);
              if (!(await r.connect())) return progress.done(h);
              await r.runPlay(program, ctx);
              // A host that is done with its last play settles now, not at the end of the run.
              if (!shared.aborted() && (r.done || lastPlay.get(h) === program.playIndex)) finish(r);
            }),
          ),
        );
        if (ctx.fatal) {
          emit({
            type: 'warning',
            msg: `play '${program.play.name}': '${ctx.fatal.task}' failed on ${ctx.fatal.host} (any_errors_fatal); stopping the run for every host`,
          });
          stopRun = true;
          break;
        }
        const failedInBatch = batch.filter((h) => runners.get(h)!.done).length;
        const maxFail = program.play.maxFailPercentage;
        const exceeded =
          maxFail !== undefined ? (failedInBatch / batch.length) * 100 > maxFail : failedInBatch === batch.length && batches.length > 1;
        if (exceeded) {
          emit({
            type: 'warning',
            msg: `play '${program.play.name}': ${failedInBatch} of ${batch.length} hosts failed${maxFail !== undefined ? ` (max_fail_percentage ${maxFail})` : ''}; stopping the run`,
          });
          stopRun = true;
          break;
        }
      }
    }
  }
}
