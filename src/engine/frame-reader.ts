// Splits a round trip's output into its sections as it streams in (script.ts writes the
// markers). The host is untrusted input: each section keeps a bounded part of its output
// (a flood in one section costs a few MiB and never touches the others), and markers that
// break the script's own order mean the output cannot be attributed: the round trip is refused
// rather than read wrongly.
import { CappedOutput, OUTPUT_HEAD_BYTES, OUTPUT_TAIL_BYTES } from '../model/capped-output.js';
import { DIVERGED, type Section, type SectionResult } from './script.js';

/** A probe's answer is read whole or not at all: its first 16 MiB, and a longer one is a failure. */
export const PROBE_OUTPUT_BYTES = 16 * 1024 * 1024;
/** All sections of one round trip together keep at most this much (thousands of probes each
 * just under their own bound would add up): past it, a section keeps nothing, so its probe
 * fails and its command's output says how much was dropped. */
export const ROUND_TRIP_BYTES = 64 * 1024 * 1024;

/** Longest marker tag ("e:123456:255"). */
const MAX_TAG = 20;
const TAG = /^(?:[bxy]:\d{1,6}|e:\d{1,6}:\d{1,3})$/;
const NL = Buffer.from('\n');

export interface FramedOutput {
  sections: Map<number, SectionResult>;
  /** Set when markers came out of the script's order: nothing in this output is trusted. */
  broken?: string;
  /** Output outside every section (shell start-up noise, a shell that does not run the script). */
  stray: string;
  /** Bytes received in all. */
  bytes: number;
  /** The channel's stderr outside every section's frame (what sudo or the shell said). */
  strayStderr?: string;
}

type State = { at: 'between' } | { at: 'stdout'; i: number } | { at: 'after'; i: number } | { at: 'stderr'; i: number };

export class FrameReader {
  private readonly token: Buffer;
  private pending: Buffer = Buffer.alloc(0);
  private state: State = { at: 'between' };
  private next = 0;
  private field?: CappedOutput;
  /** A field's last newline, held back: the one just before an end marker is the framing's own. */
  private heldNewline = false;
  private current?: { stdout: CappedOutput; stderr?: CappedOutput; rc: number };
  private readonly results = new Map<number, SectionResult>();
  private readonly stray = new CappedOutput(4096, 4096);
  private broken?: string;
  private bytes = 0;
  /** Bytes kept by the sections finished so far. */
  private kept = 0;
  /** An apply ended with a guard's divergence code: from here on the script runs only its
   * probes (script.ts), so the applies and queries between two probes print nothing. */
  private skipping = false;

  constructor(
    nonce: string,
    /** Each section's kind, in order; without it, any number of sections of kind 'query'. */
    private readonly kinds?: readonly Section['kind'][],
    /** Sections may be missing (the stderr frames: the stdout reader, with the kinds, is the
     * one that checks which sections a divergence may skip). */
    private readonly gaps = false,
  ) {
    this.token = Buffer.from(`@@F${nonce}:`, 'latin1');
  }

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.broken) return;
    this.scan(this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk, false);
  }

  end(): FramedOutput {
    if (!this.broken) this.scan(this.pending, true);
    if (!this.broken) {
      const s = this.state;
      if (s.at === 'after') this.finish(s.i);
      else if (s.at === 'stdout' || s.at === 'stderr') {
        // The stream stopped inside a section (the shell was killed, the output was cut):
        // what it printed so far is no answer.
        this.results.set(s.i, {
          stdout: '',
          stderr: `fleet: the host's output ended inside this step (${this.bytes} bytes received): its shell stopped before the step finished`,
          rc: 255,
          cutOff: true,
        });
      }
    }
    return { sections: this.results, broken: this.broken, stray: this.stray.text(), bytes: this.bytes };
  }

  private scan(buf: Buffer, final: boolean): void {
    let pos = 0;
    while (!this.broken) {
      const at = buf.indexOf(this.token, pos);
      if (at < 0) {
        // The last bytes may be the start of a marker cut by the chunk boundary.
        const keep = final ? 0 : Math.min(this.token.length - 1, buf.length - pos);
        this.content(buf.subarray(pos, buf.length - keep));
        pos = buf.length - keep;
        break;
      }
      this.content(buf.subarray(pos, at));
      const tagStart = at + this.token.length;
      const end = buf.indexOf('@@\n', tagStart);
      if (end < 0 && !final && buf.length - tagStart < MAX_TAG + 3) {
        pos = at; // wait for the rest of the marker
        break;
      }
      const tag = end >= 0 && end - tagStart <= MAX_TAG ? buf.toString('latin1', tagStart, end) : '';
      if (!TAG.test(tag)) {
        // Not a marker after all (the script's own text quoted back, say): content.
        this.content(buf.subarray(at, at + 1));
        pos = at + 1;
        continue;
      }
      this.marker(tag);
      pos = end + 3;
    }
    // A copy: the kept bytes must not pin a large chunk.
    this.pending = this.broken ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
  }

  private content(b: Buffer): void {
    if (b.length === 0) return;
    if (!this.field) {
      this.stray.push(b);
      return;
    }
    if (this.heldNewline) this.field.push(NL);
    this.heldNewline = b[b.length - 1] === 0x0a;
    this.field.push(this.heldNewline ? b.subarray(0, b.length - 1) : b);
  }

  private marker(tag: string): void {
    const [kind, n, rc] = tag.split(':');
    const i = Number(n);
    const s = this.state;
    const fail = (expected: string) => this.fail(`expected ${expected}, got marker '${tag}'`);
    switch (kind) {
      case 'b': {
        if (s.at === 'after') this.finish(s.i);
        else if (s.at !== 'between') return fail(`the end of step ${s.i}`);
        if (i !== this.next && !this.skippedTo(i)) return fail(`step ${this.next} to begin`);
        if (this.kinds && i >= this.kinds.length) return fail(`step ${this.next} to begin`);
        const probe = this.kinds?.[i] === 'probe';
        if (this.skipping && !probe) return fail(`only probes after a divergence, not step ${i}`);
        this.current = { stdout: probe ? this.capped(PROBE_OUTPUT_BYTES, 0) : this.capped(OUTPUT_HEAD_BYTES, OUTPUT_TAIL_BYTES), rc: 0 };
        this.openField(this.current.stdout);
        this.state = { at: 'stdout', i };
        return;
      }
      case 'e':
        if (s.at !== 'stdout' || s.i !== i) return fail(s.at === 'stdout' ? `the end of step ${s.i}` : 'no end marker here');
        if (!this.closeField()) return;
        this.current!.rc = Number(rc);
        if (this.kinds?.[i] === 'apply' && this.current!.rc === DIVERGED) this.skipping = true;
        this.state = { at: 'after', i };
        return;
      case 'x':
        if (s.at !== 'after' || s.i !== i) return fail('no stderr marker here');
        this.current!.stderr = this.capped(OUTPUT_HEAD_BYTES, OUTPUT_TAIL_BYTES);
        this.openField(this.current!.stderr);
        this.state = { at: 'stderr', i };
        return;
      case 'y':
        if (s.at !== 'stderr' || s.i !== i) return fail('no stderr end marker here');
        if (!this.closeField()) return;
        this.finish(i);
        return;
    }
  }

  /** After a divergence, step i may begin after steps that were skipped: applies and queries only. */
  private skippedTo(i: number): boolean {
    if (this.gaps) return i > this.next;
    if (!this.skipping || !this.kinds || i < this.next || i >= this.kinds.length) return false;
    for (let k = this.next; k < i; k++) if (this.kinds[k] === 'probe') return false;
    return true;
  }

  /** A field's bound, within what is left of the round trip's. */
  private capped(head: number, tail: number): CappedOutput {
    const left = Math.max(0, ROUND_TRIP_BYTES - this.kept - (this.current ? this.current.stdout.total - this.current.stdout.dropped : 0));
    return new CappedOutput(Math.min(head, left), Math.min(tail, Math.max(0, left - head)));
  }

  private openField(f: CappedOutput): void {
    this.field = f;
    this.heldNewline = false;
  }

  /** The script prints a newline before every end marker: without it, the marker is forged. */
  private closeField(): boolean {
    if (!this.heldNewline) {
      this.fail('a newline before an end marker');
      return false;
    }
    this.field = undefined;
    this.heldNewline = false;
    return true;
  }

  private finish(i: number): void {
    const c = this.current!;
    const dropped = c.stdout.dropped + (c.stderr?.dropped ?? 0);
    this.kept += c.stdout.total + (c.stderr?.total ?? 0) - dropped;
    const r: SectionResult = { stdout: c.stdout.text(), stderr: c.stderr?.text() ?? '', rc: c.rc };
    if (dropped) r.dropped = { stdout: c.stdout.dropped, stderr: c.stderr?.dropped ?? 0 };
    this.results.set(i, r);
    this.current = undefined;
    this.next = i + 1;
    this.state = { at: 'between' };
  }

  private fail(why: string): void {
    this.broken = why;
    this.field = undefined;
    this.current = undefined;
  }
}

/** The stdout frames with each section's stderr put in, read by a FrameReader of its own from
 * the channel's stderr, where script.ts frames it with the same markers (no file in the
 * script's directory to spool it in); made without `kinds`, that reader keeps each section's
 * stderr as an operator's command output is kept. A probe that succeeded answers with its
 * stdout alone (its stderr was never shipped before, and nothing reads it). */
export function joinStderr(out: FramedOutput, err: FramedOutput, kinds?: readonly Section['kind'][]): FramedOutput {
  const broken = out.broken ?? (err.broken && `on stderr: ${err.broken}`);
  const sections = new Map<number, SectionResult>();
  for (const [i, r] of out.sections) {
    const e = err.sections.get(i);
    const probeOk = kinds?.[i] === 'probe' && r.rc === 0;
    const kept = !probeOk && e && !e.cutOff ? e : undefined;
    const joined: SectionResult = { ...r, stderr: r.cutOff ? r.stderr : (kept?.stdout ?? '') };
    if (r.dropped || kept?.dropped) joined.dropped = { stdout: r.dropped?.stdout ?? 0, stderr: kept?.dropped?.stdout ?? 0 };
    sections.set(i, joined);
  }
  return { sections, broken: broken || undefined, stray: out.stray, strayStderr: err.stray, bytes: out.bytes + err.bytes };
}

/** Split a whole output at once (tests, and transports that do not stream); `stderr`, the
 * channel's stderr, holds each section's stderr framed (joinStderr). */
export function parseScriptOutput(stdout: string | Buffer, nonce: string, kinds?: readonly Section['kind'][], stderr: string | Buffer = ''): FramedOutput {
  const r = new FrameReader(nonce, kinds);
  r.push(typeof stdout === 'string' ? Buffer.from(stdout, 'utf8') : stdout);
  const out = r.end();
  const e = new FrameReader(nonce, undefined, true);
  e.push(typeof stderr === 'string' ? Buffer.from(stderr, 'utf8') : stderr);
  return joinStderr(out, e.end(), kinds);
}
