// The controller itself, for Ansible's `delegate_to: localhost`: scripts run with the local sh
// as the user running fleet (never through sudo: such a task says become: false).
import { spawn } from 'node:child_process';
import type { ExecOptions, ExecResult, HostSession } from '../model/transport.js';

export class ControllerSession implements HostSession {
  roundTrips = 0;
  readonly connectMs = 0;

  run(script: string, opts?: ExecOptions): Promise<ExecResult> {
    if (opts?.become) return Promise.reject(new Error('the controller runs delegated tasks without become (add become: false to the task)'));
    this.roundTrips++;
    return new Promise((resolve, reject) => {
      const p = spawn('sh', ['-s'], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      p.stdout.on('data', (d: Buffer) => (opts?.stdoutSink ? opts.stdoutSink(d) : out.push(d)));
      p.stderr.on('data', (d: Buffer) => (opts?.stderrSink ? opts.stderrSink(d) : err.push(d)));
      p.on('error', reject);
      p.on('close', (rc) => resolve({ rc: rc ?? 255, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
      p.stdin.end(script);
    });
  }

  close(): void {}
}
