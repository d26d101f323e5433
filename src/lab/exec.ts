// Running the controller's own tools (ip, nft, mount, ssh-keygen...) for the lab.
import { spawn } from 'node:child_process';

export interface CmdResult {
  rc: number;
  stdout: string;
  stderr: string;
}

export class LabCommandError extends Error {
  constructor(
    public readonly argv: string[],
    public readonly result: CmdResult,
  ) {
    super(`lab: \`${argv.join(' ')}\` exited ${result.rc}: ${(result.stderr || result.stdout).trim().slice(0, 2000)}`);
    this.name = 'LabCommandError';
  }
}

/** Run argv without a shell; never throws on a non-zero exit (see `must`). */
export function cmd(
  argv: string[],
  opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<CmdResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`lab: cannot run ${argv[0]}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        rc: code ?? (signal ? 128 + 9 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.on('error', () => undefined); // the tool may exit before reading its input
    child.stdin.end(opts.input ?? '');
  });
}

/** Run argv and throw LabCommandError unless it exits 0. */
export async function must(argv: string[], opts: Parameters<typeof cmd>[1] = {}): Promise<string> {
  const r = await cmd(argv, opts);
  if (r.rc !== 0) throw new LabCommandError(argv, r);
  return r.stdout;
}

/** Run a shell script (for pipelines and chroot steps); args become $1, $2... */
export function sh(script: string, args: string[] = [], opts: Parameters<typeof cmd>[1] = {}): Promise<string> {
  return must(['sh', '-ec', script, 'sh', ...args], opts);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
