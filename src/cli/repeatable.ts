// A flag given once or many times (-i a -i b) becomes a list. yargs' `array: true` would also
// swallow the positional arguments that follow the flag (`fleet vars -i inv web1`).
export function repeatable(v: unknown): string[] {
  return (Array.isArray(v) ? v : [v]).filter((x) => x !== undefined).map(String);
}
