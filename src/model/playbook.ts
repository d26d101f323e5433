// Typed playbook, roles and tasks: what config/ produces and engine/ consumes.
import type { Source, Vars } from './inventory.js';

/** A condition: a Jinja expression, a boolean, or a list of them that must all hold (as in Ansible). */
export type Condition = string | boolean | (string | boolean)[];

/** The task (Ansible's meta: flush_handlers) after which the engine runs the notified handlers. */
export const FLUSH_HANDLERS = 'flush_handlers';

export interface Task {
  name: string;
  /** Module name, e.g. "file", "template", "command". */
  module: string;
  /** Raw (unrendered) module parameters; strings may hold {{ handlebars }}. */
  params: Record<string, unknown>;
  when?: Condition;
  notify: string[];
  tags: string[];
  register?: string;
  /** Raw loop items (a list, or a template string that renders to a list). */
  loop?: unknown;
  loopVar: string;
  /** Ansible's loop_control.index_var: the item's 0-based position under this name. */
  indexVar?: string;
  become?: boolean;
  ignoreErrors: boolean;
  runOnce: boolean;
  /** command/shell only. */
  creates?: string;
  unless?: string;
  /** Ansible's task and block `vars`: raw (templates until read), for this task only. */
  vars?: Vars;
  /** Ansible's until/retries/delay: run again (each loop item) until the condition holds. */
  until?: Condition;
  retries?: number;
  delay?: number;
  /** Ansible's task `diff`: show (true) or hide (false) this task's diff, whatever --diff says. */
  diff?: boolean;
  /** Ansible's `check_mode: true`: the task only reports what it would change, even in apply. */
  checkMode?: boolean;
  /** Ansible's no_log: the task's result (message, diff, failure output) is not shown. */
  noLog?: boolean;
  /** Ansible's any_errors_fatal on the task or its block: its failure on one host ends the play
   * (and the run) for every host, once the others finished this task. */
  anyErrorsFatal?: boolean;
  /** Ansible's delegate_to: the inventory host (or localhost: the controller) whose shell
   * probes and applies this task, with the current host's variables. May be a template. */
  delegateTo?: string;
  changedWhen?: Condition;
  failedWhen?: Condition;
  /** Ansible's block/rescue/always around this task, outermost first (block.ts in engine/). */
  blocks?: BlockFrame[];
  /** What fleet does not do, met only if this task runs (it then fails with this message):
   * refused before contact on a host where its condition may hold. */
  refused?: { source: Source; msg: string };
  /** Ansible's include_tasks with a loop around this task (the engine lays out a copy of the
   * included tasks per item before contact: include-loops.ts). */
  includeLoop?: IncludeLoop;
  /** The looped include's item (and index) in a copy: above role parameters, as Ansible's
   * include parameters. */
  includeVars?: Vars;
  /** Ansible's include_role/import_role: the role whose variables this task sees (set when the
   * playbook loader expands the include; the task's own role otherwise). */
  roleRef?: RoleRef;
  /** Role this task belongs to ("" for play-level tasks) and where it was written. */
  role: string;
  roleDir?: string;
  source: Source;
}

/** One enclosing Ansible block: which one (its file:line:col), which part the task is in, and
 * which parts the block has. */
export interface BlockFrame {
  id: string;
  part: 'block' | 'rescue' | 'always';
  hasRescue: boolean;
  hasAlways: boolean;
}

/** One looped include_tasks: its loop as written (a list, or a template), the names its item
 * and index take, its own conditions (held before the loop is read, unless they read the
 * item), and how many of each task's blocks are the included file's own. */
export interface IncludeLoop {
  id: string;
  name: string;
  loop: unknown;
  loopVar: string;
  indexVar?: string;
  when: (string | boolean)[];
  blocksInside: number;
  source: Source;
}

export interface Handler extends Task {
  /** Names a handler answers to (its name plus `listen`). */
  listen: string[];
}

export interface Role {
  name: string;
  dir: string;
  description: string;
  /** JSON Schema of the role's variables (object schema with properties/defaults). */
  varsSchema: Record<string, unknown>;
  defaults: Vars;
  tasks: Task[];
  handlers: Handler[];
  /** Ansible's vars/main.yml: above play vars, below role parameters. */
  vars?: Vars;
  /** Ansible's meta/main.yml dependencies, as written: the playbook loader finds and runs them first. */
  dependencies?: RoleDependency[];
  /** Values this role publishes for others, by name -> template (e.g. onion address). */
  source: Source;
  /** Things its files say that a reader may not expect (YAML 1.1 readings), file:line each. */
  warnings?: string[];
}

export interface RoleDependency {
  name: string;
  vars: Vars;
  when?: string | boolean;
  tags: string[];
  source: Source;
}

export interface RoleRef {
  role: Role;
  vars: Vars;
  tags: string[];
  when?: string | boolean;
  /** include_role from inside another role: that role's variables stay visible, below this one's. */
  outer?: RoleRef;
}

/** The module name of an include_role/import_role task until the playbook loader expands it. */
export const INCLUDE_ROLE = 'include_role';

export interface Play {
  name: string;
  /** Host pattern, as written. */
  hosts: string;
  roles: RoleRef[];
  tasks: Task[];
  handlers: Handler[];
  vars: Vars;
  /** Ansible's pre_tasks: run before the roles (post_tasks are appended to tasks). */
  preTasks?: Task[];
  /** Batch sizes: a number of hosts or "30%"; a list means successive batches. */
  serial?: (number | string)[];
  maxFailPercentage?: number;
  /** Ansible's play-level any_errors_fatal (a task's or block's own setting wins). */
  anyErrorsFatal?: boolean;
  become?: boolean;
  source: Source;
  /** Where the host pattern is written: pattern errors point there. */
  hostsSource?: Source;
}

export interface Playbook {
  file: string;
  plays: Play[];
  /** The playbook's and its roles' warnings (YAML 1.1 readings), file:line each. */
  warnings?: string[];
}
