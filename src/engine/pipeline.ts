// Pipelined changes: when a task changes, the tasks after it whose probes are already known
// are planned from those probes and applied in the same round trip. Each runs behind a guard
// on the host: its probe is run again and the output hashed; only if it is byte for byte what
// the plan was made from does its apply run (a plan is a pure function of that output, so it
// still holds). Otherwise the script stops there and the engine plans that task afresh.
import { createHash } from 'node:crypto';
import type { Section, SectionResult } from './script.js';

/** Exit code of a guard whose state moved under it. */
export const DIVERGED = 97;
export const DIVERGED_MARK = '@@fleet-diverged@@';

export function probeDigest(r: SectionResult): string {
  return createHash('sha256').update(`${r.stdout}\n@rc=${r.rc}`).digest('hex');
}

/** The guard runs the probe exactly as a probe section does (its own subshell, stderr
 * dropped) and appends the exit code, so the digest covers what plan() saw. */
export function guardedSection(probeText: string, planned: SectionResult, applyText: string | undefined): Section {
  const guard = [
    `fleet_o=$( (\n${probeText}\n) 2>/dev/null; printf '\\n@rc=%s' "$?" )`,
    `if [ "$(printf '%s' "$fleet_o" | sha256sum)" != "${probeDigest(planned)}  -" ]; then echo ${DIVERGED_MARK}; exit ${DIVERGED}; fi`,
  ].join('\n');
  return { kind: 'apply', text: applyText ? `${guard}\n${applyText}` : guard };
}
