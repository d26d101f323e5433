// Probe results of this host, keyed by the exact section text: a speculative probe answers a
// task only if the task renders to the very same text, so a wrong guess is a miss, never a
// wrong answer. Every apply clears it: the state it describes may have moved.
import type { Section, SectionResult } from './script.js';

/** Keyed by kind and text: one map per kind, keyed by the text itself (a
 * probe text is kilobytes; concatenating it with its kind on every lookup made a new string to
 * hash each time, for every task of every host, twice). */
export class ProbeCache {
  private readonly results = new Map<Section['kind'], Map<string, SectionResult>>();

  get(s: Section): SectionResult | undefined {
    return this.results.get(s.kind)?.get(s.text);
  }

  has(s: Section): boolean {
    return this.results.get(s.kind)?.has(s.text) ?? false;
  }

  /** Keep the results of sections sent together with others: `results` index `offset + i` is `sections[i]`. */
  fill(sections: readonly Section[], results: Map<number, SectionResult>, offset: number): void {
    sections.forEach((s, i) => {
      const r = results.get(offset + i);
      if (!r) return;
      let byText = this.results.get(s.kind);
      if (!byText) this.results.set(s.kind, (byText = new Map()));
      byText.set(s.text, r);
    });
  }

  clear(): void {
    this.results.clear();
  }
}
