// HostSession over one ready ssh2 Client: one exec channel per run() = one round trip.
import { StringDecoder } from 'node:string_decoder';
import type { Client, ClientChannel } from 'ssh2';
import { CappedOutput } from '../model/capped-output.js';
import type { ExecResult, HostSession, ExecOptions, UploadOptions } from '../model/transport.js';
import { UnreachableError } from '../model/transport.js';
import { BECOME_MARKER, becomeRefused, buildExec } from './become.js';
import { buildUploadExec } from './upload.js';
import { describeCause, lostMessage, unreachableMessage, type Target } from './errors.js';

export interface SessionContext {
  target: Target;
  /** connection.become: the default for run() when the call does not say. */
  become: boolean;
  password?: string;
  connectMs: number;
  timeoutMs: number;
  /** Called once on close (releases a shared bastion, abort listener...). */
  onClose?: () => void;
}

export class SshSession implements HostSession {
  private rounds = 0;
  private lost?: UnreachableError;
  private closed = false;
  private readonly pending = new Set<(err: Error) => void>();

  constructor(
    private readonly client: Client,
    private readonly ctx: SessionContext,
  ) {
    const drop = (err?: unknown) => {
      if (!this.lost) {
        const cause = this.closed ? 'session closed' : err ? describeCause(err, ctx.target, ctx.timeoutMs) : 'connection closed';
        this.lost = new UnreachableError(ctx.target.name, lostMessage(ctx.target, cause));
      }
      for (const reject of this.pending) reject(this.lost);
      this.pending.clear();
      this.finish();
    };
    client.on('error', (err) => drop(err));
    client.on('close', () => drop());
  }

  get roundTrips(): number {
    return this.rounds;
  }

  get connectMs(): number {
    return this.ctx.connectMs;
  }

  run(script: string, opts?: ExecOptions): Promise<ExecResult> {
    const plan = buildExec(script, { become: opts?.become ?? this.ctx.become, user: this.ctx.target.user, password: this.ctx.password, streamed: opts?.streamed });
    return this.exec(plan.command, plan.viaSudo, opts, (ch) => ch.end(plan.stdin));
  }

  upload(data: NodeJS.ReadableStream, dest: string, opts?: UploadOptions): Promise<ExecResult> {
    const plan = buildUploadExec(dest, { become: opts?.become ?? this.ctx.become, user: this.ctx.target.user, password: this.ctx.password, mode: opts?.mode, size: opts?.size });
    return this.exec(plan.command, plan.viaSudo, undefined, (ch, fail) => this.feedData(ch, fail, plan.preamble, data, dest));
  }

  uploadThenRun(data: NodeJS.ReadableStream, dest: string, upload: UploadOptions & { size: number }, script: string, opts?: ExecOptions): Promise<ExecResult> {
    const become = opts?.become ?? upload.become ?? this.ctx.become;
    const plan = buildUploadExec(dest, { become, user: this.ctx.target.user, password: this.ctx.password, mode: upload.mode, size: upload.size, then: { streamed: !!opts?.streamed } });
    return this.exec(plan.command, plan.viaSudo, opts, (ch, fail) => this.feedData(ch, fail, plan.preamble, data, dest, Buffer.from(script, 'utf8')));
  }

  /** The preamble, the data, then (uploadThenRun) the script, on the channel's stdin. */
  private feedData(ch: ClientChannel, fail: (err: Error) => void, preamble: Buffer, data: NodeJS.ReadableStream, dest: string, after?: Buffer): void {
    if (preamble.length) ch.write(preamble);
    // A read error ends the stream early; the remote side's size check keeps the half file
    // from being renamed into place (when the size is known), and the script after it unread.
    data.on('error', (err) => {
      fail(new Error(`${this.ctx.target.name}: upload to ${dest}: reading the source failed: ${err.message}`));
      ch.close();
    });
    if (!after) {
      data.pipe(ch);
      return;
    }
    data.pipe(ch, { end: false });
    data.on('end', () => ch.end(after));
  }

  /** One exec channel = one round trip; `feed` writes its stdin. */
  private exec(
    command: string,
    viaSudo: boolean,
    opts: Pick<ExecOptions, 'onOutput' | 'stdoutSink' | 'stderrSink'> | undefined,
    feed: (ch: ClientChannel, fail: (err: Error) => void) => void,
  ): Promise<ExecResult> {
    if (this.lost) return Promise.reject(this.lost);
    const { target } = this.ctx;
    this.rounds++;
    return new Promise<ExecResult>((resolve, reject) => {
      this.pending.add(reject);
      let failed: Error | undefined;
      const done = (fn: () => void) => {
        this.pending.delete(reject);
        fn();
      };
      const onChannel = (err: Error | undefined, ch: ClientChannel) => {
        if (err) {
          return done(() => reject(this.lost ?? new Error(`${target.name}: cannot open an exec channel: ${err.message}`)));
        }
        // Bounded: a host that floods its output costs at most what CappedOutput keeps.
        const out = opts?.stdoutSink ? undefined : new CappedOutput();
        const errOut = new CappedOutput();
        const gate = viaSudo ? new BecomeGate() : undefined;
        const live = opts?.onOutput && liveOutput(opts.onOutput);
        let rc: number | undefined;
        let signal: string | undefined;
        ch.on('data', (d: Buffer) => {
          const rest = gate ? gate.pass(d) : d;
          if (rest.length === 0) return;
          if (out) out.push(rest);
          else opts!.stdoutSink!(rest);
          live?.stdout(rest);
        });
        ch.stderr.on('data', (d: Buffer) => {
          // Kept with a sink too, while sudo may still refuse (its message is on stderr).
          if (!opts?.stderrSink || (gate && !gate.started)) errOut.push(d);
          opts?.stderrSink?.(d);
          live?.stderr(d);
        });
        ch.on('exit', (code: number | null, sig?: string) => {
          if (typeof code === 'number') rc = code;
          else if (sig) signal = sig.startsWith('SIG') ? sig : `SIG${sig}`;
        });
        ch.on('close', () => {
          // Give a concurrent connection-level close the chance to mark the session lost first.
          setImmediate(() =>
            done(() => {
              if (failed) return reject(failed);
              let stderr = errOut.text();
              if (rc === undefined) {
                if (this.lost) return reject(this.lost);
                stderr += `${stderr && !stderr.endsWith('\n') ? '\n' : ''}${signal ? `killed by signal ${signal}` : 'channel closed without an exit status'}\n`;
              }
              // sudo never started the wrapper (no marker line): say why, from what it printed.
              if (gate && !gate.started) return reject(becomeRefused({ rc: rc ?? 255, stderr }, { host: target.name, user: target.user, password: this.ctx.password }));
              const result: ExecResult = { rc: rc ?? 255, stdout: out?.text() ?? '', stderr };
              if (out?.dropped || errOut.dropped) result.dropped = { stdout: out?.dropped ?? 0, stderr: errOut.dropped };
              resolve(result);
            }),
          );
        });
        // The remote side may exit before reading all of stdin (sudo refused): ignore EPIPE-like errors.
        ch.on('error', () => undefined);
        feed(ch, (e) => (failed ??= e));
      };
      try {
        this.client.exec(command, onChannel);
      } catch (err) {
        done(() => reject(this.lost ?? new UnreachableError(target.name, unreachableMessage(target, describeCause(err, target, this.ctx.timeoutMs)))));
      }
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.end();
    this.finish();
  }

  private finish(): void {
    const cb = this.ctx.onClose;
    this.ctx.onClose = undefined;
    cb?.();
  }
}

/** Streams output to a listener as it arrives: whole UTF-8 characters only. */
function liveOutput(listener: NonNullable<ExecOptions['onOutput']>): { stdout(d: Buffer): void; stderr(d: Buffer): void } {
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  return {
    stdout(d) {
      const text = decoders.stdout.write(d);
      if (text) listener('stdout', text);
    },
    stderr(d) {
      const text = decoders.stderr.write(d);
      if (text) listener('stderr', text);
    },
  };
}

/** The start of stdout under sudo: the wrapper's marker line, proof that the script started
 * as root, is held back until it is complete, then dropped; anything else passes through. */
class BecomeGate {
  private held: Buffer | undefined = Buffer.alloc(0);
  started = false;
  private static readonly LINE = Buffer.from(BECOME_MARKER + '\n');

  pass(d: Buffer): Buffer {
    if (!this.held) return d;
    const all = Buffer.concat([this.held, d]);
    const line = BecomeGate.LINE;
    if (all.length < line.length && line.subarray(0, all.length).equals(all)) {
      this.held = all;
      return Buffer.alloc(0);
    }
    this.held = undefined;
    if (all.subarray(0, line.length).equals(line)) {
      this.started = true;
      return all.subarray(line.length);
    }
    return all;
  }
}
