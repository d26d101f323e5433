// What every host runner of one run shares: options, the inventory, the plays, the sinks.
import type { FleetEvent } from '../model/events.js';
import type { Host, Inventory, Source, Vars } from '../model/inventory.js';
import type { Playbook } from '../model/playbook.js';
import type { SecretRegistry } from '../model/secrets.js';
import type { HostSession } from '../model/transport.js';
import type { ConnectOptions } from '../transport/index.js';
import type { BatchProgress } from './progress.js';
import type { PlayProgram } from './program.js';
import type { VarsScope } from './vars.js';
import type { HandshakeWindow } from './handshake-window.js';
import type { RetryPolicy } from './connect-retry.js';
import type { LockOptions } from './host-lock.js';
import type { Outcome } from './outcome.js';
import type { PreflightHandoff } from './preflight-handoff.js';

/** config/'s host patterns: `all`, globs, `a:&b`, `a:!b`... in inventory order. */
export type HostSelector = (inv: Inventory, pattern: string, source?: Source) => string[];

/** What the engine uses from the layers around it, passed in by its caller (the CLI wires
 * config/'s functions; tests may pass their own), so the engine never imports config/. */
export interface EngineDeps {
  selectHosts: HostSelector;
  /** Write a host variable into the inventory file that declares the host (config/). */
  setHostVar(inventoryFile: string, host: string, key: string, value: unknown): void;
  /** Open a host's connection; transport/'s connect unless given (tests: a local shell). */
  connect?(host: Host, opts: ConnectOptions): Promise<HostSession>;
}

export interface RunOptions {
  mode: 'apply' | 'check';
  inventory: Inventory;
  playbook: Playbook;
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  forks: number;
  extraVars: Vars;
  diff: boolean;
  acceptNewHostKeys: boolean;
  emit: (e: FleetEvent) => void;
  /** Aborts at once: connections close, tasks in flight end with an unknown outcome (a second Ctrl-C). */
  signal?: AbortSignal;
  /** Stops gently: no new task starts, tasks in flight finish and report (a first Ctrl-C). */
  stop?: AbortSignal;
  /** The per-host run lock (host-lock.ts); none when absent (tests of the engine, ad-hoc reads). */
  lock?: LockOptions;
  /** Values found secret during the run are registered here (report/'s Redactor masks them). */
  redactor: SecretRegistry;
  /** For the benchmark's floor: receives the first script sent to a host. */
  dumpProbe?: (script: string) => void;
  /** How failed connects are retried; default DEFAULT_RETRY (connect-retry.ts). */
  retryPolicy?: RetryPolicy;
  /** Trace events on stderr (-v/-vv/-vvv, or FLEET_TRACE=N): 1 why each round trip
   * happened; 2 also each section's exit status and output; 3 also the script sent and timings. */
  verbosity?: number;
  /** What the checks before contact prepared (validateBeforeContact's handoff): each host's
   * first round trip takes the params whose reads are unchanged instead of preparing them again. */
  preflight?: PreflightHandoff;
  deps: EngineDeps;
}

export interface BatchContext {
  progress: BatchProgress;
  runOnce: Map<number, Promise<{ outcome: Outcome; host: string }>>;
  /** The first failure of an any_errors_fatal task in this batch: the play ends for every host. */
  fatal?: { host: string; task: string };
}

export interface RunShared {
  opts: RunOptions;
  /** Bounds SSH handshakes in flight, adapting to how they fare: they are CPU-bound on both
   * ends, and a controller that starts 100 at once on two cores makes some exceed the timeout. */
  handshakes: HandshakeWindow;
  /** How failed connects are retried (tests: no waiting). */
  retryPolicy?: RetryPolicy;
  inventory: Inventory;
  deps: Required<EngineDeps>;
  emit: (e: FleetEvent) => void;
  scope(program: PlayProgram): VarsScope;
  /** The plays after `playIndex` that include this host, for speculative probing. */
  laterPrograms(host: string, playIndex: number): PlayProgram[];
  aborted(): boolean;
  /** Wait ms, or less if the run is stopped meanwhile: true when it was. */
  pause(ms: number): Promise<boolean>;
  /** The live connection of another host of this run, if it has one (actions run scripts on it). */
  sessionOf(host: string): HostSession | undefined;
  /** Some host registered a value or learned facts: cached hostvars are stale. */
  changedValues(): void;
  /** Every name a task or handler of the run registers. */
  registerNames: ReadonlySet<string>;
  /** The names this host's tasks and handlers register in the run. */
  registerNamesOf(host: string): ReadonlySet<string>;
  /** dumpProbe, called with the first script of the run only. */
  dumpOnce?: (script: string) => void;
  /** The run's open connection to a host, if it has one. */
  sessionOf(host: string): HostSession | undefined;
}
