// One round trip: sections -> one script over the host's exec channel -> a result per section.
import type { ExecOptions, ExecResult, HostSession } from '../model/transport.js';
import { FrameReader, joinStderr, PROBE_OUTPUT_BYTES, ROUND_TRIP_BYTES } from './frame-reader.js';
import { batchProbes } from './probe-batch.js';
import { buildScript, type Section, type SectionResult } from './script.js';

export interface RoundTripSinks {
  /** Trace lines (-v and up), to see what keeps a role from one round trip. */
  trace?: (msg: string) => void;
  /** 1: why each round trip happens; 2: each section's exit status and output; 3: the script. */
  verbosity?: number;
  /** The benchmark's floor: the first script sent to any host. */
  dumpOnce?: (script: string) => void;
}

/** `exec`: how the script reaches the host (default session.run; an action's upload sends it after a file). */
export async function roundTrip(
  session: HostSession,
  sections: Section[],
  become: boolean,
  why: string,
  sinks: RoundTripSinks,
  exec: (script: string, opts: ExecOptions) => Promise<ExecResult> = (script, opts) => session.run(script, opts),
): Promise<Map<number, SectionResult>> {
  const level = sinks.trace ? (sinks.verbosity ?? 1) : 0;
  const n = session.roundTrips + 1;
  sinks.trace?.(`round trip ${n}: ${why} (${sections.length} sections)`);
  // Probes of one kind go as one command; results come back per section as before.
  const batched = batchProbes(sections);
  const built = buildScript(batched.sent);
  sinks.dumpOnce?.(built.script);
  if (level >= 3) sinks.trace!(`round trip ${n}: script sent${become ? ' (become)' : ''}:\n${indent(elidePayloads(built.script))}`);
  const t0 = performance.now();
  // Split as it streams: the controller keeps a bounded part of each section, never the whole output.
  const kinds = batched.sent.map((s) => s.kind);
  const reader = new FrameReader(built.nonce, kinds);
  // Each section's stderr is framed on the channel's stderr (script.ts).
  const errReader = new FrameReader(built.nonce, undefined, true);
  let errSunk = false;
  const res = await exec(built.script, {
    become,
    streamed: true,
    stdoutSink: (d) => reader.push(d),
    stderrSink: (d) => {
      errSunk = true;
      errReader.push(d);
    },
  });
  // A transport that does not stream (a test's) hands the whole output back instead; one that
  // streams stderr still says in res.stderr what happened to the channel (killed, closed).
  if (res.stdout) reader.push(Buffer.from(res.stdout, 'utf8'));
  if (!errSunk && res.stderr) errReader.push(Buffer.from(res.stderr, 'utf8'));
  const framed = joinStderr(reader.end(), errReader.end(), kinds);
  const channelSaid = [framed.strayStderr ?? '', errSunk ? res.stderr : ''].filter((t) => t.trim()).join('\n');
  if (framed.broken) {
    throw new Error(
      `the host's output does not follow fleet's framing (${framed.broken}): something on the host printed fleet's own step markers; nothing it answered in this round trip is trusted`,
    );
  }
  if (framed.sections.size === 0 && sections.length > 0) {
    // The script never started its first step: sudo refused, no sh, or a shell that does not run it.
    const said = (channelSaid || framed.stray).trim();
    if (res.rc === 0) throw new Error(`the host's shell exited 0 without running fleet's script${said ? `; it printed: ${said.slice(0, 500)}` : ''}`);
    batched.sent.forEach((_, i) => framed.sections.set(i, { stdout: '', stderr: said || `exit ${res.rc}`, rc: res.rc }));
  }
  const parsed = batched.split(framed.sections);
  for (const [i, r] of parsed) {
    // Started, never finished: an apply cut off here may or may not have made its change.
    if (r.cutOff) parsed.set(i, { ...r, stderr: `cut off before it finished: ${channelSaid.trim() || `exit ${res.rc}`} (${r.stderr})`, rc: res.rc || 255 });
    // A probe read in part could be read wrongly (a digest cut off, a file half there): it fails.
    else if (sections[i].kind === 'probe' && r.dropped?.stdout) {
      const why = `fleet reads at most ${PROBE_OUTPUT_BYTES} bytes of a probe and ${ROUND_TRIP_BYTES} of a round trip`;
      parsed.set(i, { stdout: '', stderr: `fleet: this probe's answer was cut (${r.dropped.stdout} of its bytes dropped: ${why}); a partial answer is not trusted`, rc: 255 });
    }
  }
  if (level >= 3) sinks.trace!(`round trip ${n}: ${Math.round(performance.now() - t0)} ms, ${framed.bytes} bytes back`);
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

/** File contents going out (here-documents, and text written by printf: filewrite.ts
 * contentSh) and read back (`*_b64=` values), and any long base64 run, are left out of verbose
 * output: the redactor masks known secrets in clear text, not encoded ones, and a file's
 * content is never shown where a diff would not be (`secret`). */
export function elidePayloads(text: string): string {
  return text
    .replace(/^(printf '%s' )'((?:[^']|'\\'')*)'( >"\$tmp")$/gm, (_m, open: string, body: string, close: string) => `${open}<${Buffer.byteLength(body.split(`'\\''`).join("'"))} bytes of text left out>${close}`)
    .replace(/(<<'(FLEET_B64_[0-9a-f]+)'\n)([\s\S]*?)(\2\n)/g, (_m, open: string, _d: string, body: string, close: string) => `${open}<${body.replace(/\s/g, '').length} base64 characters left out>\n${close}`)
    .replace(/(b64=)([A-Za-z0-9+/=]+)/g, (_m, key: string, v: string) => `${key}<${v.length} base64 characters left out>`)
    .replace(/[A-Za-z0-9+/]{64,}={0,2}/g, (m) => `<${m.length} base64 characters left out>`);
}

function indent(text: string): string {
  return text.replace(/\n$/, '').replace(/^/gm, '    ');
}
