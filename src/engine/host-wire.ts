// This host's round trips, each one script: the first (facts and every probe that can be
// speculated), a probe that missed the cache, and an apply with what rides along (guarded
// pipelined applies and the re-probes after them). Speculated results fill the probe cache.
import type { ExecOptions, ExecResult, HostSession } from '../model/transport.js';
import { factsSection } from './facts.js';
import { ProbeCache } from './probe-cache.js';
import { roundTrip, type RoundTripSinks } from './round-trip.js';
import type { Section, SectionResult } from './script.js';
import type { Timings } from './timings.js';

const NO_RESULT = (what: string): SectionResult => ({ stdout: '', stderr: `${what} produced no result`, rc: 255 });

export class HostWire {
  readonly cache = new ProbeCache();

  constructor(
    private readonly session: HostSession,
    private readonly timings: Timings,
    private readonly sinks: RoundTripSinks,
  ) {}

  private send(sections: Section[], become: boolean, why: string, exec?: (script: string, opts: ExecOptions) => Promise<ExecResult>): Promise<Map<number, SectionResult>> {
    return roundTrip(this.session, sections, become, why, this.sinks, exec);
  }

  /** The run lock's section (when given: it stops the script when the lock is not ours, so
   * nothing is read while another run may be writing), facts, and the speculated probes. */
  async prime(speculated: Section[], become: boolean, lock?: Section): Promise<{ facts?: string; lock?: SectionResult }> {
    const head: Section[] = lock ? [lock] : [];
    const sections = [...head, factsSection(speculated), ...speculated];
    const results = await this.timings.measureAsync('probeMs', () => this.send(sections, become, lock ? 'run lock, facts and first probes' : 'facts and first probes'));
    const lockResult = lock ? (results.get(0) ?? NO_RESULT('run lock')) : undefined;
    if (lockResult && lockResult.rc !== 0) return { lock: lockResult };
    this.cache.fill(speculated, results, head.length + 1);
    // Without facts, a condition on them would be decided on empty values: the host stops here.
    const facts = results.get(head.length);
    if (!facts || facts.rc !== 0) throw new Error(`gathering facts failed${facts ? ` (exit ${facts.rc})` : ''}: ${facts?.stderr.trim() || 'no answer'}`);
    return { facts: facts.stdout, lock: lockResult };
  }

  /** A probe the cache did not have, with the speculated ones. */
  async probe(section: Section, speculated: Section[], become: boolean, why: string): Promise<SectionResult> {
    const results = await this.timings.measureAsync('probeMs', () => this.send([section, ...speculated], become, why));
    this.cache.fill(speculated, results, 1);
    return results.get(0) ?? NO_RESULT('probe');
  }

  /** The apply, then the guarded pipelined applies, then the re-probes. The cache must have been
   * cleared by the caller once the pipeline was planned from it. `exec`: how the script goes
   * (an action's upload before it). */
  async apply(
    text: string,
    guarded: Section[],
    speculated: Section[],
    become: boolean,
    why: string,
    exec?: (script: string, opts: ExecOptions) => Promise<ExecResult>,
  ): Promise<{ result: SectionResult; guarded: Map<number, SectionResult> }> {
    const sections: Section[] = [{ kind: 'apply', text }, ...guarded, ...speculated];
    const results = await this.timings.measureAsync('applyMs', () => this.send(sections, become, why, exec));
    this.cache.fill(speculated, results, 1 + guarded.length);
    const ridden = new Map<number, SectionResult>();
    guarded.forEach((_, i) => {
      const r = results.get(1 + i);
      if (r) ridden.set(i, r);
    });
    return { result: results.get(0) ?? NO_RESULT('apply'), guarded: ridden };
  }
}
