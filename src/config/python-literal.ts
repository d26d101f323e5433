// Python literals, as Ansible's INI inventory reads every value (ast.literal_eval): numbers,
// strings, True/False/None, lists, tuples and dicts. Anything else is not a literal, and
// Ansible then keeps the text as it is: `no`, `true`, `0644`, `1:30` stay strings.

const DIGITS = (d: string) => `[${d}](?:_?[${d}])*`;
const NUMBER = new RegExp(
  '^(?:' +
    [
      `0[xX](?:_?[0-9a-fA-F])+`,
      `0[oO](?:_?[0-7])+`,
      `0[bB](?:_?[01])+`,
      `(?:${DIGITS('0-9')})?\\.${DIGITS('0-9')}(?:[eE][-+]?${DIGITS('0-9')})?`,
      `${DIGITS('0-9')}\\.(?:${DIGITS('0-9')})?(?:[eE][-+]?${DIGITS('0-9')})?`,
      `${DIGITS('0-9')}[eE][-+]?${DIGITS('0-9')}`,
      `[1-9](?:_?[0-9])*`,
      `0+(?:_?0)*`,
    ].join('|') +
    ')',
);
const ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '' };

class NotALiteral extends Error {}

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  fail(): never {
    throw new NotALiteral();
  }

  value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) this.fail();
    if (c === '[') return this.seq(']');
    if (c === '(') return this.tuple();
    if (c === '{') return this.dict();
    if (c === '+' || c === '-') {
      this.i++;
      this.ws();
      const n = this.number();
      return c === '-' ? -n : n;
    }
    if (/[0-9.]/.test(c)) return this.number();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i))?.[0] ?? '';
    const after = this.s[this.i + word.length];
    if (/^[rRbBuU]{1,2}$/.test(word) && (after === "'" || after === '"') && !/[uU].|.[uU]/.test(word)) {
      this.i += word.length;
      return this.strings(/[rR]/.test(word));
    }
    if (c === "'" || c === '"') return this.strings(false);
    this.i += word.length;
    if (word === 'True') return true;
    if (word === 'False') return false;
    if (word === 'None') return null;
    return this.fail();
  }

  number(): number {
    const m = NUMBER.exec(this.s.slice(this.i));
    if (!m) this.fail();
    this.i += m[0].length;
    if (/[A-Za-z0-9_.]/.test(this.s[this.i] ?? '')) this.fail(); // 1j, 1abc, 1.2.3
    const t = m[0].replace(/_/g, '');
    if (/^0[xX]/.test(t)) return parseInt(t.slice(2), 16);
    if (/^0[oO]/.test(t)) return parseInt(t.slice(2), 8);
    if (/^0[bB]/.test(t)) return parseInt(t.slice(2), 2);
    return Number(t);
  }

  /** One or more adjacent string literals, concatenated as Python does. */
  strings(raw: boolean): string {
    let out = this.string(raw);
    for (;;) {
      const save = this.i;
      this.ws();
      const m = /^[rRbBuU]{0,2}(?=['"])/.exec(this.s.slice(this.i));
      if (!m) {
        this.i = save;
        return out;
      }
      this.i += m[0].length;
      out += this.string(/[rR]/.test(m[0]));
    }
  }

  string(raw: boolean): string {
    const q = this.s.startsWith(this.s[this.i].repeat(3), this.i) ? this.s[this.i].repeat(3) : this.s[this.i];
    this.i += q.length;
    let out = '';
    while (this.i < this.s.length) {
      if (this.s.startsWith(q, this.i)) {
        this.i += q.length;
        return out;
      }
      const c = this.s[this.i];
      if (q.length === 1 && c === '\n') this.fail();
      if (c !== '\\') {
        out += c;
        this.i++;
        continue;
      }
      const n = this.s[this.i + 1];
      if (n === undefined) this.fail();
      if (raw) {
        out += c + n;
        this.i += 2;
      } else if (n in ESCAPES) {
        out += ESCAPES[n];
        this.i += 2;
      } else if (/[0-7]/.test(n)) {
        const o = /^[0-7]{1,3}/.exec(this.s.slice(this.i + 1))![0];
        out += String.fromCharCode(parseInt(o, 8));
        this.i += 1 + o.length;
      } else if (n === 'x' || n === 'u' || n === 'U') {
        const len = { x: 2, u: 4, U: 8 }[n];
        const hex = this.s.slice(this.i + 2, this.i + 2 + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) this.fail();
        out += String.fromCodePoint(parseInt(hex, 16));
        this.i += 2 + len;
      } else {
        out += c + n; // an unknown escape keeps its backslash
        this.i += 2;
      }
    }
    return this.fail();
  }

  items(close: string, item: () => void): number {
    let n = 0;
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        return n;
      }
      if (n > 0) {
        if (this.s[this.i] !== ',') this.fail();
        this.i++;
        this.ws();
        if (this.s[this.i] === close) {
          this.i++;
          return -n; // a trailing comma
        }
      }
      item();
      n++;
    }
  }

  seq(close: string): unknown[] {
    this.i++;
    const out: unknown[] = [];
    this.items(close, () => out.push(this.value()));
    return out;
  }

  tuple(): unknown {
    this.i++;
    const out: unknown[] = [];
    const n = this.items(')', () => out.push(this.value()));
    // (x) is x in parentheses; (x,) and (x, y) are tuples (JSON lists in Ansible's output).
    return n === 1 ? out[0] : out;
  }

  dict(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    this.items('}', () => {
      const k = this.value();
      this.ws();
      if (this.s[this.i] !== ':') this.fail(); // {a, b} is a set: not a value a variable can hold
      this.i++;
      if (k !== null && typeof k === 'object') this.fail();
      out[String(k)] = this.value();
    });
    return out;
  }
}

/** The value of a Python literal, or undefined when the text is not one. */
export function pythonLiteral(text: string): { value: unknown } | undefined {
  const p = new Parser(text.replace(/^[ \t]+/, ''));
  try {
    const value = p.value();
    p.ws();
    return p.i === p.s.length ? { value } : undefined;
  } catch (e) {
    if (e instanceof NotALiteral) return undefined;
    throw e;
  }
}
