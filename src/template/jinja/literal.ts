// Ansible (2.14's ansible_eval_concat) reads a rendered text back as data when it starts with
// `[` or `{` and is a Python literal, and "True"/"False" as booleans: a block scalar
// `x: |\n  {{ a + b }}\n` is a list, and "[{{ a }}, {{ b }}]" too. Only literals count:
// strings, numbers, True/False/None (as Python spells them), lists, tuples, dicts.
import type { Expr } from './ast.js';
import { parseExpression } from './parser.js';
import { own } from './runtime.js';
import { PyFloat } from '../values/float.js';

/** The data a rendered text stands for, as Ansible reads it back; undefined when it is text. */
export function pythonLiteral(text: string): { value: unknown } | undefined {
  if (text === 'True' || text === 'False') return { value: text === 'True' };
  if (!(text.startsWith('[') || text.startsWith('{'))) return undefined;
  let e: Expr;
  try {
    e = parseExpression(text);
  } catch {
    return undefined;
  }
  const NOT = Symbol('not a literal');
  const value = (x: Expr): unknown => {
    switch (x.k) {
      case 'lit':
        // Jinja's true/none are not Python's: JSON text stays text.
        if (typeof x.v === 'boolean' || x.v === null) {
          const word = x.v === null ? 'None' : x.v ? 'True' : 'False';
          if (!text.startsWith(word, x.pos)) throw NOT;
        }
        return x.v;
      case 'neg':
        if (x.a.k === 'lit' && typeof x.a.v === 'number') return -x.a.v;
        if (x.a.k === 'lit' && x.a.v instanceof PyFloat) return new PyFloat(-x.a.v.value);
        throw NOT;
      case 'list':
      case 'tuple':
        return own(x.items.map(value));
      case 'dict': {
        const out: Record<string, unknown> = {};
        for (const [k, v] of x.items) {
          const key = value(k);
          if (typeof key !== 'string' && typeof key !== 'number') throw NOT;
          out[String(key)] = value(v);
        }
        return own(out);
      }
      default:
        throw NOT;
    }
  };
  try {
    return { value: value(e) };
  } catch (err) {
    if (err === NOT) return undefined;
    throw err;
  }
}
