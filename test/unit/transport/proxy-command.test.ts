// ProxyCommand plumbing without a network: tokens, a real child process as the byte stream,
// its failure told with exit status and stderr, and the process gone after close.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandProxyCommand, spawnProxyCommand } from '../../../src/transport/proxy-command.js';

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

describe('ProxyCommand', () => {
  it('expands %h %p %r %n %d %%', () => {
    expect(expandProxyCommand('ssh -W %h:%p -l %r jump # %n %d 100%%', { host: '10.0.0.5', port: 2222, user: 'admin', name: 'web1' })).toBe(
      `ssh -W 10.0.0.5:2222 -l admin jump # web1 ${homedir()} 100%`,
    );
  });

  it('carries bytes both ways through the command', async () => {
    const p = spawnProxyCommand('cat');
    const got = new Promise<string>((resolve) => p.sock.once('data', (b: Buffer) => resolve(b.toString())));
    p.sock.write('SSH-2.0-test\r\n');
    expect(await got).toBe('SSH-2.0-test\r\n');
    p.kill();
  });

  it('a command that dies says how, with its stderr', async () => {
    const p = spawnProxyCommand(`sh -c 'echo "channel 0: open failed: connect failed: No route to host" >&2; exit 255'`);
    await new Promise((r) => p.sock.on('close', r));
    expect(await p.failure()).toBe('the proxy command exited 255: channel 0: open failed: connect failed: No route to host');
    const missing = spawnProxyCommand('/nonexistent/proxy %h');
    await new Promise((r) => missing.sock.on('close', r));
    expect(await missing.failure()).toMatch(/^the proxy command exited 127: .*nonexistent/);
  });

  it('kill stops the command itself (exec, not a shell left behind)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-proxy-'));
    const p = spawnProxyCommand(`sh -c 'echo $$ > ${dir}/pid; exec sleep 60'`);
    let pid = 0;
    for (let i = 0; i < 100 && !pid; i++) {
      await new Promise((r) => setTimeout(r, 20));
      if (existsSync(join(dir, 'pid'))) pid = Number(readFileSync(join(dir, 'pid'), 'utf8')) || 0;
    }
    expect(alive(pid)).toBe(true);
    p.kill();
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
  });
});
