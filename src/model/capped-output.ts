// Output from a host, kept with a bound: the first `head` bytes and the last `tail` bytes,
// and a count of what was dropped between them. A host that prints 600 MB costs the
// controller at most head + tail bytes (plus one chunk in flight), never the whole stream.
// Here because the transport (whole exec results) and the engine (each section of a round
// trip) both keep host output.

/** What is kept of one stream of host output by default: its first and last MiB. */
export const OUTPUT_HEAD_BYTES = 1024 * 1024;
export const OUTPUT_TAIL_BYTES = 1024 * 1024;

export class CappedOutput {
  private readonly headChunks: Buffer[] = [];
  private headBytes = 0;
  private tailChunks: Buffer[] = [];
  private tailBytes = 0;
  private seen = 0;

  constructor(
    readonly head = OUTPUT_HEAD_BYTES,
    readonly tail = OUTPUT_TAIL_BYTES,
  ) {}

  push(chunk: Buffer): void {
    this.seen += chunk.length;
    if (this.headBytes < this.head) {
      const take = Math.min(this.head - this.headBytes, chunk.length);
      this.headChunks.push(Buffer.from(chunk.subarray(0, take)));
      this.headBytes += take;
      chunk = chunk.subarray(take);
    }
    if (chunk.length === 0 || this.tail === 0) return;
    // Copies: a slice would keep the whole (possibly large) chunk alive.
    this.tailChunks.push(Buffer.from(chunk.length > this.tail ? chunk.subarray(chunk.length - this.tail) : chunk));
    this.tailBytes += Math.min(chunk.length, this.tail);
    while (this.tailBytes - this.tailChunks[0].length >= this.tail) this.tailBytes -= this.tailChunks.shift()!.length;
  }

  /** Bytes received in all. */
  get total(): number {
    return this.seen;
  }

  /** Bytes received but not kept. */
  get dropped(): number {
    return this.seen - this.headBytes - Math.min(this.tailBytes, this.tail);
  }

  /** The kept bytes as UTF-8 text; when bytes were dropped, a line saying how many stands
   * where they were (cut at whole characters, so no half character turns into garbage). */
  text(): string {
    const head = Buffer.concat(this.headChunks);
    let tail = Buffer.concat(this.tailChunks);
    if (tail.length > this.tail) tail = tail.subarray(tail.length - this.tail);
    if (this.dropped === 0) return Buffer.concat([head, tail]).toString('utf8');
    const h = head.subarray(0, wholeCharsEnd(head));
    const t = tail.subarray(wholeCharsStart(tail));
    const dropped = this.seen - h.length - t.length;
    return `${h.toString('utf8')}${droppedNotice(dropped)}${t.toString('utf8')}`;
  }
}

/** The line that stands for dropped output. */
export function droppedNotice(bytes: number): string {
  return `\n[fleet: ${bytes} bytes of output dropped here]\n`;
}

/** Length of buf without a UTF-8 sequence cut off at its end. */
function wholeCharsEnd(buf: Buffer): number {
  const i = buf.length;
  // Back over at most 3 continuation bytes to the lead byte of the last character.
  let back = 0;
  while (back < 3 && i - back - 1 >= 0 && (buf[i - back - 1] & 0xc0) === 0x80) back++;
  const lead = i - back - 1;
  if (lead < 0) return i;
  const b = buf[lead];
  const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return back + 1 < need ? lead : i;
}

/** Offset of the first byte of buf that starts a character (skips a cut-off sequence's rest). */
function wholeCharsStart(buf: Buffer): number {
  let i = 0;
  while (i < 3 && i < buf.length && (buf[i] & 0xc0) === 0x80) i++;
  return i;
}
