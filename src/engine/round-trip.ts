// One round trip: sections -> one script over the host's exec channel -> a result per section.
import type { HostSession } from '../model/transport.js';
import { buildScript, parseScriptOutput, type Section, type SectionResult } from './script.js';

export interface RoundTripSinks {
  /** Why each round trip happened (FLEET_TRACE=1), to see what keeps a role from one. */
  trace?: (msg: string) => void;
  /** The benchmark's floor: the first script sent to any host. */
  dumpOnce?: (script: string) => void;
}

export async function roundTrip(session: HostSession, sections: Section[], become: boolean, why: string, sinks: RoundTripSinks): Promise<Map<number, SectionResult>> {
  sinks.trace?.(`round trip ${session.roundTrips + 1}: ${why} (${sections.length} sections)`);
  const built = buildScript(sections);
  sinks.dumpOnce?.(built.script);
  const res = await session.run(built.script, { become });
  const parsed = parseScriptOutput(res.stdout, built.nonce);
  if (parsed.size === 0 && res.rc !== 0) {
    // The script itself could not start (sudo refused, no sh): every section failed alike.
    const reason = (res.stderr || res.stdout).trim() || `exit ${res.rc}`;
    sections.forEach((_, i) => parsed.set(i, { stdout: '', stderr: reason, rc: res.rc || 1 }));
  }
  return parsed;
}
