// Test helpers for the lab: which hosts there are, run a command on one over real SSH,
// reset one to the pristine base, and a describe that skips when the lab is unavailable.
import { spawn } from 'node:child_process';
import { describe, inject } from 'vitest';
import { instanceOfInfo, resetHost as labResetHost, resetHosts as labResetHosts, type LabHostInfo, type LabInfo, type LabInstanceSpec } from '../../../src/lab/index.js';

export function labAvailable(): boolean {
  return inject('lab').available;
}

export function labInfo(): LabInfo {
  const lab = inject('lab');
  if (!lab.available || !lab.info) throw new Error(`the lab is not available: ${lab.reason ?? 'unknown reason'}`);
  return lab.info;
}

/** The harness's lab instance, to pass as `{ instance }` to src/lab functions. */
export function labInstanceSpec(): LabInstanceSpec {
  return instanceOfInfo(labInfo());
}

/** `fleet lab` arguments selecting the harness's instance (none for the default lab). */
export function labCliArgs(): string[] {
  const i = labInfo();
  return i.name === 'lab' ? [] : ['--name', i.name, '--subnet', i.subnet];
}

export function labHosts(): LabHostInfo[] {
  return labInfo().hosts;
}

export function labHost(name: string): LabHostInfo {
  const h = labHosts().find((x) => x.name === name);
  if (!h) throw new Error(`no lab host ${name} (have ${labHosts().map((x) => x.name).join(', ')})`);
  return h;
}

/** A describe block that is skipped (with the reason in its name) when there is no lab. */
export const describeLab = (name: string, fn: () => void): void => {
  const lab = inject('lab');
  if (lab.available) describe(name, fn);
  else describe.skip(`${name} (no lab: ${lab.reason})`, fn);
};

export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `cmd` on a lab host over real SSH (the ssh binary, the lab key, host keys pinned),
 * as root on port 22 unless `user`/`port` say otherwise. */
export function sshRun(host: string, cmd: string, opts: { user?: string; port?: number; input?: string; timeoutMs?: number } = {}): Promise<SshResult> {
  const info = labInfo();
  const h = labHost(host);
  const argv = [
    '-T', '-i', info.keyFile, '-o', `UserKnownHostsFile=${info.knownHostsFile}`, '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'LogLevel=ERROR',
    '-p', String(opts.port ?? 22), `${opts.user ?? 'root'}@${h.address}`, '--', cmd,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 255, stdout, stderr });
    });
    // An ssh that exits at once (the faults suite's sshd refusing connections) closes its
    // stdin before the write lands: its exit code says what happened, the EPIPE nothing more.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Back to the pristine base: the host's layer is dropped and it reboots (a few seconds). */
export function resetHost(name: string): Promise<void> {
  labHost(name);
  return labResetHost(name, { instance: labInstanceSpec() });
}

/** resetHost for several hosts, booted side by side (one lock hold, not one boot after another). */
export function resetHosts(names: string[]): Promise<void> {
  for (const n of names) labHost(n);
  return labResetHosts(names, { instance: labInstanceSpec() });
}
