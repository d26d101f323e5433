// Parser for the key=value lines our probes print. A key may repeat (lists); values that
// could hold newlines travel base64-encoded under a key ending in _b64.

export class ProbeData {
  private readonly values = new Map<string, string[]>();

  constructor(text: string) {
    for (const line of text.split('\n')) {
      const i = line.indexOf('=');
      if (i <= 0) continue; // blank or foreign lines are not ours
      const key = line.slice(0, i);
      const list = this.values.get(key) ?? [];
      list.push(line.slice(i + 1));
      this.values.set(key, list);
    }
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  /** Last value printed for key. */
  get(key: string): string | undefined {
    const list = this.values.get(key);
    return list ? list[list.length - 1] : undefined;
  }

  all(key: string): string[] {
    return this.values.get(key) ?? [];
  }

  /** Value of `key`, failing loudly when the probe did not print it (a broken probe). */
  need(key: string): string {
    const v = this.get(key);
    if (v === undefined) throw new Error(`probe output lacks "${key}="; probe output was:\n${this.raw()}`);
    return v;
  }

  /** Decode a base64 value; undefined when absent. */
  bytes(key: string): Buffer | undefined {
    const v = this.get(key);
    return v === undefined ? undefined : Buffer.from(v, 'base64');
  }

  text(key: string): string | undefined {
    return this.bytes(key)?.toString('utf8');
  }

  private raw(): string {
    return [...this.values].map(([k, v]) => v.map((x) => `${k}=${x}`).join('\n')).join('\n');
  }
}

export function parseProbe(text: string): ProbeData {
  return new ProbeData(text);
}
