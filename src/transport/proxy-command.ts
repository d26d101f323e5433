// ProxyCommand, as ssh runs it: a command (through /bin/sh) whose stdin and stdout carry the
// SSH connection, e.g. `ssh -W %h:%p bastion` or `nc -X 5 -x 127.0.0.1:9050 %h %p`. The host
// key of the target is still checked by fleet, end to end; the command only moves bytes.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { homedir, hostname, userInfo } from 'node:os';
import { Duplex, type Readable, type Writable } from 'node:stream';

export interface ProxyTokens {
  /** %h: the address to reach; %p its port; %r the remote user; %n the host's name. */
  host: string;
  port: number;
  user: string;
  name: string;
}

/** Expand ssh's ProxyCommand tokens. Unknown tokens were refused when the inventory was read. */
export function expandProxyCommand(template: string, t: ProxyTokens): string {
  const local = (() => {
    try {
      return userInfo().username;
    } catch {
      return process.env.USER ?? '';
    }
  })();
  const values: Record<string, string> = {
    '%': '%', h: t.host, p: String(t.port), r: t.user, n: t.name, d: homedir(), u: local, l: hostname(),
  };
  return template.replace(/%(.)/g, (all, c: string) => values[c] ?? all);
}

const STDERR_KEEP = 4096;

export interface ProxyProcess {
  /** The SSH byte stream: writes go to the command's stdin, its stdout is read. */
  sock: Duplex;
  /** Why the command failed, once it has: its exit status and the end of its stderr. */
  failure(): Promise<string | undefined>;
  /** Stop the command (SIGTERM, then SIGKILL if it lingers). */
  kill(): void;
}

export function spawnProxyCommand(command: string): ProxyProcess {
  // `exec` so the signal on close reaches the command itself, not only the shell (as ssh does).
  const child: ChildProcessByStdio<Writable, Readable, Readable> = spawn('/bin/sh', ['-c', `exec ${command}`], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  let spawnError: Error | undefined;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let killedByUs = false;
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      resolve();
    });
    child.on('error', (err) => {
      spawnError = err;
      resolve();
    });
  });
  let ended = false;
  child.stdout.on('end', () => (ended = true));
  child.stderr.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString('utf8')).slice(-STDERR_KEEP);
  });
  // 'exit' can come before the last of stderr has been read: failure() waits for its end too.
  const stderrEnded = new Promise<void>((resolve) => child.stderr.on('close', () => resolve()));
  child.stdin.on('error', () => undefined); // EPIPE when the command has died: reported via failure()
  const sock = Duplex.from({ readable: child.stdout, writable: child.stdin });
  sock.on('error', () => undefined);
  let killTimer: NodeJS.Timeout | undefined;
  const kill = () => {
    if (exit || spawnError || killedByUs) return;
    killedByUs = true;
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), 2000);
    killTimer.unref();
    void exited.then(() => clearTimeout(killTimer));
  };
  return {
    sock,
    kill,
    async failure() {
      // When its output has ended, the exit status usually arrives a moment later.
      if (ended) await Promise.race([exited, new Promise((r) => setTimeout(r, 1000).unref())]);
      // Bounded: a grandchild may keep stderr open after the command itself has exited.
      if (exit) await Promise.race([stderrEnded, new Promise((r) => setTimeout(r, 1000).unref())]);
      const tail = stderr.trim().split('\n').slice(-5).join(' | ');
      if (spawnError) return `the proxy command could not start: ${spawnError.message}`;
      if (!exit || killedByUs) return tail ? `the proxy command said: ${tail}` : undefined;
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited ${exit.code}`;
      return `the proxy command ${how}${tail ? `: ${tail}` : ' (it printed nothing on stderr)'}`;
    },
  };
}
