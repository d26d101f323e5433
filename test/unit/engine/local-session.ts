// A HostSession that runs scripts with the local sh: real shell, no network. For engine
// unit tests only; every role is tested over real SSH.
import { spawn } from 'node:child_process';
import type { Host } from '../../../src/model/inventory.js';
import type { ExecResult, HostSession } from '../../../src/model/transport.js';
import { UnreachableError } from '../../../src/model/transport.js';

/** The script through the local `sh -s`, `env` over this process's environment; never
 * blocks this process (a test's own server may answer the script meanwhile). */
export function runSh(script: string, env: NodeJS.ProcessEnv = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const p = spawn('sh', ['-s'], { env: { ...process.env, ...env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => err.push(d));
    p.on('error', reject);
    p.on('close', (rc) => resolve({ rc: rc ?? 255, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    p.stdin.end(script);
  });
}

export class LocalSession implements HostSession {
  roundTrips = 0;
  connectMs = 1;
  readonly scripts: string[] = [];
  constructor(readonly env: Record<string, string> = {}) {}

  run(script: string): Promise<ExecResult> {
    this.roundTrips++;
    if (this.env.FLEET_TEST_HOST?.startsWith('sudofail')) return Promise.reject(new Error('sudo: incorrect password for deploy on sudofail1'));
    this.scripts.push(script);
    return runSh(script, this.env);
  }

  close(): void {}
}

/** connect() for the engine: hosts named "down*" are unreachable, "sudofail*" cannot become root. */
export function localConnector(sessions: Map<string, LocalSession>) {
  return async (host: Host): Promise<LocalSession> => {
    if (host.name.startsWith('down')) throw new UnreachableError(host.name, `cannot connect to ${host.connection.address}:22: connection refused`);
    let s = sessions.get(host.name);
    if (!s) {
      s = new LocalSession({ FLEET_TEST_HOST: host.name });
      sessions.set(host.name, s);
    }
    return s;
  };
}
