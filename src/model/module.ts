// The module contract (DESIGN.md): probe -> plan -> apply. Modules are pure:
// they build shell text and decide; only transport/ touches the network. Work that must run
// on the controller (a fresh connection, an inventory edit) is an action instead (action.ts).

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
}

/** What a module knows when it prepares params (on the controller, before any probe). */
export interface PrepareContext {
  /** Directory of the role the task belongs to, to find files/ and templates/. */
  roleDir?: string;
  /** Render a handlebars template file or string with the task's variables (strict). */
  renderTemplate(file: string): string;
  readRoleFile(file: string): Buffer;
}

/** Result of comparing the probed state with the desired state. */
export type Plan =
  | { kind: 'ok'; note?: string }
  | {
      kind: 'change';
      /** One line a person reads: "create /etc/foo (0644 root:root)". */
      summary: string;
      /** Unified diff for file content changes, when known. */
      diff?: string;
      /** Anything apply() needs that plan() found out. */
      data?: unknown;
    }
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
  rc?: number;
  stdout?: string;
  stderr?: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- until params are typed by their schemas
export type AnyModule = Module<any>;

export interface Module<P = Record<string, unknown>> {
  name: string;
  /** JSON Schema (ajv) for the rendered params; unknown keys are rejected. */
  schema: Record<string, unknown>;
  /** Optional controller-side step after rendering: read role files, render templates,
   * normalise defaults. Runs before any host is contacted for static params. */
  prepare?(params: P, ctx: PrepareContext): P;
  /** POSIX sh that prints the current state on stdout. No side effects. */
  probe(params: P, facts?: HostFacts): string;
  /** Pure decision from the probe output. */
  plan(params: P, probeOutput: string, facts?: HostFacts): Plan;
  /** POSIX sh that makes it so. Runs as the task's user (root under become).
   * Exit non-zero on failure, with the reason on stderr. */
  apply(params: P, plan: Extract<Plan, { kind: 'change' }>, facts?: HostFacts): string;
  /** Interpret the apply outcome (default: failed when rc != 0). */
  result?(params: P, outcome: ApplyOutcome): ModuleResult & { changed?: boolean };
  /** Params whose values are secret: redacted in output. */
  secretParams?: string[];
  /** Resources this task touches ("file:/etc/x", "pkg:tor", "unit:tor.service"): a later task
   * touching a resource of an earlier pending change is "will change (after: ...)" in check mode. */
  resources?(params: P): string[];
}
