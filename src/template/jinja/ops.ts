// Python's operators on template values: comparisons (string vs number is an error, not
// false), arithmetic with int/float, + on strings and lists, * repetition, % formatting.
import { contains, deepEqual, typeName } from '../truthy.js';
import { PyFloat, isFloat, isNumber, makeFloat, numValue } from '../values/float.js';
import { pyRepr, pyStr } from '../values/print.js';
import { isMapping } from './lookup.js';
import { own } from './runtime.js';
import { JinjaError } from './undefined.js';

function isNumeric(v: unknown): v is number | PyFloat | boolean {
  return isNumber(v) || typeof v === 'boolean';
}

/** Python's ordering of two values: numbers, strings, and lists element by element. */
export function order(a: unknown, b: unknown, op = '<'): number {
  if (isNumeric(a) && isNumeric(b)) return Math.sign(numValue(a) - numValue(b));
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (deepEqual(a[i], b[i])) continue;
      return order(a[i], b[i], op);
    }
    return Math.sign(a.length - b.length);
  }
  throw new JinjaError(`cannot compare ${typeName(a)} ${op} ${typeName(b)} (use |int or |string to convert)`);
}

export function compare(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==':
      return deepEqual(a, b);
    case '!=':
      return !deepEqual(a, b);
    case 'in':
    case 'not in': {
      let r: boolean;
      try {
        r = contains(b, a);
      } catch (e) {
        throw new JinjaError((e as Error).message);
      }
      return op === 'in' ? r : !r;
    }
  }
  const c = order(a, b, op);
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    default:
      return c >= 0;
  }
}

function numResult(n: number, float: boolean): number | PyFloat {
  return float ? makeFloat(n) : n;
}

export function binary(op: string, a: unknown, b: unknown): unknown {
  if (op === '~') return pyStr(a) + pyStr(b);
  if (op === '+') {
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (Array.isArray(a) && Array.isArray(b)) return own([...a, ...b]);
  }
  if (op === '*') {
    const [seq, n] = typeof a === 'string' || Array.isArray(a) ? [a, b] : [b, a];
    if ((typeof seq === 'string' || Array.isArray(seq)) && typeof n === 'number' && Number.isInteger(n)) {
      if (typeof seq === 'string') return n > 0 ? seq.repeat(n) : '';
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(...seq);
      return own(out);
    }
  }
  if (op === '%' && typeof a === 'string') return percentFormat(a, b);
  if (!isNumeric(a) || !isNumeric(b)) {
    throw new JinjaError(`cannot apply '${op}' to ${typeName(a)} and ${typeName(b)}`);
  }
  const x = numValue(a);
  const y = numValue(b);
  const float = isFloat(a) || isFloat(b);
  switch (op) {
    case '+':
      return numResult(x + y, float);
    case '-':
      return numResult(x - y, float);
    case '*':
      return numResult(x * y, float);
    case '**':
      return numResult(x ** y, float || y < 0);
  }
  if (y === 0) throw new JinjaError(op === '%' ? 'modulo by zero' : 'division by zero');
  if (op === '/') return makeFloat(x / y);
  if (op === '//') return numResult(Math.floor(x / y), float);
  // Python's modulo takes the divisor's sign.
  return numResult(((x % y) + y) % y, float);
}

/** Python's printf-style `'%s:%d' % (a, b)`. */
function percentFormat(fmt: string, arg: unknown): string {
  const args = Array.isArray(arg) ? arg : [arg];
  const named = isMapping(arg) ? arg : undefined;
  let i = 0;
  const out = fmt.replace(
    /%(\(([^)]*)\))?([-+ #0]*)(\d+)?(?:\.(\d+))?([sdifrxXoeEgG%])/g,
    (_m, _k, key: string | undefined, flags: string, width: string | undefined, prec: string | undefined, conv: string) => {
      if (conv === '%') return '%';
      let v: unknown;
      if (key !== undefined) {
        if (!named || !Object.prototype.hasOwnProperty.call(named, key)) throw new JinjaError(`format key '${key}' not found`);
        v = named[key];
      } else {
        if (i >= args.length) throw new JinjaError('not enough arguments for format string');
        v = args[i++];
      }
      let s: string;
      switch (conv) {
        case 's':
          s = pyStr(v);
          break;
        case 'r':
          s = pyRepr(v);
          break;
        case 'd':
        case 'i':
          if (!isNumeric(v)) throw new JinjaError(`%${conv} format needs a number, got ${typeName(v)}`);
          s = String(Math.trunc(numValue(v)));
          break;
        case 'x':
        case 'X':
        case 'o':
          if (!isNumeric(v)) throw new JinjaError(`%${conv} format needs a number, got ${typeName(v)}`);
          s = Math.trunc(numValue(v)).toString(conv === 'o' ? 8 : 16);
          if (conv === 'X') s = s.toUpperCase();
          break;
        default:
          if (!isNumeric(v)) throw new JinjaError(`%${conv} format needs a number, got ${typeName(v)}`);
          s =
            conv === 'e' || conv === 'E'
              ? numValue(v).toExponential(prec ? Number(prec) : 6)
              : numValue(v).toFixed(prec ? Number(prec) : 6);
          if (conv === 'E') s = s.toUpperCase();
      }
      if (prec !== undefined && conv === 's') s = s.slice(0, Number(prec));
      if (width)
        s = flags.includes('-') ? s.padEnd(Number(width)) : s.padStart(Number(width), flags.includes('0') && conv !== 's' ? '0' : ' ');
      return s;
    },
  );
  if (key0(fmt) === undefined && !named && i < args.length) throw new JinjaError('not all arguments converted during string formatting');
  return out;
}

function key0(fmt: string): string | undefined {
  return /%\(([^)]*)\)/.exec(fmt)?.[1];
}
