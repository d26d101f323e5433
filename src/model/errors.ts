// A configuration error: always names file:line:column and what was expected.
export class ConfigError extends Error {
  constructor(
    public readonly file: string,
    public readonly line: number | undefined,
    public readonly column: number | undefined,
    public readonly detail: string,
  ) {
    super(`${file}${line !== undefined ? `:${line}${column !== undefined ? `:${column}` : ''}` : ''}: ${detail}`);
    this.name = 'ConfigError';
  }
}
