// Parsed Jinja: expressions (Expr) and template statements (Node). `pos` is the offset
// of the construct in the template (or condition) text, for error positions.

export type Kwargs = [string, Expr][];

export type Expr =
  | { k: 'lit'; v: unknown; pos: number }
  | { k: 'list' | 'tuple'; items: Expr[]; pos: number }
  | { k: 'dict'; items: [Expr, Expr][]; pos: number }
  | { k: 'var'; name: string; pos: number }
  /** a.b (and a.0): attribute first, as Jinja's getattr. */
  | { k: 'attr'; obj: Expr; name: string | number; pos: number }
  /** a[b] */
  | { k: 'item'; obj: Expr; key: Expr; pos: number }
  | { k: 'slice'; obj: Expr; start?: Expr; stop?: Expr; step?: Expr; pos: number }
  | { k: 'not' | 'neg' | 'pos'; a: Expr; pos: number }
  | { k: 'and' | 'or'; a: Expr; b: Expr; pos: number }
  | { k: 'cmp'; first: Expr; rest: { op: string; e: Expr; pos: number }[]; pos: number }
  | { k: 'bin'; op: string; a: Expr; b: Expr; pos: number }
  | { k: 'cond'; test: Expr; then: Expr; else?: Expr; pos: number }
  | { k: 'filter'; name: string; a: Expr; args: Expr[]; kwargs: Kwargs; pos: number }
  | { k: 'test'; name: string; a: Expr; args: Expr[]; kwargs: Kwargs; negate: boolean; pos: number }
  | { k: 'call'; fn: Expr; args: Expr[]; kwargs: Kwargs; pos: number };

/** What a for loop or set assigns to. */
export type Target =
  | { k: 'name'; name: string; pos: number }
  | { k: 'tuple'; items: Target[]; pos: number }
  | { k: 'nsattr'; name: string; attr: string; pos: number };

export interface Param {
  name: string;
  default?: Expr;
}

/** A filter applied by {% filter %} or a block set: the input comes from the body. */
export interface FilterCall {
  name: string;
  args: Expr[];
  kwargs: Kwargs;
  pos: number;
}

export type Node =
  | { k: 'text'; v: string; pos: number }
  | { k: 'out'; e: Expr; pos: number }
  | { k: 'if'; branches: { test: Expr; body: Node[] }[]; else?: Node[]; pos: number }
  | { k: 'for'; target: Target; iter: Expr; filter?: Expr; body: Node[]; else?: Node[]; pos: number }
  | { k: 'set'; target: Target; value: Expr; pos: number }
  | { k: 'setblock'; target: Target; filters: FilterCall[]; body: Node[]; pos: number }
  | { k: 'macro'; name: string; params: Param[]; body: Node[]; pos: number }
  | { k: 'callblock'; call: Expr & { k: 'call' }; params: Param[]; body: Node[]; pos: number }
  | { k: 'include'; template: Expr; ignoreMissing: boolean; withContext: boolean; pos: number }
  | { k: 'filterblock'; filters: FilterCall[]; body: Node[]; pos: number }
  | { k: 'with'; assigns: { target: Target; value: Expr }[]; body: Node[]; pos: number };
