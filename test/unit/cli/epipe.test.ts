// `fleet inventory | head -1`: when the reader of fleet's output goes away, fleet stops at
// once and quietly (exit 141, as a tool killed by SIGPIPE), never with a stack trace.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAIN } from './fleet-bin.js';

/** Run fleet with its stdout closed by the reader before fleet writes a byte. */
function withClosedStdout(args: string[], cwd: string): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, err }));
  });
}

describe('a closed output pipe', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-epipe-'));
  // A host nobody answers for (port 1 on loopback refuses at once), so check never waits.
  writeFileSync(
    join(dir, 'hosts.yml'),
    'all:\n  hosts:\n' + Array.from({ length: 50 }, (_, i) => `    h${i}: { ansible_host: 127.0.0.1, ansible_port: 1 }\n`).join(''),
  );
  writeFileSync(join(dir, 'site.yml'), '- hosts: all\n  tasks:\n    - name: t\n      file: { path: /tmp/x, state: directory }\n');

  it('fleet inventory stops quietly', async () => {
    const r = await withClosedStdout(['inventory', '-i', 'hosts.yml'], dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(141);
  });

  it('fleet check --json stops quietly', async () => {
    const r = await withClosedStdout(['check', 'site.yml', '-i', 'hosts.yml', '--json'], dir);
    expect(r.err).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(r.err).toBe('');
    expect(r.code).toBe(141);
  });
});
