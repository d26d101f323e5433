// Text that came from a host is untrusted: printed raw, an escape sequence in a file or a
// command's output could retitle the operator's window (OSC 0), plant a link (OSC 8), write
// the clipboard (OSC 52), or redraw lines (a lone \r, cursor moves) to hide what happened.
// Every human view passes what it prints through terminalSafe, which shows such characters
// escaped (\x1b, \r, \u202e) instead of dropping them, so the operator sees that they were
// there. Machine output (--json) keeps the exact text: JSON escapes it already. fleet's own
// colours are added after this, by the renderers, and are not touched.

// C0 controls but \t and \n, a \r not ending a line, DEL, C1 controls, and the Unicode
// bidirectional overrides and isolates that reorder what a terminal shows ("Trojan Source").
// eslint-disable-next-line no-control-regex
const UNSAFE = /\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escape(c: string): string {
  if (c === '\r') return '\\r';
  const code = c.charCodeAt(0);
  return (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/** The text with every control character that could act on a terminal shown escaped. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escape);
}

/** Every string inside a value (an event, facts...), keys included, made terminal-safe. */
export function terminalSafeValue<T>(value: T): T {
  return safeDeep(value) as T;
}

function safeDeep(v: unknown): unknown {
  if (typeof v === 'string') return terminalSafe(v);
  if (Array.isArray(v)) return v.map(safeDeep);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [terminalSafe(k), safeDeep(x)]));
  }
  return v;
}
