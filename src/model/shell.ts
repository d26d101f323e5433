// Quoting for POSIX sh text: every value that reaches a script goes through q(). Here because
// modules, actions and the transport all build scripts.

/** Quote a string as one POSIX sh word (single quotes; embedded quotes closed and escaped). */
export function q(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Quote several words and join them with spaces. */
export function qa(values: string[]): string {
  return values.map(q).join(' ');
}
