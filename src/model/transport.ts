// What the engine needs from a connection to one host. Only transport/ implements it
// over the network; tests of the engine may implement it locally.

export interface ExecResult {
  rc: number;
  /** At most the first and last MiB of each stream (model/capped-output.ts); a line in the
   * text says how many bytes were dropped between them. */
  stdout: string;
  stderr: string;
  /** Bytes received but not kept, when any were dropped. */
  dropped?: { stdout: number; stderr: number };
}

export interface ExecOptions {
  become?: boolean;
  /** Output as it arrives (ad-hoc commands streamed with host prefixes); the result still
   * carries all of it. */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  /** Raw stdout bytes as they arrive (after the sudo wrapper's own line), for a caller that
   * keeps its own bounded view of them (the engine splits a round trip into sections as it
   * streams); the result's stdout is then empty. */
  stdoutSink?: (chunk: Buffer) => void;
  /** The same for stderr: its bytes go to the sink only, and the result's stderr says only
   * what the transport adds (the channel killed or closed without an exit status). */
  stderrSink?: (chunk: Buffer) => void;
  /** The script is engine/script.ts's (one function, then its call with stdin from /dev/null):
   * the host's shell may read it as it runs it, with no copy of it first. */
  streamed?: boolean;
}

export interface UploadOptions {
  become?: boolean;
  /** Octal mode of the file (default 0600). */
  mode?: string;
  /** Bytes expected: a shorter stream is not renamed into place. */
  size?: number;
}

/** Exit status of HostSession.uploadThenRun when the file did not arrive whole. */
export const UPLOAD_FAILED = 90;

export interface HostSession {
  /** Run one POSIX sh script (sent on stdin, never on the command line), as root when
   * become is set. Counts as exactly one round trip. */
  run(script: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Stream `data` into the file `dest` on the host (a temporary file renamed into place once
   * the stream ended and, when `size` is given, had that many bytes; mode default 0600), as
   * root when become is set. One round trip. Optional: a transport without it cannot carry
   * files (docker images) to the host. */
  upload?(data: NodeJS.ReadableStream, dest: string, opts?: UploadOptions): Promise<ExecResult>;
  /** upload (`size` bytes, required), then `script` read from the same stdin right after the
   * data and run as run() runs it: one round trip. When the file did not arrive whole the
   * script is not read and the channel exits UPLOAD_FAILED (a script of engine/script.ts
   * never exits with it). Optional. */
  uploadThenRun?(data: NodeJS.ReadableStream, dest: string, upload: UploadOptions & { size: number }, script: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Exec round trips made so far on this connection. */
  readonly roundTrips: number;
  readonly connectMs: number;
  close(): void;
}

/** Why a connection attempt failed, as far as the host's answer goes: `no-answer` (refused, no
 * route, nothing at the address), `transient` (it answered, or may have, but too slowly or it
 * turned us away for now: a timeout, a reset or close before the handshake ended, sshd's
 * MaxStartups), `final` (it answered no: authentication, an aborted run...). Only transient
 * failures are worth another try. */
export type ConnectFailureKind = 'no-answer' | 'transient' | 'final';

export class UnreachableError extends Error {
  readonly kind: ConnectFailureKind;
  /** The cause alone ("timed out after 10 s before the SSH banner"), for retry notes. */
  readonly reason?: string;
  constructor(
    public readonly host: string,
    message: string,
    opts: { kind?: ConnectFailureKind; reason?: string } = {},
  ) {
    super(message);
    this.name = 'UnreachableError';
    this.kind = opts.kind ?? 'final';
    this.reason = opts.reason;
  }
}

export class HostKeyError extends Error {
  constructor(
    public readonly host: string,
    message: string,
  ) {
    super(message);
    this.name = 'HostKeyError';
  }
}
