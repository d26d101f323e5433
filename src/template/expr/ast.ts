// Parsed form of a when-expression.

export type Expr =
  | { k: 'lit'; v: unknown }
  | { k: 'list'; items: Expr[] }
  | { k: 'var'; name: string; pos: number }
  | { k: 'attr'; obj: Expr; key: Expr; pos: number }
  | { k: 'not'; a: Expr }
  | { k: 'neg'; a: Expr; pos: number }
  | { k: 'and' | 'or'; a: Expr; b: Expr }
  | { k: 'cmp'; first: Expr; rest: { op: string; e: Expr; pos: number }[] }
  | { k: 'math'; op: string; a: Expr; b: Expr; pos: number }
  | { k: 'filter'; name: string; args: Expr[]; a: Expr; pos: number }
  | { k: 'test'; name: string; negate: boolean; args: Expr[]; a: Expr; pos: number };
