// What every host runner of one run shares: options, the inventory, the plays, the sinks.
import type { FleetEvent } from '../model/events.js';
import type { Host, Inventory, Vars } from '../model/inventory.js';
import type { Playbook } from '../model/playbook.js';
import type { HostSession } from '../model/transport.js';
import type { Redactor } from '../report/index.js';
import type { BatchProgress } from './progress.js';
import type { PlayProgram } from './program.js';
import type { VarsScope } from './vars.js';
import type { Limiter } from './limiter.js';
import type { Outcome } from './outcome.js';

export interface ConnectOptions {
  knownHostsFile: string;
  acceptNewHostKeys: boolean;
  signal?: AbortSignal;
  portOverride?: number;
}

export interface EngineDeps {
  connect(host: Host, opts: ConnectOptions): Promise<HostSession>;
  setHostVar(inventoryFile: string, host: string, key: string, value: unknown): void;
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
  signal?: AbortSignal;
  redactor: Redactor;
  /** For the benchmark's floor: receives the first script sent to a host. */
  dumpProbe?: (script: string) => void;
  deps?: Partial<EngineDeps>;
}

export interface BatchContext {
  progress: BatchProgress;
  runOnce: Map<number, Promise<{ outcome: Outcome; host: string }>>;
}

export interface RunShared {
  opts: RunOptions;
  /** Bounds SSH handshakes in flight: they are CPU-bound on both ends, and a controller that
   * starts 100 at once on two cores makes some exceed the connect timeout. */
  handshakes: Limiter;
  inventory: Inventory;
  deps: EngineDeps;
  emit: (e: FleetEvent) => void;
  scope(program: PlayProgram): VarsScope;
  /** The plays after `playIndex` that include this host, for speculative probing. */
  laterPrograms(host: string, playIndex: number): PlayProgram[];
  /** Every play this host is in. */
  programsOf(host: string): PlayProgram[];
  aborted(): boolean;
  /** The live connection of another host of this run, if it has one (actions run scripts on it). */
  sessionOf(host: string): HostSession | undefined;
  /** Some host registered a value or learned facts: cached hostvars are stale. */
  changedValues(): void;
  dumped: boolean;
}
