// Jinja's lexer: a template becomes a flat stream of text and of the tokens inside
// {{ }} and {% %} ({# #} comments are dropped), with Jinja's whitespace control: a `-`
// on a tag strips the whitespace beside it, trim_blocks drops the newline after a block
// tag, lstrip_blocks the indentation before one. Positions are offsets in the text.

export type Token =
  | { t: 'data'; v: string; pos: number }
  | { t: 'var_begin' | 'var_end' | 'block_begin' | 'block_end' | 'eof'; pos: number }
  | { t: 'num'; v: number; float: boolean; pos: number }
  | { t: 'str'; v: string; pos: number }
  | { t: 'name'; v: string; pos: number }
  | { t: 'op'; v: string; pos: number };

export interface LexOptions {
  /** Drop the first newline after a block or comment tag (Ansible: on). */
  trimBlocks: boolean;
  /** Strip spaces and tabs before a block or comment tag that starts its line (Ansible: off). */
  lstripBlocks: boolean;
}

export const ANSIBLE_LEX: LexOptions = { trimBlocks: true, lstripBlocks: false };

export class JinjaSyntaxError extends Error {
  constructor(
    message: string,
    public readonly pos: number,
  ) {
    super(message);
    this.name = 'JinjaSyntaxError';
  }
}

// Longest first so "**" wins over "*" and "//" over "/".
const OPS = [
  '**',
  '//',
  '==',
  '!=',
  '<=',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '~',
  '<',
  '>',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '=',
  '.',
  ':',
  '|',
  ',',
  ';',
];
const CLOSE: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '\n': '',
};

/** A Jinja string literal's body, with Python's escapes; an unknown escape keeps its
 * backslash ('\d' stays \d), as Python's unicode-escape decoding does. */
function unescape(body: string, pos: number): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\' || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const e = body[i + 1];
    if (Object.prototype.hasOwnProperty.call(SIMPLE_ESCAPES, e)) {
      out += SIMPLE_ESCAPES[e];
      i++;
    } else if (/[0-7]/.test(e)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i + 1))![0];
      out += String.fromCodePoint(parseInt(m, 8));
      i += m.length;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) throw new JinjaSyntaxError(`invalid \\${e} escape in a string`, pos);
      out += String.fromCodePoint(parseInt(hex, 16));
      i += 1 + n;
    } else {
      out += c;
    }
  }
  return out;
}

class Lexer {
  private readonly out: Token[] = [];
  private i = 0;

  constructor(
    private readonly src: string,
    private readonly opts: LexOptions,
  ) {}

  template(): Token[] {
    const src = this.src;
    const open = /\{\{|\{%|\{#/g;
    let pending = '';
    let pendingPos = 0;
    const flush = () => {
      if (pending) this.out.push({ t: 'data', v: pending, pos: pendingPos });
      pending = '';
    };
    while (this.i < src.length) {
      open.lastIndex = this.i;
      const m = open.exec(src);
      if (!m) {
        if (!pending) pendingPos = this.i;
        pending += src.slice(this.i);
        this.i = src.length;
        break;
      }
      const start = m.index;
      const kind = m[0];
      let text = src.slice(this.i, start);
      const mod = src[start + 2];
      if (mod === '-') text = text.replace(/\s+$/, '');
      else if (mod !== '+' && kind !== '{{' && this.opts.lstripBlocks) text = this.lstrip(text, this.i, start);
      if (!pending) pendingPos = this.i;
      pending += text;
      let j = start + 2 + (mod === '-' || (mod === '+' && kind !== '{{') ? 1 : 0);
      if (kind === '{#') {
        flush();
        j = this.comment(start, j);
      } else if (kind === '{%' && /^\s*raw\s*[-+]?%\}/.test(src.slice(j))) {
        const raw = this.raw(start, j);
        if (raw.text) {
          if (!pending) pendingPos = raw.textPos;
          pending += raw.text;
        }
        j = raw.end;
      } else {
        flush();
        this.out.push({ t: kind === '{{' ? 'var_begin' : 'block_begin', pos: start });
        j = this.inside(j, kind === '{{' ? '}}' : '%}', start);
      }
      this.i = j;
    }
    flush();
    this.out.push({ t: 'eof', pos: src.length });
    return this.out;
  }

  expression(): Token[] {
    this.i = this.inside(0, '', 0);
    this.out.push({ t: 'eof', pos: this.src.length });
    return this.out;
  }

  /** lstrip_blocks: drop the spaces and tabs before a tag when only they precede it on its
   * line (text is src[textStart, tagStart)). */
  private lstrip(text: string, textStart: number, tagStart: number): string {
    const src = this.src;
    let p = tagStart;
    while (p > textStart && (src[p - 1] === ' ' || src[p - 1] === '\t')) p--;
    if (p === 0 || src[p - 1] === '\n') return text.slice(0, text.length - (tagStart - p));
    return text;
  }

  /** After a closing tag: a `-` strips all whitespace, trim_blocks the first newline. */
  private after(end: number, strip: boolean, trim: boolean): number {
    const src = this.src;
    if (strip) {
      while (end < src.length && /\s/.test(src[end])) end++;
    } else if (trim && this.opts.trimBlocks) {
      if (src.startsWith('\r\n', end)) end += 2;
      else if (src[end] === '\n') end++;
    }
    return end;
  }

  private comment(start: number, from: number): number {
    const m = /([-+]?)#\}/g;
    m.lastIndex = from;
    const e = m.exec(this.src);
    if (!e) throw new JinjaSyntaxError('missing end of comment tag (#})', start);
    return this.after(e.index + e[0].length, e[1] === '-', e[1] !== '+');
  }

  private raw(start: number, from: number): { text: string; textPos: number; end: number } {
    const src = this.src;
    const head = /^\s*raw\s*([-+]?)%\}/.exec(src.slice(from))!;
    let bodyStart = from + head[0].length;
    if (head[1] === '-') while (bodyStart < src.length && /\s/.test(src[bodyStart])) bodyStart++;
    const endRe = /\{%([-+]?)\s*endraw\s*([-+]?)%\}/g;
    endRe.lastIndex = bodyStart;
    const e = endRe.exec(src);
    if (!e) throw new JinjaSyntaxError('missing {% endraw %} for this {% raw %}', start);
    let text = src.slice(bodyStart, e.index);
    if (e[1] === '-') text = text.replace(/\s+$/, '');
    else if (e[1] !== '+' && this.opts.lstripBlocks) text = this.lstrip(text, bodyStart, e.index);
    return { text, textPos: bodyStart, end: this.after(e.index + e[0].length, e[2] === '-', e[2] !== '+') };
  }

  /** Tokens of an expression up to `close` ('' = to the end), balancing brackets so a
   * dict literal's "}}" does not end a {{ }} tag. Returns the offset after the tag. */
  private inside(from: number, close: string, tagStart: number): number {
    const src = this.src;
    const stack: string[] = [];
    let i = from;
    for (;;) {
      while (i < src.length && /\s/.test(src[i])) i++;
      if (i >= src.length) {
        if (!close) return i;
        throw new JinjaSyntaxError(`missing '${close}' to close the tag opened here`, tagStart);
      }
      if (close && stack.length === 0) {
        const block = close === '%}';
        if (src.startsWith('-' + close, i)) {
          this.out.push({ t: block ? 'block_end' : 'var_end', pos: i });
          return this.after(i + 3, true, false);
        }
        if (block && src.startsWith('+%}', i)) {
          this.out.push({ t: 'block_end', pos: i });
          return i + 3;
        }
        if (src.startsWith(close, i)) {
          this.out.push({ t: block ? 'block_end' : 'var_end', pos: i });
          return this.after(i + 2, false, block);
        }
      }
      const c = src[i];
      const start = i;
      if (/[0-9]/.test(c)) {
        const prev = this.out[this.out.length - 1];
        const afterDot = prev?.t === 'op' && prev.v === '.';
        const rest = src.slice(i);
        const radix = /^0([xX][0-9a-fA-F_]+|[oO][0-7_]+|[bB][01_]+)/.exec(rest);
        if (radix) {
          const base = { x: 16, o: 8, b: 2 }[radix[1][0].toLowerCase() as 'x' | 'o' | 'b'];
          this.out.push({ t: 'num', v: parseInt(radix[1].slice(1).replace(/_/g, ''), base), float: false, pos: start });
          i += radix[0].length;
          continue;
        }
        const m = afterDot ? /^\d+/.exec(rest)! : /^\d(?:_?\d)*(\.\d(?:_?\d)*)?([eE][+-]?\d+)?/.exec(rest)!;
        const isFloat = !afterDot && (m[1] !== undefined || m[2] !== undefined);
        this.out.push({ t: 'num', v: Number(m[0].replace(/_/g, '')), float: isFloat, pos: start });
        i += m[0].length;
        continue;
      }
      if (c === "'" || c === '"') {
        let j = i + 1;
        while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
        if (j >= src.length) throw new JinjaSyntaxError(`unterminated string starting at character ${start - from + 1}`, start);
        this.out.push({ t: 'str', v: unescape(src.slice(i + 1, j), start), pos: start });
        i = j + 1;
        continue;
      }
      if (/[A-Za-z_]/.test(c)) {
        const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
        this.out.push({ t: 'name', v: m[0], pos: start });
        i += m[0].length;
        continue;
      }
      const op = OPS.find((o) => src.startsWith(o, i));
      if (!op) throw new JinjaSyntaxError(`unexpected character '${c}' at character ${start - from + 1}`, start);
      if (CLOSE[op]) stack.push(CLOSE[op]);
      else if (op === ')' || op === ']' || op === '}') {
        const want = stack.pop();
        if (want !== op) throw new JinjaSyntaxError(want ? `unexpected '${op}', expected '${want}'` : `unexpected '${op}'`, start);
      }
      this.out.push({ t: 'op', v: op, pos: start });
      i += op.length;
    }
  }
}

export function lexTemplate(src: string, opts: LexOptions = ANSIBLE_LEX): Token[] {
  return new Lexer(src, opts).template();
}

export function lexExpression(src: string): Token[] {
  return new Lexer(src, ANSIBLE_LEX).expression();
}
