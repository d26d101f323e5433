// Probe results of this host, keyed by the exact section text: a speculative probe answers a
// task only if the task renders to the very same text, so a wrong guess is a miss, never a
// wrong answer. Every apply clears it: the state it describes may have moved.
import type { Section, SectionResult } from './script.js';

export function cacheKey(s: Section): string {
  return `${s.kind}\0${s.text}`;
}

export class ProbeCache {
  private readonly results = new Map<string, SectionResult>();

  get(s: Section): SectionResult | undefined {
    return this.results.get(cacheKey(s));
  }

  has(s: Section): boolean {
    return this.results.has(cacheKey(s));
  }

  /** Keep the results of sections sent together with others: `results` index `offset + i` is `sections[i]`. */
  fill(sections: readonly Section[], results: Map<number, SectionResult>, offset: number): void {
    sections.forEach((s, i) => {
      const r = results.get(offset + i);
      if (r) this.results.set(cacheKey(s), r);
    });
  }

  clear(): void {
    this.results.clear();
  }
}
