// Secrets are redacted by value, at the last moment before output: every reporter sees
// events only after redactEvent(), so no module, error or diff can leak a secret by accident.

const MASK = '********';
/** Shorter values would mask ordinary words and numbers everywhere. */
const MIN_LENGTH = 4;
/** Lines of a multi-line secret (keys, certificates) are masked one by one, since diffs
 * prefix every line with +/- and break the value apart; short lines ("}", "") are common. */
const MIN_LINE_LENGTH = 8;

export class Redactor {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | null = null;

  add(secret: string): void {
    if (typeof secret !== 'string' || secret.length < MIN_LENGTH) return;
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
    if (this.secrets.size !== before) this.pattern = null;
  }

  redact(text: string): string {
    if (this.secrets.size === 0 || text.length === 0) return text;
    this.pattern ??= buildPattern(this.secrets);
    return text.replace(this.pattern, MASK);
  }

  /** Deep copy of `e` with every string (values and keys) redacted. */
  redactEvent<T>(e: T): T {
    return this.copy(e) as T;
  }

  private copy(v: unknown): unknown {
    if (typeof v === 'string') return this.redact(v);
    if (Array.isArray(v)) return v.map((x) => this.copy(x));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[this.redact(k)] = this.copy(x);
      return out;
    }
    return v;
  }
}

/** One alternation, longest first, so a secret containing another is masked whole. */
function buildPattern(secrets: Set<string>): RegExp {
  const alternatives: string[] = [];
  for (const s of secrets) {
    alternatives.push(escapeRegExp(s));
    // Shell single-quoting turns ' into '\'' inside scripts and commands.
    if (s.includes("'")) alternatives.push(escapeRegExp(s.replaceAll("'", "'\\''")));
    for (const b of base64Forms(s)) {
      // Bodies may be wrapped (base64 -w76), so a line break may fall anywhere inside.
      alternatives.push([...b].map(escapeRegExp).join('(?:\\r?\\n)?'));
    }
  }
  const unique = [...new Set(alternatives)].sort((a, b) => b.length - a.length);
  return new RegExp(unique.join('|'), 'g');
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
