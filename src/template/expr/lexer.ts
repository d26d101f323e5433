// Tokens of the Jinja expression subset used in when / changed_when / failed_when.

export type Token =
  | { t: 'num'; v: number; pos: number }
  | { t: 'str'; v: string; pos: number }
  | { t: 'name'; v: string; pos: number }
  | { t: 'op'; v: string; pos: number }
  | { t: 'eof'; pos: number };

export class ExprSyntaxError extends Error {
  constructor(
    message: string,
    public readonly pos: number,
  ) {
    super(message);
    this.name = 'ExprSyntaxError';
  }
}

// Longest first so "<=" wins over "<".
const OPS = ['==', '!=', '<=', '>=', '//', '<', '>', '(', ')', '[', ']', ',', '.', '|', '+', '-', '*', '/', '%', '~'];
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"' };

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(i))!;
      out.push({ t: 'num', v: Number(m[0]), pos: start });
      i += m[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      let v = '';
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\' && i + 1 < src.length) {
          const e = src[i + 1];
          v += Object.prototype.hasOwnProperty.call(ESCAPES, e) ? ESCAPES[e] : '\\' + e;
          i += 2;
        } else {
          v += src[i++];
        }
      }
      if (i >= src.length) throw new ExprSyntaxError(`unterminated string starting at character ${start + 1}`, start);
      i++;
      out.push({ t: 'str', v, pos: start });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ t: 'name', v: m[0], pos: start });
      i += m[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExprSyntaxError(`unexpected character '${c}' at character ${start + 1}`, start);
    out.push({ t: 'op', v: op, pos: start });
    i += op.length;
  }
  out.push({ t: 'eof', pos: src.length });
  return out;
}
