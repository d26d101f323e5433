// How a script reaches the host's shell: plain `sh -s`, or through sudo (NOPASSWD or with a
// password sent on stdin). The script always travels on stdin, never on the command line.
import { readFileSync } from 'node:fs';
import type { Connection } from '../model/inventory.js';
import { revealSecret } from '../model/secret-values.js';

/** Printed by the wrapper once sudo let it run: proves the script started as root. */
export const BECOME_MARKER = '#FLEET-BECOME-OK';
/** Line that ends the sudo preamble on stdin; the script starts right after it. */
export const SUDO_OK_LINE = '#FLEET-SUDO-OK';
/** Filler lines: a wrong password makes sudo read up to 3 lines (passwd_tries); they absorb the
 * retries so sudo never swallows lines of the script. They start with '#': harmless to sh. */
export const SUDO_PAD_LINE = '#FLEET-SUDO-PAD';

export class BecomeError extends Error {
  constructor(
    public readonly host: string,
    message: string,
  ) {
    super(message);
    this.name = 'BecomeError';
  }
}

export interface ExecPlan {
  command: string;
  stdin: Buffer;
  /** The wrapper prints BECOME_MARKER first; its absence means sudo refused. */
  viaSudo: boolean;
}

/**
 * Reads the whole script from stdin, then runs it with stdin at EOF. With a bare `sh -s`, any
 * command in the script that reads stdin (a prompt, `cat`, `iptables-restore` without a file)
 * would swallow the rest of the script; here it just sees EOF. `echo .` keeps trailing newlines
 * (a here-document may end the script). The script still never touches the command line.
 */
export const RUNNER = `__fleet_script=$(cat; echo .); exec </dev/null; eval "\${__fleet_script%.}"`;

/**
 * For a script that is engine/script.ts's (one function definition, then its call with stdin
 * from /dev/null), which no command in it can read past: the shell reads it from stdin as it
 * runs it, with no copy first (RUNNER's command substitution cost the host a fork and a `cat`,
 * about what the probe's own `stat` costs). RUNNER where stdin is no pipe (a socket cannot be
 * opened again by its /dev/stdin name).
 */
export const STREAM_RUNNER = `if [ -p /dev/stdin ]; then . /dev/stdin; else ${RUNNER}; fi`;

// The wrapper skips whatever sudo did not consume (the password when the rule is in fact
// NOPASSWD, the pad lines) up to the OK line, then forgets it: the password never reaches the script.
const PASSWORD_WRAPPER = (runner: string) =>
  `while IFS= read -r l; do [ "$l" = "${SUDO_OK_LINE}" ] && break; done; [ "$l" = "${SUDO_OK_LINE}" ] || exit 97; unset l; ` +
  `printf "%s\\n" "${BECOME_MARKER}"; ${runner}`;
const NOPASSWD_WRAPPER = (runner: string) => `printf "%s\\n" "${BECOME_MARKER}"; ${runner}`;

/** `streamed`: the script is engine/script.ts's (STREAM_RUNNER). */
export function buildExec(script: string, opts: { become: boolean; user: string; password?: string; streamed?: boolean }): ExecPlan {
  const body = Buffer.from(script, 'utf8');
  const runner = opts.streamed ? STREAM_RUNNER : RUNNER;
  if (!opts.become || opts.user === 'root') return { command: `sh -c '${runner}'`, stdin: body, viaSudo: false };
  if (opts.password === undefined) {
    return { command: `sudo -n -H -- sh -c '${NOPASSWD_WRAPPER(runner)}'`, stdin: body, viaSudo: true };
  }
  const preamble = `${opts.password}\n${SUDO_PAD_LINE}\n${SUDO_PAD_LINE}\n${SUDO_OK_LINE}\n`;
  return {
    // -k: ignore cached credentials so sudo always consumes exactly the password line or nothing.
    command: `sudo -k -S -p '' -H -- sh -c '${PASSWORD_WRAPPER(runner)}'`,
    stdin: Buffer.concat([Buffer.from(preamble, 'utf8'), body]),
    viaSudo: true,
  };
}

/**
 * After a sudo run: strip the marker, or explain why sudo refused. The password is scrubbed
 * from the explanation in case a misbehaving sudo ever echoed it.
 */
export function interpretBecome(
  out: { rc: number; stdout: string; stderr: string },
  ctx: { host: string; user: string; password?: string },
): { rc: number; stdout: string; stderr: string } {
  const head = BECOME_MARKER + '\n';
  if (out.stdout.startsWith(head)) return { ...out, stdout: out.stdout.slice(head.length) };
  throw becomeRefused(out, ctx);
}

/** Why sudo did not start the script (its marker line never came), from what it printed. */
export function becomeRefused(out: { rc: number; stderr: string }, ctx: { host: string; user: string; password?: string }): BecomeError {
  let why = out.stderr.trim();
  if (ctx.password) why = why.split(ctx.password).join('********');
  if (/incorrect password|Sorry, try again/i.test(why)) {
    return new BecomeError(ctx.host, `sudo: incorrect password for ${ctx.user} on ${ctx.host}`);
  }
  if (/a password is required/i.test(why)) {
    return new BecomeError(
      ctx.host,
      `sudo: a password is required for ${ctx.user} on ${ctx.host}: set become_password_env or become_password_file, or give ${ctx.user} NOPASSWD sudo`,
    );
  }
  return new BecomeError(
    ctx.host,
    `sudo failed for ${ctx.user} on ${ctx.host} (rc ${out.rc})${why ? `: ${why}` : ''}`,
  );
}

/** The sudo password from the env var or file the inventory names; never from the command line. */
export function resolveBecomePassword(hostName: string, conn: Connection): string | undefined {
  let pw: string | undefined;
  if (conn.becomePasswordEnv) {
    pw = process.env[conn.becomePasswordEnv];
    if (pw === undefined) {
      throw new BecomeError(hostName, `${hostName}: become_password_env names ${conn.becomePasswordEnv}, which is not set in the environment`);
    }
  } else if (conn.becomePasswordFile) {
    try {
      pw = readFileSync(conn.becomePasswordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new BecomeError(
        hostName,
        `${hostName}: cannot read become_password_file ${conn.becomePasswordFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  } else {
    return undefined;
  }
  const where = conn.becomePasswordEnv ? `env var ${conn.becomePasswordEnv}` : `file ${conn.becomePasswordFile}`;
  if (pw === '') throw new BecomeError(hostName, `${hostName}: the sudo password in ${where} is empty`);
  // Every redactor masks it from now on, whatever output path it might take.
  revealSecret(pw);
  if (/[\r\n]/.test(pw)) throw new BecomeError(hostName, `${hostName}: the sudo password in ${where} spans several lines`);
  return pw;
}
