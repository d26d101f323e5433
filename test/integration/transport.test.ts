// transport/ against real sshd on the lab hosts: exec, big scripts, sudo (NOPASSWD and with a
// password), host key pinning, unreachable hosts, ProxyJump, SOCKS5, keepalives, round trips.
// Every test pins keys in its own temporary known_hosts, so the lab's files are never touched.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Connection, Host } from '../../src/model/inventory.js';
import { HostKeyError, UnreachableError, type HostSession } from '../../src/model/transport.js';
import { acceptHostKey, BecomeError, connect, fingerprint, scanHostKey } from '../../src/transport/index.js';
import { describeLab, labAvailable, labHost, labHosts, labInfo, sshRun } from './helpers/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'fleet-transport-'));
// Three lab hosts that answer ssh now (A is also the bastion and the SOCKS tunnel's end).
let A = '';
let B = '';
let C = '';
beforeAll(async () => {
  if (!labAvailable()) return;
  const up = await Promise.all(labHosts().map(async (h) => ((await sshRun(h.name, 'true', { timeoutMs: 15_000 })).code === 0 ? h.name : '')));
  const ok = up.filter(Boolean);
  if (ok.length < 3) throw new Error(`transport tests need 3 lab hosts answering ssh; these do: ${ok.join(', ') || 'none'}`);
  [A, B, C] = ok;
}, 60_000);
let seq = 0;

function host(name: string, over: Partial<Connection> = {}, address?: string): Host {
  return {
    name,
    groups: ['all'],
    vars: {},
    varSources: {},
    connection: {
      address: address ?? labHost(name).address,
      port: 22,
      user: 'root',
      become: false,
      privateKeyFile: labInfo().keyFile,
      connectTimeoutMs: 5000,
      keepaliveIntervalMs: 15000,
      ...over,
    },
  };
}

/** A fresh known_hosts: a copy of the lab's (all hosts pinned), or empty. */
function knownHosts(kind: 'lab' | 'empty', extra = ''): string {
  const f = join(tmp, `known_hosts.${++seq}`);
  if (kind === 'lab') copyFileSync(labInfo().knownHostsFile, f);
  else writeFileSync(f, '');
  if (extra) writeFileSync(f, readFileSync(f, 'utf8') + extra);
  return f;
}

/** The lab host's public key of a type, as a wire blob. */
function labKey(name: string, type: string): Buffer {
  const line = labHost(name).hostKeys.find((k) => k.startsWith(type + ' '));
  if (!line) throw new Error(`${name} has no ${type} key`);
  return Buffer.from(line.split(' ')[1], 'base64');
}

const sessions: HostSession[] = [];
async function open(h: Host, kh = knownHosts('lab'), acceptNewHostKeys = false): Promise<HostSession> {
  const s = await connect(h, { knownHostsFile: kh, acceptNewHostKeys });
  sessions.push(s);
  return s;
}
afterAll(() => sessions.forEach((s) => s.close()));

describeLab('transport: exec over real ssh', () => {
  it('runs a script: stdout, stderr, exit code, connectMs, one round trip per run', async () => {
    const s = await open(host(A));
    expect(s.connectMs).toBeGreaterThan(0);
    expect(s.roundTrips).toBe(0);
    const r = await s.run('echo "hello from $(hostname)"\necho oops >&2\nexit 3\n');
    expect(r).toEqual({ rc: 3, stdout: `hello from ${A}\n`, stderr: 'oops\n' });
    expect(s.roundTrips).toBe(1);
    await s.run('true');
    await s.run('true');
    expect(s.roundTrips).toBe(3);
    const killed = await s.run('kill -TERM $$');
    expect(killed.rc).toBe(255);
    expect(killed.stderr).toContain('killed by signal SIGTERM');
  });

  it('the script is not on the command line: a 2 MB script (file body in a here-document) arrives intact', async () => {
    const s = await open(host(A));
    const data = randomBytes(1_500_000).toString('base64'); // ~2 MB of base64
    const script = `base64 -d <<'FLEET_EOF' | sha256sum\n${data.replace(/(.{76})/g, '$1\n')}\nFLEET_EOF\nps -o args= -p $$ | wc -c\n`;
    expect(script.length).toBeGreaterThan(2_000_000);
    const r = await s.run(script);
    expect(r.rc).toBe(0);
    const [sum, argLen] = r.stdout.trim().split('\n');
    expect(sum.split(/\s+/)[0]).toBe(createHash('sha256').update(Buffer.from(data, 'base64')).digest('hex'));
    expect(Number(argLen)).toBeLessThan(200); // the shell's command line is the short runner, not the script
  });

  it('a command reading stdin does not swallow the rest of the script', async () => {
    const s = await open(host(A));
    const r = await s.run('cat\necho still running\n');
    expect(r).toEqual({ rc: 0, stdout: 'still running\n', stderr: '' });
  });

  it('runs several scripts at once on one connection', async () => {
    const s = await open(host(B));
    const rs = await Promise.all([1, 2, 3, 4, 5].map((i) => s.run(`sleep 0.2; echo ${i}`)));
    expect(rs.map((r) => r.stdout.trim())).toEqual(['1', '2', '3', '4', '5']);
    expect(s.roundTrips).toBe(5);
  });
});

describeLab('transport: become', () => {
  it('NOPASSWD sudo user: become runs as root, without become as the user', async () => {
    const s = await open(host(A, { user: 'deploy', become: true }));
    expect(await s.run('id -un; echo "$HOME"')).toEqual({ rc: 0, stdout: 'root\n/root\n', stderr: '' });
    expect((await s.run('id -un', { become: false })).stdout).toBe('deploy\n');
    expect((await s.run('exit 5')).rc).toBe(5);
  });

  it('sudo with a password from a file: runs as root, the password is in no output', async () => {
    const pw = readFileSync(labInfo().deployPasswordFile, 'utf8').trim();
    expect(pw.length).toBeGreaterThan(3);
    const s = await open(host(A, { user: 'deploypw', become: true, becomePasswordFile: labInfo().deployPasswordFile }));
    const r = await s.run('id -un\nset\nenv\ncat /proc/$$/cmdline | tr "\\0" " "\n');
    expect(r.rc).toBe(0);
    expect(r.stdout.startsWith('root\n')).toBe(true);
    expect(r.stdout + r.stderr).not.toContain(pw);
    expect((await s.run('id -un', { become: false })).stdout).toBe('deploypw\n');
  });

  it('the password path also works when the sudoers rule is in fact NOPASSWD', async () => {
    process.env.FLEET_TEST_BECOME_PW = 'not-needed-here';
    const s = await open(host(A, { user: 'deploy', become: true, becomePasswordEnv: 'FLEET_TEST_BECOME_PW' }));
    const r = await s.run('id -un; set');
    expect(r.stdout.startsWith('root\n')).toBe(true);
    expect(r.stdout + r.stderr).not.toContain('not-needed-here');
  });

  it('a wrong password: a clear error that names user and host and never shows the password', async () => {
    const f = join(tmp, 'wrong.pw');
    writeFileSync(f, 'WrongPassword-4711\n');
    const s = await open(host(A, { user: 'deploypw', become: true, becomePasswordFile: f }));
    const err = await s.run('echo should-not-run').catch((e: Error) => e);
    expect(err).toBeInstanceOf(BecomeError);
    expect((err as Error).message).toBe(`sudo: incorrect password for deploypw on ${A}`);
    expect((err as Error).message + (err as Error).stack).not.toContain('WrongPassword-4711');
    // the connection is still usable without become
    expect((await s.run('echo fine', { become: false })).stdout).toBe('fine\n');
  });

  it('a password-protected sudo user without a password configured: says what to set', async () => {
    const s = await open(host(A, { user: 'deploypw', become: true }));
    await expect(s.run('id')).rejects.toThrow(`a password is required for deploypw on ${A}: set become_password_env or become_password_file`);
  });
});

describeLab('transport: host keys', () => {
  it('unknown host: refused with the fingerprint and how to accept it', async () => {
    const kh = knownHosts('empty');
    const err = await connect(host(A), { knownHostsFile: kh, acceptNewHostKeys: false }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(HostKeyError);
    const fp = fingerprint(labKey(A, 'ssh-ed25519'));
    expect((err as Error).message).toBe(
      `host key for ${A} (${labHost(A).address}:22) is not known: ED25519 key ${fp}. Accept it with: fleet hostkeys accept ${A} (or run with --accept-new-hostkeys)`,
    );
    expect(readFileSync(kh, 'utf8')).toBe('');
  });

  it('accept-new records the key (once, even for 8 parallel connections), then it is known', async () => {
    const kh = knownHosts('empty');
    const ss = await Promise.all(Array.from({ length: 8 }, () => open(host(B), kh, true)));
    expect(ss).toHaveLength(8);
    const lines = readFileSync(kh, 'utf8').trim().split('\n');
    expect(lines).toEqual([`${labHost(B).address} ssh-ed25519 ${labKey(B, 'ssh-ed25519').toString('base64')}`]);
    const again = await open(host(B), kh, false);
    expect((await again.run('hostname')).stdout).toBe(`${B}\n`);
  });

  it('a changed key is refused with both fingerprints, even with accept-new, and the file is untouched', async () => {
    const other = labKey(B, 'ssh-ed25519');
    const kh = knownHosts('empty', `${labHost(A).address} ssh-ed25519 ${other.toString('base64')}\n`);
    const before = readFileSync(kh, 'utf8');
    for (const acceptNew of [false, true]) {
      const err = await connect(host(A), { knownHostsFile: kh, acceptNewHostKeys: acceptNew }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(HostKeyError);
      const msg = (err as Error).message;
      expect(msg).toContain(`HOST KEY CHANGED for ${A} (${labHost(A).address}:22)`);
      expect(msg).toContain(`pinned ED25519 key ${fingerprint(other)} (${kh}:1)`);
      expect(msg).toContain(`offered ED25519 key ${fingerprint(labKey(A, 'ssh-ed25519'))}`);
      expect(msg).toContain(`ssh-keygen -R '${labHost(A).address}' -f ${kh}`);
    }
    expect(readFileSync(kh, 'utf8')).toBe(before);
  });

  it('only the pinned key type is negotiated: an RSA pin connects, hashed entries match', async () => {
    const rsa = labKey(A, 'ssh-rsa');
    const kh = knownHosts('empty', `${labHost(A).address} ssh-rsa ${rsa.toString('base64')}\n`);
    const s = await open(host(A), kh);
    expect((await s.run('echo rsa')).stdout).toBe('rsa\n');
    const hashed = join(tmp, 'hashed');
    copyFileSync(labInfo().knownHostsFile, hashed);
    await new Promise<void>((res, rej) =>
      spawn('ssh-keygen', ['-q', '-H', '-f', hashed], { stdio: 'ignore' }).on('close', (c) => (c === 0 ? res() : rej(new Error(`ssh-keygen ${c}`)))),
    );
    expect(readFileSync(hashed, 'utf8')).not.toContain(labHost(A).address);
    const s2 = await open(host(A), hashed);
    expect((await s2.run('echo hashed')).stdout).toBe('hashed\n');
  });

  it('scanHostKey and acceptHostKey: record once, refuse to replace a different key', async () => {
    const scanned = await scanHostKey(host(C));
    expect(scanned).toEqual({ keyType: 'ssh-ed25519', key: labKey(C, 'ssh-ed25519'), fingerprint: fingerprint(labKey(C, 'ssh-ed25519')) });
    const kh = knownHosts('empty');
    expect(await acceptHostKey(kh, host(C))).toBe(scanned.fingerprint);
    expect(await acceptHostKey(kh, host(C))).toBe(scanned.fingerprint);
    expect(readFileSync(kh, 'utf8').trim().split('\n')).toHaveLength(1);
    const wrong = knownHosts('empty', `${labHost(C).address} ssh-ed25519 ${labKey(A, 'ssh-ed25519').toString('base64')}\n`);
    await expect(acceptHostKey(wrong, host(C))).rejects.toThrow(new RegExp(`a different host key is already pinned for ${C} .*ssh-keygen -R`));
  });
});

describeLab('transport: unreachable hosts', () => {
  it('an address nobody answers on: UnreachableError within the connect timeout, naming address:port', async () => {
    const started = Date.now();
    const ghost = labInfo().subnet.replace(/\.0\/24$/, '.250'); // on the lab bridge, but nobody there
    const err = await connect(host('ghost', { connectTimeoutMs: 1500 }, ghost), { knownHostsFile: knownHosts('lab'), acceptNewHostKeys: false }).catch(
      (e: Error) => e,
    );
    expect(Date.now() - started).toBeLessThan(4000);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as Error).message).toMatch(new RegExp(`^ghost: cannot connect to ${ghost.replace(/\./g, '\\.')}:22: (no answer to the TCP connect within 1\\.5 s|no route to host)$`));
  });

  it('connection refused and DNS failures are named', async () => {
    const refused = await connect(host(A, { port: 2 }), { knownHostsFile: knownHosts('lab'), acceptNewHostKeys: false }).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(UnreachableError);
    expect((refused as Error).message).toBe(`${A}: cannot connect to ${labHost(A).address}:2: connection refused`);
    const dns = await connect(host('nx', { connectTimeoutMs: 3000 }, 'no-such-host.invalid'), { knownHostsFile: knownHosts('lab'), acceptNewHostKeys: false }).catch(
      (e: Error) => e,
    );
    expect(dns).toBeInstanceOf(UnreachableError);
    expect((dns as Error).message).toMatch(/^nx: cannot connect to no-such-host\.invalid:22: (cannot resolve no-such-host\.invalid|no answer to the TCP connect within 3 s)/);
  });

  it('authentication failure names the user and what was tried', async () => {
    const f = join(tmp, 'stranger_key');
    await new Promise<void>((res) => spawn('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', f]).on('close', () => res()));
    const err = await connect(host(A, { privateKeyFile: f }), { knownHostsFile: knownHosts('lab'), acceptNewHostKeys: false }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as Error).message).toBe(`${A}: cannot connect to ${labHost(A).address}:22: authentication failed as root (tried key ${f})`);
  });
});

/** A TCP relay to a lab host that can be frozen (stops passing bytes) or cut. */
function relay(address: string): Promise<{ port: number; freeze(): void; cut(): void; close(): void }> {
  const pairs: net.Socket[][] = [];
  let frozen = false;
  const server = net.createServer((c) => {
    const up = net.connect(22, address);
    pairs.push([c, up]);
    c.on('data', (d) => frozen || up.write(d));
    up.on('data', (d) => frozen || c.write(d));
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
    c.on('close', () => up.destroy());
    up.on('close', () => c.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        freeze: () => (frozen = true),
        cut: () => pairs.flat().forEach((s) => s.destroy()),
        close: () => server.close(),
      }),
    ),
  );
}

describeLab('transport: lost connections', () => {
  it('keepalives notice a silent peer: a pending run rejects with UnreachableError', async () => {
    const r = await relay(labHost(A).address);
    try {
      const kh = knownHosts('empty');
      const s = await open(host(A, { keepaliveIntervalMs: 300, port: r.port }, '127.0.0.1'), kh, true);
      expect(readFileSync(kh, 'utf8')).toMatch(/^\[127\.0\.0\.1\]:\d+ ssh-ed25519 /);
      expect((await s.run('echo up')).stdout).toBe('up\n');
      const pending = s.run('sleep 30; echo never');
      await new Promise((res) => setTimeout(res, 200));
      const started = Date.now();
      r.freeze();
      const err = await pending.catch((e: Error) => e);
      expect(Date.now() - started).toBeLessThan(3000); // 300 ms x (3 unanswered + 1)
      expect(err).toBeInstanceOf(UnreachableError);
      expect((err as Error).message).toMatch(new RegExp(`^${A}: lost connection to 127\\.0\\.0\\.1:\\d+: no answer to keepalives`));
      await expect(s.run('true')).rejects.toBeInstanceOf(UnreachableError);
    } finally {
      r.close();
    }
  });

  it('a connection cut during a run rejects it with UnreachableError', async () => {
    const r = await relay(labHost(B).address);
    try {
      const s = await open(host(B, { port: r.port }, '127.0.0.1'), knownHosts('empty'), true);
      const pending = s.run('sleep 30');
      await new Promise((res) => setTimeout(res, 300));
      r.cut();
      await expect(pending).rejects.toBeInstanceOf(UnreachableError);
    } finally {
      r.close();
    }
  });
});

describeLab('transport: ports and aborts', () => {
  it('portOverride: the same key pinned for the address on another port is accepted (sshd moved); another key is not', async () => {
    const r = await relay(labHost(A).address);
    try {
      const kh = knownHosts('empty', `127.0.0.1 ssh-ed25519 ${labKey(A, 'ssh-ed25519').toString('base64')}\n`);
      const s = await connect(host(A, {}, '127.0.0.1'), { knownHostsFile: kh, acceptNewHostKeys: false, portOverride: r.port });
      sessions.push(s);
      expect((await s.run('hostname')).stdout).toBe(`${A}\n`);
      const other = knownHosts('empty', `127.0.0.1 ssh-ed25519 ${labKey(B, 'ssh-ed25519').toString('base64')}\n`);
      const err = await connect(host(A, {}, '127.0.0.1'), { knownHostsFile: other, acceptNewHostKeys: false, portOverride: r.port }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(HostKeyError);
      expect((err as Error).message).toContain(`host key for ${A} (127.0.0.1:${r.port}) is not known`);
    } finally {
      r.close();
    }
  });

  it('the abort signal stops a connect and closes a session, rejecting its pending run', async () => {
    const pre = new AbortController();
    pre.abort();
    await expect(connect(host(A), { knownHostsFile: knownHosts('lab'), acceptNewHostKeys: false, signal: pre.signal })).rejects.toBeInstanceOf(UnreachableError);
    const ac = new AbortController();
    const s = await connect(host(A), { knownHostsFile: knownHosts('lab'), acceptNewHostKeys: false, signal: ac.signal });
    const pending = s.run('sleep 30');
    await new Promise((res) => setTimeout(res, 200));
    const started = Date.now();
    ac.abort();
    await expect(pending).rejects.toBeInstanceOf(UnreachableError);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describeLab('transport: proxies', () => {
  let socksChild: ChildProcess | undefined;
  let socksPort = 0;

  beforeAll(async () => {
    // OpenSSH's dynamic forward is a real SOCKS5 server: a tunnel through lab1.
    socksPort = 20000 + Math.floor(Math.random() * 20000);
    const info = labInfo();
    socksChild = spawn(
      'ssh',
      ['-N', '-D', `127.0.0.1:${socksPort}`, '-i', info.keyFile, '-o', `UserKnownHostsFile=${info.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes',
        '-o', 'BatchMode=yes', '-o', 'ExitOnForwardFailure=yes', `root@${labHost(A).address}`],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((res) => {
        const c = net.connect(socksPort, '127.0.0.1', () => (c.destroy(), res(true)));
        c.on('error', () => res(false));
      });
      if (ok) return;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error('the ssh -D SOCKS proxy did not start');
  });
  afterAll(() => socksChild?.kill());

  it('ProxyJump through lab1 to lab2', async () => {
    const s = await open(host(B, { proxyJump: `root@${labHost(A).address}:22` }));
    const r = await s.run('hostname; echo "$SSH_CONNECTION"');
    const [name, conn] = r.stdout.trim().split('\n');
    expect(name).toBe(B);
    expect(conn.split(' ')[0]).toBe(labHost(A).address); // lab2 saw the bastion as the client
    expect(s.roundTrips).toBe(1);
  });

  it('ProxyJump: several hosts behind one bastion at once; closing one keeps the others; accept works through it', async () => {
    const h = (n: string) => host(n, { proxyJump: `root@${labHost(A).address}` });
    const ss = await Promise.all([open(h(B)), open(h(C)), open(h(B))]);
    const rs = await Promise.all(ss.map((s) => s.run('hostname')));
    expect(rs.map((r) => r.stdout)).toEqual([`${B}\n`, `${C}\n`, `${B}\n`]);
    // Sharing itself is checked in test/unit/transport (acquireBastion); here: closing one host
    // must not break the others that use the same bastion.
    ss[0].close();
    expect((await ss[1].run('echo alive')).stdout).toBe('alive\n');
    await expect(ss[0].run('true')).rejects.toBeInstanceOf(UnreachableError);
    const kh = knownHosts('empty', `${labHost(A).address} ssh-ed25519 ${labKey(A, 'ssh-ed25519').toString('base64')}\n`);
    expect(await acceptHostKey(kh, h(C))).toBe(fingerprint(labKey(C, 'ssh-ed25519')));
    expect(readFileSync(kh, 'utf8')).toContain(`${labHost(C).address} ssh-ed25519 `);
  });

  it('ProxyJump: an unknown bastion key is refused, naming the bastion', async () => {
    const kh = knownHosts('empty', `${labHost(B).address} ssh-ed25519 ${labKey(B, 'ssh-ed25519').toString('base64')}\n`);
    const err = await connect(host(B, { proxyJump: `root@${labHost(A).address}` }), { knownHostsFile: kh, acceptNewHostKeys: false }).catch(
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as Error).message).toMatch(new RegExp(`^host key for bastion ${labHost(A).address.replace(/\./g, '\\.')} \\(.*:22\\) is not known`));
  });

  it('SOCKS5 through a real SOCKS proxy (ssh -D on lab1) to lab3', async () => {
    const s = await open(host(C, { socksProxy: `127.0.0.1:${socksPort}` }));
    const r = await s.run('hostname; echo "$SSH_CONNECTION"');
    const [name, conn] = r.stdout.trim().split('\n');
    expect(name).toBe(C);
    expect(conn.split(' ')[0]).toBe(labHost(A).address);
  });

  it('SOCKS5: a dead proxy and an unreachable destination are named', async () => {
    const dead = await connect(host(C, { socksProxy: '127.0.0.1:1' }), { knownHostsFile: knownHosts('lab'), acceptNewHostKeys: false }).catch((e: Error) => e);
    expect(dead).toBeInstanceOf(UnreachableError);
    expect((dead as Error).message).toBe(
      `${C}: cannot connect to ${labHost(C).address}:22 through SOCKS5 proxy 127.0.0.1:1: the SOCKS5 proxy 127.0.0.1:1 is not reachable (ECONNREFUSED)`,
    );
    const refused = await connect(host(C, { socksProxy: `127.0.0.1:${socksPort}`, port: 2 }), { knownHostsFile: knownHosts('lab'), acceptNewHostKeys: false }).catch(
      (e: Error) => e,
    );
    expect(refused).toBeInstanceOf(UnreachableError);
    expect((refused as Error).message).toMatch(new RegExp(`^${C}: cannot connect to .*:2 through SOCKS5 proxy 127\\.0\\.0\\.1:${socksPort}: the SOCKS5 proxy said: `));
  });
});
