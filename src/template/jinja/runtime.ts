// Values that exist only while a template runs: macros, the loop variable, namespaces,
// omit, and the frames that hold a template's own variables.
import type { Source, Vars } from '../../model/inventory.js';
import type { Node, Param } from './ast.js';

/** Ansible's omit: a parameter whose value is exactly this is left out. */
export const OMIT = '__omit_place_holder__fleet';

/** Local variables of a template (set, for, macro arguments), innermost first. */
export class Frame {
  readonly vars = new Map<string, unknown>();
  constructor(readonly parent?: Frame) {}

  lookup(name: string): { found: boolean; value?: unknown } {
    if (this.vars.has(name)) return { found: true, value: this.vars.get(name) };
    return this.parent ? this.parent.lookup(name) : { found: false };
  }
}

export class Macro {
  constructor(
    readonly name: string,
    readonly params: Param[],
    readonly body: Node[],
    /** The frame the macro was defined in: its body sees those variables. */
    readonly closure: Frame,
    readonly env: Env,
    /** For a {% call %} block's body: the macro called with `caller()`. */
    readonly isCaller = false,
  ) {}
}

/** `loop` inside a for loop. */
export class LoopInfo {
  index = 1;
  index0 = 0;
  revindex: number;
  revindex0: number;
  first = true;
  last: boolean;
  length: number;
  previtem: unknown;
  nextitem: unknown;
  depth = 1;
  depth0 = 0;
  constructor(length: number) {
    this.length = length;
    this.revindex = length;
    this.revindex0 = length - 1;
    this.last = length === 1;
  }
  set(i: number, items: unknown[]): void {
    this.index = i + 1;
    this.index0 = i;
    this.revindex = this.length - i;
    this.revindex0 = this.length - i - 1;
    this.first = i === 0;
    this.last = i === this.length - 1;
    this.previtem = i > 0 ? items[i - 1] : undefined;
    this.nextitem = i < this.length - 1 ? items[i + 1] : undefined;
  }
}

/** namespace(): the one object a template may assign attributes to, across loop scopes. */
export class Namespace {
  constructor(readonly attrs: Record<string, unknown>) {}
}

/** Lists and mappings a template built itself: only those may be changed by methods such as
 * append (values from the inventory are shared between hosts and tasks). */
export const owned = new WeakSet<object>();

export function own<T extends object>(v: T): T {
  owned.add(v);
  return v;
}

/** How the evaluator reaches what lies outside one template text. */
export interface Services {
  /** Render a variable's raw value (a template until used) with `scope` as its variables. */
  resolveRaw(raw: unknown, scope: Vars, origin: Source): unknown;
  /** Render a template file with these variables (include, lookup('template')). */
  renderFile(file: string, ctx: Vars, from: Env): string;
}

/** One template being rendered. */
export interface Env {
  ctx: Vars;
  /** The text positions refer to. */
  text: string;
  origin: Source;
  /** Directories to find included templates and looked-up files in, first wins. */
  dirs: string[];
  includeDepth: number;
  services: Services;
}
