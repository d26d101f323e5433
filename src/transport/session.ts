// HostSession over one ready ssh2 Client: one exec channel per run() = one round trip.
import { StringDecoder } from 'node:string_decoder';
import type { Client, ClientChannel } from 'ssh2';
import type { ExecResult, HostSession, ExecOptions, UploadOptions } from '../model/transport.js';
import { UnreachableError } from '../model/transport.js';
import { BECOME_MARKER, buildExec, interpretBecome } from './become.js';
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
    const plan = buildExec(script, { become: opts?.become ?? this.ctx.become, user: this.ctx.target.user, password: this.ctx.password });
    return this.exec(plan.command, plan.viaSudo, opts?.onOutput, (ch) => ch.end(plan.stdin));
  }

  upload(data: NodeJS.ReadableStream, dest: string, opts?: UploadOptions): Promise<ExecResult> {
    const plan = buildUploadExec(dest, { become: opts?.become ?? this.ctx.become, user: this.ctx.target.user, password: this.ctx.password, mode: opts?.mode, size: opts?.size });
    return this.exec(plan.command, plan.viaSudo, undefined, (ch, fail) => {
      if (plan.preamble.length) ch.write(plan.preamble);
      // A read error ends the stream early; the remote side's size check keeps the half file
      // from being renamed into place (when the size is known).
      data.on('error', (err) => {
        fail(new Error(`${this.ctx.target.name}: upload to ${dest}: reading the source failed: ${err.message}`));
        ch.close();
      });
      data.pipe(ch);
    });
  }

  /** One exec channel = one round trip; `feed` writes its stdin. */
  private exec(
    command: string,
    viaSudo: boolean,
    onOutput: ExecOptions['onOutput'],
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
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let rc: number | undefined;
        let signal: string | undefined;
        const live = onOutput && liveOutput(onOutput, viaSudo);
        ch.on('data', (d: Buffer) => {
          out.push(d);
          live?.stdout(d);
        });
        ch.stderr.on('data', (d: Buffer) => {
          errOut.push(d);
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
              let stderr = Buffer.concat(errOut).toString('utf8');
              if (rc === undefined) {
                if (this.lost) return reject(this.lost);
                stderr += `${stderr && !stderr.endsWith('\n') ? '\n' : ''}${signal ? `killed by signal ${signal}` : 'channel closed without an exit status'}\n`;
              }
              const result = { rc: rc ?? 255, stdout: Buffer.concat(out).toString('utf8'), stderr };
              if (!viaSudo) return resolve(result);
              try {
                resolve(interpretBecome(result, { host: target.name, user: target.user, password: this.ctx.password }));
              } catch (e) {
                reject(e);
              }
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

/** Streams output to a listener as it arrives: whole UTF-8 characters only, and without the
 * line the sudo wrapper prints before the script starts. */
function liveOutput(listener: NonNullable<ExecOptions['onOutput']>, viaSudo: boolean): { stdout(d: Buffer): void; stderr(d: Buffer): void } {
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  let head = viaSudo ? '' : undefined;
  const marker = BECOME_MARKER + '\n';
  return {
    stdout(d) {
      let text = decoders.stdout.write(d);
      if (head !== undefined) {
        head += text;
        if (head.length < marker.length && marker.startsWith(head)) return;
        text = head.startsWith(marker) ? head.slice(marker.length) : head;
        head = undefined;
      }
      if (text) listener('stdout', text);
    },
    stderr(d) {
      const text = decoders.stderr.write(d);
      if (text) listener('stderr', text);
    },
  };
}
