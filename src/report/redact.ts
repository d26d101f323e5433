// Secrets are redacted by value, at the last moment before output: every reporter sees
// events only after redactEvent(), so no module, error or diff can leak a secret by accident.
// Besides the values added to it, a Redactor masks every value the process has seen in
// clear (the secrets registry: decrypted, generated, sudo passwords...), so a value is
// covered on every output path from the moment it exists.
import { isSecretName, knownSecrets, revealSecret, secretsVersion } from '../model/secret-values.js';

const MASK = '********';
/** Shorter values would mask ordinary words and numbers everywhere. */
const MIN_LENGTH = 4;
/** Lines of a multi-line secret (keys, certificates) are masked one by one, since diffs
 * prefix every line with +/- and break the value apart; short lines ("}", "") are common. */
const MIN_LINE_LENGTH = 8;
/** Two or more lines of nothing but base64: a wrapped file body (base64 -w76). */
/** `db_password = x`, `"api_token": "x"`, `secret: x`, `export SMTP_PASSWORD=x`: the value part.
 * Not sudoers' `NOPASSWD:` tag, whose value (the commands allowed) is what a diff must show. */
const SECRET_ASSIGNMENT = /((?<!no)(?:password|passwd|passphrase|secret|token|private_key|api_key)[\w.-]*["']?\s*(?:=|:|\s)\s*)(\S.*)$/i;
const WRAPPED_BASE64 = /^[A-Za-z0-9+/]+\r?\n(?:[A-Za-z0-9+/]+\r?\n)*[A-Za-z0-9+/]+={0,2}$/gm;

export class Redactor {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | null = null;
  private base64Pattern: RegExp | null = null;
  /** The registry version last merged in; -1 when this redactor ignores the registry. */
  private registrySeen: number;

  /** `isolated`: only the values added here (tests that compare two redactors). */
  constructor(opts: { isolated?: boolean } = {}) {
    this.registrySeen = opts.isolated ? -1 : Number.NaN;
  }

  /** Mask this value from now on, here and in every other redactor of the process. Numbers
   * count as their text; lists and mappings by their leaves. */
  add(secret: unknown): void {
    if (typeof secret !== 'string') {
      if (typeof secret === 'number' || typeof secret === 'bigint') this.add(String(secret));
      else if (Array.isArray(secret)) secret.forEach((x) => this.add(x));
      else if (secret !== null && typeof secret === 'object') Object.values(secret).forEach((x) => this.add(x));
      return;
    }
    if (this.registrySeen !== -1) revealSecret(secret);
    this.addLocal(secret);
  }

  private addLocal(secret: string): void {
    if (secret.length < MIN_LENGTH) return;
    const before = this.secrets.size;
    this.secrets.add(secret);
    const trimmed = secret.trim();
    if (trimmed.length >= MIN_LENGTH) this.secrets.add(trimmed);
    if (trimmed.includes('\n')) {
      for (const line of trimmed.split(/\r?\n/)) {
        const l = line.trim();
        if (l.length >= MIN_LINE_LENGTH) this.secrets.add(l);
      }
    }
    if (this.secrets.size !== before) this.pattern = this.base64Pattern = null;
  }

  /** Would redact() change this text? (Before something is kept anywhere, e.g. a cache.) */
  containsSecret(text: string): boolean {
    return this.redact(text) !== text;
  }

  private syncRegistry(): void {
    if (this.registrySeen === -1 || this.registrySeen === secretsVersion()) return;
    this.registrySeen = secretsVersion();
    for (const s of knownSecrets()) if (!this.secrets.has(s)) this.addLocal(s);
  }

  redact(text: string): string {
    this.syncRegistry();
    if (this.secrets.size === 0 || text.length === 0) return text;
    if (!this.pattern || !this.base64Pattern) {
      const forms = [...this.secrets].flatMap(base64Forms);
      this.pattern = alternation([...this.secrets].flatMap(literalForms).concat(forms));
      this.base64Pattern = alternation(forms);
    }
    const base64 = this.base64Pattern;
    // A secret's base64 may straddle a line break of a wrapped body: redact the body joined,
    // then wrap it again at its original width.
    const unwrapped = text.includes('\n')
      ? text.replace(WRAPPED_BASE64, (block) => {
          const width = block.indexOf('\n') - (block[block.indexOf('\n') - 1] === '\r' ? 1 : 0);
          const joined = block.replace(/\r?\n/g, '');
          base64.lastIndex = 0;
          if (!base64.test(joined)) return block;
          return joined
            .replace(base64, MASK)
            .match(new RegExp(`.{1,${width}}`, 'g'))!
            .join('\n');
        })
      : text;
    return unwrapped.replace(this.pattern, MASK);
  }

  /** Deep copy of `e` with every string (values and keys) redacted; `diff` fields as diffs. */
  redactEvent<T>(e: T): T {
    return this.copy(e) as T;
  }

  /**
   * A unified diff. Old lines come from the host and may hold a value no longer known (the
   * password before a rotation): when the new side holds a secret, every removed line is
   * masked whole; and a line that sets something named like a secret (password = ...,
   * api_token: ...) shows its name but not its value, changed or not.
   */
  redactDiff(diff: string): string {
    const lines = diff.split('\n');
    const body = (l: string) => /^[+-]/.test(l) && !/^(\+\+\+|---) /.test(l);
    const newHasSecret = lines.some((l) => l.startsWith('+') && body(l) && this.containsSecret(l));
    return lines
      .map((l) => {
        if (!body(l) && !l.startsWith(' ')) return this.redact(l);
        if (l.startsWith('-') && newHasSecret) return `-${MASK}`;
        return this.redact(l).replace(SECRET_ASSIGNMENT, (_m, head: string) => `${head}${MASK}`);
      })
      .join('\n');
  }

  /** Variables for display (`fleet vars`): anything under a secret-looking name masked,
   * whatever its type, and every known secret masked inside other strings. */
  maskVars(v: unknown, under = false): unknown {
    if (Array.isArray(v)) return v.map((x) => this.maskVars(x, under));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.maskVars(x, under || isSecretName(k));
      return out;
    }
    if (under && v !== null && v !== undefined && v !== '') return MASK;
    return typeof v === 'string' ? this.redact(v) : v;
  }

  private copy(v: unknown, key?: string): unknown {
    if (typeof v === 'string') return key === 'diff' ? this.redactDiff(v) : this.redact(v);
    if (Array.isArray(v)) return v.map((x) => this.copy(x));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[this.redact(k)] = this.copy(x, k);
      return out;
    }
    return v;
  }
}

function literalForms(s: string): string[] {
  const forms = [s];
  // Shell single-quoting turns ' into '\'' inside scripts and commands.
  if (s.includes("'")) forms.push(s.replaceAll("'", "'\\''"));
  // Inside JSON text (a cache file, the json helper's output) " \ and control characters
  // are escaped; non-ASCII may be too.
  const json = JSON.stringify(s).slice(1, -1);
  if (json !== s) forms.push(json);
  const ascii = json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (ascii !== json) forms.push(ascii);
  return forms;
}

/** One alternation, longest first, so a secret containing another is masked whole. */
function alternation(literals: string[]): RegExp {
  const unique = [...new Set(literals)].sort((a, b) => b.length - a.length);
  return new RegExp(unique.map(escapeRegExp).join('|'), 'g');
}

/**
 * The base64 text a secret produces wherever it sits inside a larger base64 body: one form
 * per byte alignment (0, 1, 2 bytes before it), keeping only the characters that depend on
 * the secret's bytes alone, not on its neighbours.
 */
export function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms: string[] = [];
  for (let k = 0; k < 3; k++) {
    const n = k + bytes.length;
    const b64 = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64');
    const start = Math.ceil((8 * k) / 6);
    const end = Math.floor((8 * n) / 6);
    const form = b64.slice(start, end);
    if (form.length >= MIN_LENGTH) forms.push(form);
  }
  return forms;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
