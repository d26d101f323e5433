// One round trip: sections -> one script over the host's exec channel -> a result per section.
import type { HostSession } from '../model/transport.js';
import { buildScript, cutOffSection, parseScriptOutput, type Section, type SectionResult } from './script.js';

export interface RoundTripSinks {
  /** Trace lines (-v and up), to see what keeps a role from one round trip. */
  trace?: (msg: string) => void;
  /** 1: why each round trip happens; 2: each section's exit status and output; 3: the script. */
  verbosity?: number;
  /** The benchmark's floor: the first script sent to any host. */
  dumpOnce?: (script: string) => void;
}

export async function roundTrip(session: HostSession, sections: Section[], become: boolean, why: string, sinks: RoundTripSinks): Promise<Map<number, SectionResult>> {
  const level = sinks.trace ? (sinks.verbosity ?? 1) : 0;
  const n = session.roundTrips + 1;
  sinks.trace?.(`round trip ${n}: ${why} (${sections.length} sections)`);
  const built = buildScript(sections);
  sinks.dumpOnce?.(built.script);
  if (level >= 3) sinks.trace!(`round trip ${n}: script sent${become ? ' (become)' : ''}:\n${indent(elidePayloads(built.script))}`);
  const t0 = performance.now();
  const res = await session.run(built.script, { become });
  const parsed = parseScriptOutput(res.stdout, built.nonce);
  const cut = cutOffSection(res.stdout, built.nonce, parsed);
  if (cut !== undefined) {
    // Started, never finished: an apply cut off here may or may not have made its change.
    const reason = (res.stderr || '').trim() || `exit ${res.rc}`;
    parsed.set(cut, { stdout: '', stderr: `cut off before it finished: ${reason}`, rc: res.rc || 255, cutOff: true });
  } else if (parsed.size === 0 && res.rc !== 0) {
    // The script itself could not start (sudo refused, no sh): every section failed alike.
    const reason = (res.stderr || res.stdout).trim() || `exit ${res.rc}`;
    sections.forEach((_, i) => parsed.set(i, { stdout: '', stderr: reason, rc: res.rc || 1 }));
  }
  if (level >= 3) sinks.trace!(`round trip ${n}: ${Math.round(performance.now() - t0)} ms, ${res.stdout.length} bytes back`);
  if (level >= 2) {
    for (const [i, s] of sections.entries()) {
      const r = parsed.get(i);
      const head = `round trip ${n}, section ${i + 1} (${s.kind}): ${r ? `rc=${r.rc}` : 'not reached'}`;
      const body = r ? [r.stdout && `stdout:\n${indent(elidePayloads(r.stdout))}`, r.stderr && `stderr:\n${indent(elidePayloads(r.stderr))}`].filter(Boolean).join('\n') : '';
      sinks.trace!(body ? `${head}\n${body}` : head);
    }
  }
  return parsed;
}

/** File contents going out (here-documents) and read back (`*_b64=` values), and any long
 * base64 run, are left out of verbose output: the redactor masks known secrets in clear text,
 * not encoded ones. */
export function elidePayloads(text: string): string {
  return text
    .replace(/(<<'(FLEET_B64_[0-9a-f]+)'\n)([\s\S]*?)(\2\n)/g, (_m, open: string, _d: string, body: string, close: string) => `${open}<${body.replace(/\s/g, '').length} base64 characters left out>\n${close}`)
    .replace(/(b64=)([A-Za-z0-9+/=]+)/g, (_m, key: string, v: string) => `${key}<${v.length} base64 characters left out>`)
    .replace(/[A-Za-z0-9+/]{64,}={0,2}/g, (m) => `<${m.length} base64 characters left out>`);
}

function indent(text: string): string {
  return text.replace(/\n$/, '').replace(/^/gm, '    ');
}
