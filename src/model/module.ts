// The module contract (DESIGN.md): probe -> plan -> apply. Modules are pure: they build
// shell text and decide; only transport/ touches the network. Work that must run on the
// controller (a fresh connection, an inventory edit) is an action instead (action.ts).
import type { TObject } from '@sinclair/typebox';
import type { Vars } from './inventory.js';
import type { Params } from './params.js';

export interface HostFacts {
  osId: string; // "debian"
  osVersion: string; // "12"
  osCodename: string; // "bookworm"
  arch: string; // "x86_64"
  hostname: string;
  init: string; // "systemd" or the name of PID 1
  addresses: string[];
  memoryMb: number;
  cpus: number;
  /** Installed OpenSSH version, e.g. "9.2", "" when not installed. */
  opensshVersion: string;
  /** The host's clock (Unix seconds, to about a second) when facts were read. */
  now?: number;
}

/** What a module knows when it prepares params (on the controller, before any probe). */
export interface PrepareContext {
  /** Directory of the role the task belongs to, to find files/ and templates/. */
  roleDir?: string;
  /** Render a template file of the role with the task's variables (strict). */
  renderTemplate(file: string): string;
  readRoleFile(file: string): Buffer;
}

/** In a predicted probe output (Module.predictWritten), a value left open: its guard takes any
 * text there. NUL: a guard's answer, read into a shell variable, never holds one. */
export const OPEN = '\u0000';

/** A change plan() found, with what apply() needs to make it (typed per module). */
export type Change<D = undefined> = {
  kind: 'change';
  /** One line a person reads: "create /etc/foo (0644 root:root)". */
  summary: string;
  /** Unified diff for file content changes, when known. */
  diff?: string;
} & ([D] extends [undefined] ? { data?: undefined } : unknown extends D ? { data?: unknown } : { data: D });

/** Result of comparing the probed state with the desired state. */
export type Plan<D = undefined> =
  /** registered: what `register` keeps when nothing changed (unarchive's list_files). */
  | { kind: 'ok'; note?: string; registered?: Vars }
  | Change<D>
  /** A precondition is missing (unit not found, user absent...). Apply mode: the task
   * fails with `reason`. Check mode after an earlier pending change: "will change (after: X)". */
  | { kind: 'blocked'; reason: string };

export interface ApplyOutcome {
  /** Exit status of the apply fragment. */
  rc: number;
  stdout: string;
  stderr: string;
}

export interface ModuleResult {
  failed: boolean;
  msg?: string;
  /** Command that failed, for the recap. */
  cmd?: string;
  /** What `register` keeps besides changed/failed (a command's rc, stdout, stderr...). */
  registered?: Vars;
}

/** How a module fits the task keywords around it: the engine and the playbook loader ask
 * these instead of a module's name. */
export interface ModuleTraits {
  /** A bare string as the task's value fills this parameter (`command: ls -l`). */
  freeForm?: string;
  /** Takes the task-level guards `creates` (nothing to do when the path exists) and `unless`
   * (nothing to do when the command succeeds). Its apply is the operator's own code: without a
   * guard it reports changed every time, and it is pipelined only when guarded. */
  guards?: boolean;
  /** With `changed_when: false` the task promises to change nothing: its apply runs with the
   * probes, in check mode too, and its result can be registered (a query). */
  query?: boolean;
  /** This parameter names a role template file that prepare() renders: what the file reads,
   * the task reads. */
  rendersFile?: string;
}

/** What a probe asks, in a form the engine can merge with the same kind of question from other
 * tasks of the round trip: one command for all of them instead of one per task. */
export type ProbeBatch =
  /** `pinned`: a name asks for a version, so the package index age is always read. */
  | { kind: 'dpkg'; names: string[]; pinned: boolean }
  /** One path's type, attributes and (content modules) digest or text: modules/lib/filestate.ts. */
  | { kind: 'path'; path: string; follow: boolean; alwaysContent: boolean; desiredSha256?: string; owner?: string; group?: string; parent: boolean }
  /** A command's creates/removes guard (no unless, no chdir): builtin tests only, modules/lib/run.ts. */
  | { kind: 'guard'; creates?: string; removes?: string };

/** Merges probes of one kind (modules/batchers.ts). `split` must hand each task exactly what
 * its own probe would have printed, so plan() decides the same either way. */
export interface ProbeBatcher {
  kind: ProbeBatch['kind'];
  /** POSIX sh, read-only, answering every need at once. It runs as a function in the script's
   * own shell (no fork): it must `return`, never `exit`, must not redirect a special builtin
   * (a failed redirection there ends the whole script), and sets only the variables `vars`
   * names, which are unset after it. */
  script(needs: ProbeBatch[]): string;
  vars(needs: ProbeBatch[]): string[];
  /** One task's probe output, cut from the merged output (`index`: its place in `needs`);
   * undefined when the merged output does not hold a consistent answer (the task's probe fails). */
  split(stdout: string, need: ProbeBatch, index: number): string | undefined;
}

export interface Module<S extends TObject = TObject, D = undefined, P = Params<S>> {
  name: string;
  /** The parameters (TypeBox; ajv checks the rendered params and fills in defaults). */
  schema: S;
  traits?: ModuleTraits;
  /** Optional controller-side step after validation: read role files, render templates.
   * Its result is what probe, plan and apply receive. */
  prepare?(params: Params<S>, ctx: PrepareContext): P;
  /** POSIX sh that prints the current state on stdout. No side effects. */
  probe(params: P, facts?: HostFacts): string;
  /** The same question as probe(), in a form the engine may merge with other tasks' (undefined:
   * this task's probe runs on its own). plan() gets the same text either way. */
  batchProbe?(params: P, facts?: HostFacts): ProbeBatch | undefined;
  /** Pure decision from the probe output. */
  plan(params: P, probeOutput: string, facts?: HostFacts): Plan<D>;
  /** POSIX sh that makes it so. Runs as the task's user (root under become).
   * Exit non-zero on failure, with the reason on stderr. */
  apply(params: P, change: Change<D>, facts?: HostFacts): string;
  /** Interpret the apply outcome (default: failed when rc != 0). */
  result?(params: P, outcome: ApplyOutcome): ModuleResult;
  /** Params whose values are secret: redacted in output. */
  secretParams?: readonly string[];
  /** Directories a planned change leaves in place: a later task applied in the same round trip
   * may count on them (see predict). */
  madeDirs?(params: P, change: Change<D>): string[];
  /** The probe output this task would print once the directories in `dirs` exist, when that is
   * not `probeOutput` (undefined: no other output expected). A task pipelined after the changes
   * that make them is planned from it, and its guard checks the host prints exactly that. */
  predict?(params: P, probeOutput: string, dirs: ReadonlySet<string>): string | undefined;
  /** The probe output this task would print once the files in `files` (changed earlier in the
   * same script: their "file:" resources, as paths) are written and the users in it
   * (`user:NAME`, a user task's change) are made, when they change it (undefined: no other
   * output expected). Planned from it, the task's guard checks the host prints exactly that
   * (service: a unit file written makes systemd load the unit), except where it holds OPEN:
   * a value the host picks (a new user's uid), which the plan must not print or compare. */
  predictWritten?(params: P, probeOutput: string, files: ReadonlySet<string>): string | undefined;
  /** Resources this task touches ("file:/etc/x", "pkg:tor", "unit:tor.service"): a later task
   * touching a resource of an earlier pending change is "will change (after: ...)" in check mode. */
  resources?(params: P): string[];
}

/** Any module, as the registry and the engine hold them (each module's own types stay inside it). */
export type AnyModule = Module<TObject, unknown, Record<string, unknown>>;
