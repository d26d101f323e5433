// Make a parsed handlebars template strict the way fleet wants, by rewriting its AST
// before compiling (handlebars' own `strict` option throws inside {{#if x}} on a missing
// x, and crashes with a TypeError on {{#if a.b}} when a is missing):
//   {{ path }}           -> {{__out path "path" line col}}        undefined -> error
//   {{ helper a b }}     -> {{__out (helper (__arg a ...) b) ...}} a must be defined
//   {{#if x}} / {{default x "y"}}  tolerant helpers see undefined as a value.
// Templates compile in handlebars' non-strict mode, where lookups are null-safe, and
// __out/__arg decide what is an error, with the variable's name and position.
import { RenderFault } from './errors.js';
import { TOLERANT_HELPERS } from './helpers.js';

/* Minimal shapes of handlebars' AST nodes (the bundled typings are looser than useful). */
interface Pos {
  line: number;
  column: number;
}
interface Loc {
  start: Pos;
  end: Pos;
}
interface Node {
  type: string;
  loc?: Loc;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- handlebars' AST nodes carry many node-specific fields
  [k: string]: any;
}

export const OUT_HELPER = '__out';
export const ARG_HELPER = '__arg';

function pathNode(name: string, loc?: Loc): Node {
  return { type: 'PathExpression', data: false, depth: 0, parts: [name], original: name, loc };
}
function stringNode(value: string, loc?: Loc): Node {
  return { type: 'StringLiteral', value, original: value, loc };
}
function numberNode(value: number, loc?: Loc): Node {
  return { type: 'NumberLiteral', value, original: value, loc };
}

function fault(node: Node, msg: string, variable?: string): RenderFault {
  return new RenderFault(msg, node.loc?.start.line, node.loc?.start.column, variable);
}

export class Rewriter {
  private readonly lines: string[];

  constructor(
    /** Helper names a template may call. */
    private readonly known: Set<string>,
    /** Template text, to quote a failing expression as written. */
    text: string,
  ) {
    this.lines = text.split('\n');
  }

  program(prog: Node): void {
    for (const node of prog.body as Node[]) this.statement(node);
  }

  private statement(node: Node): void {
    switch (node.type) {
      case 'MustacheStatement':
        this.mustache(node);
        return;
      case 'BlockStatement':
        this.block(node);
        return;
      case 'ContentStatement':
      case 'CommentStatement':
        return;
      case 'PartialStatement':
      case 'PartialBlockStatement':
        throw fault(node, 'partials ({{> name}}) are not supported: use a role template file instead');
      default:
        throw fault(node, `unsupported template construct (${node.type})`);
    }
  }

  private mustache(node: Node): void {
    const line = node.loc?.start.line ?? 1;
    const col = node.loc?.start.column ?? 0;
    let expr: Node;
    let message: string;
    let variable = '';
    const hasArgs = node.params.length > 0 || (node.hash && node.hash.pairs.length > 0);
    if (!hasArgs) {
      // A lone name is always a variable, even if a helper has that name ("first", "last"):
      // a variable in a param position is never taken for a helper.
      expr = node.path;
      if (node.path.type === 'PathExpression') {
        // As written ("list.[3]"); handlebars' own `original` drops the brackets.
        variable = this.source(node.path) || node.path.original;
        message = `undefined variable '${variable}'`;
      } else {
        message = `undefined value '${this.source(node.path)}'`;
      }
    } else {
      this.checkHelper(node);
      expr = { type: 'SubExpression', path: node.path, params: node.params, hash: node.hash, loc: node.loc };
      this.args(expr);
      message = `'${this.source(node).replace(/^\{+~?\s*|\s*~?\}+$/g, '')}' gave an undefined value`;
    }
    node.path = pathNode(OUT_HELPER, node.loc);
    node.params = [expr, stringNode(message, node.loc), stringNode(variable, node.loc), numberNode(line, node.loc), numberNode(col, node.loc)];
    node.hash = undefined;
  }

  private block(node: Node): void {
    const hasArgs = node.params.length > 0 || (node.hash && node.hash.pairs.length > 0);
    // {{#name}}...{{/name}} without arguments is a section over a variable, tolerant like #if.
    if (hasArgs) {
      this.checkHelper(node);
      this.args(node);
    }
    if (node.program) this.program(node.program);
    if (node.inverse) this.program(node.inverse);
  }

  private checkHelper(call: Node): void {
    const p = call.path;
    const ok = p.type === 'PathExpression' && !p.data && p.depth === 0 && p.parts.length === 1 && this.known.has(p.parts[0]);
    if (!ok) {
      const name = p.original ?? this.source(p);
      throw fault(call, `unknown helper '${name}' (helpers: ${[...this.known].filter((h) => !h.startsWith('__')).sort().join(', ')})`);
    }
  }

  /** Wrap the variable arguments of a strict helper in __arg; recurse into sub-expressions. */
  private args(call: Node): void {
    const tolerant = TOLERANT_HELPERS.has(call.path.parts[0]);
    const fix = (arg: Node): Node => {
      if (arg.type === 'SubExpression') {
        this.checkHelper(arg);
        this.args(arg);
        return arg;
      }
      if (arg.type !== 'PathExpression' || tolerant) return arg;
      const line = arg.loc?.start.line ?? 1;
      const col = arg.loc?.start.column ?? 0;
      return {
        type: 'SubExpression',
        path: pathNode(ARG_HELPER, arg.loc),
        params: [arg, stringNode(this.source(arg) || arg.original, arg.loc), numberNode(line, arg.loc), numberNode(col, arg.loc)],
        hash: undefined,
        loc: arg.loc,
      };
    };
    call.params = call.params.map(fix);
    if (call.hash) for (const pair of call.hash.pairs as Node[]) pair.value = fix(pair.value);
  }

  /** The template text a node was written as (single line; for messages). */
  private source(node: Node): string {
    const loc = node.loc;
    if (!loc) return String(node.original ?? node.type);
    const lines = this.lines;
    if (loc.start.line !== loc.end.line) return (lines[loc.start.line - 1] ?? '').slice(loc.start.column).trim();
    return (lines[loc.start.line - 1] ?? '').slice(loc.start.column, loc.end.column);
  }
}
