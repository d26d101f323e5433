import { EventEmitter } from 'node:events';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { Client, ParsedKey } from 'ssh2';
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../../src/model/inventory.js';
import { planAuth } from '../../../src/transport/auth.js';
import { acquireBastion, parseHostPort, parseProxyJump } from '../../../src/transport/proxy.js';
import { buildConnectConfig, KEEPALIVE_COUNT_MAX } from '../../../src/transport/ssh-client.js';

describe('proxy specs', () => {
  it('parses ssh -J style jump hosts', () => {
    expect(parseProxyJump('admin@bastion.example:2200', 'root')).toEqual({ user: 'admin', host: 'bastion.example', port: 2200 });
    expect(parseProxyJump('10.0.0.1', 'deploy')).toEqual({ user: 'deploy', host: '10.0.0.1', port: 22 });
    expect(parseProxyJump('me@[2001:db8::1]:22', 'x')).toEqual({ user: 'me', host: '2001:db8::1', port: 22 });
    expect(() => parseProxyJump('a@b,c@d', 'x')).toThrow(/only one jump host/);
    expect(() => parseProxyJump('@b', 'x')).toThrow(/empty user/);
  });

  it('parses SOCKS host:port, with onion names', () => {
    expect(parseHostPort('127.0.0.1:9050', 1080)).toEqual({ host: '127.0.0.1', port: 9050 });
    expect(parseHostPort('abcdefghijklmnop.onion', 1080)).toEqual({ host: 'abcdefghijklmnop.onion', port: 1080 });
    expect(() => parseHostPort('h:99999', 1)).toThrow(/port out of range/);
    expect(() => parseHostPort('a b', 1)).toThrow(/expected host:port/);
  });
});

describe('acquireBastion', () => {
  function fakeClient() {
    const c = new EventEmitter() as EventEmitter & { ended: number; end(): void };
    c.ended = 0;
    c.end = () => {
      c.ended++;
    };
    return c;
  }

  it('opens one shared connection for concurrent hosts and closes it with the last release', async () => {
    let opened = 0;
    const c = fakeClient();
    const open = async () => {
      opened++;
      await new Promise((r) => setTimeout(r, 10));
      return c as unknown as Client;
    };
    const leases = await Promise.all(Array.from({ length: 20 }, () => acquireBastion('k1', open)));
    expect(opened).toBe(1);
    leases.slice(1).forEach((l) => l.release());
    leases[1].release(); // double release is ignored
    expect(c.ended).toBe(0);
    leases[0].release();
    expect(c.ended).toBe(1);
    await acquireBastion('k1', open);
    expect(opened).toBe(2); // closed connections are not reused
  });

  it('a failed open is not cached', async () => {
    let n = 0;
    const open = async () => {
      n++;
      if (n === 1) throw new Error('refused');
      return fakeClient() as unknown as Client;
    };
    await expect(acquireBastion('k2', open)).rejects.toThrow('refused');
    await expect(acquireBastion('k2', open)).resolves.toBeTruthy();
  });
});

const conn: Connection = { address: '10.0.0.1', port: 22, user: 'deploy', become: true, connectTimeoutMs: 4000, keepaliveIntervalMs: 7000 };

describe('buildConnectConfig', () => {
  it('sets timeouts, keepalives and fast algorithms first', () => {
    const cfg = buildConnectConfig({
      address: '10.0.0.1',
      port: 2222,
      username: 'deploy',
      auth: { methods: [], tried: [] },
      readyTimeoutMs: 4000,
      keepaliveIntervalMs: 7000,
      hostKeyAlgorithms: ['ssh-ed25519'],
      verifyKey: async () => undefined,
    });
    expect(cfg).toMatchObject({ host: '10.0.0.1', port: 2222, readyTimeout: 4000, keepaliveInterval: 7000, keepaliveCountMax: KEEPALIVE_COUNT_MAX });
    expect(KEEPALIVE_COUNT_MAX).toBe(3);
    const alg = cfg.algorithms as { kex: string[]; cipher: string[]; serverHostKey: string[] };
    expect(alg.kex[0]).toBe('curve25519-sha256');
    expect(alg.cipher.slice(0, 2)).toEqual(['aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com']);
    expect(alg.serverHostKey).toEqual(['ssh-ed25519']);
  });
});

describe('planAuth', () => {
  const home = mkdtempSync(join(tmpdir(), 'fleet-home-'));
  mkdirSync(join(home, '.ssh'));
  const key = (name: string) => execFileSync('ssh-keygen', ['-q', '-t', name === 'id_rsa' ? 'rsa' : name === 'id_ecdsa' ? 'ecdsa' : 'ed25519', ...(name === 'id_rsa' ? ['-b', '2048'] : []), '-N', '', '-f', join(home, '.ssh', name)]);

  it('the host key file alone when set', () => {
    key('id_ed25519');
    const f = join(home, '.ssh', 'id_ed25519');
    const p = planAuth({ ...conn, privateKeyFile: f }, { SSH_AUTH_SOCK: '/tmp/agent' }, home);
    expect(p.tried).toEqual([`key ${f}`]);
    expect(p.methods).toEqual([{ type: 'publickey', username: 'deploy', key: expect.anything() }]);
    const loaded = (p.methods[0] as { key: ParsedKey }).key;
    expect(loaded.getPublicSSH()).toEqual((ssh2.utils.parseKey(readFileSync(f)) as ParsedKey).getPublicSSH());
  });

  it('else the agent, then ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exist', () => {
    key('id_rsa');
    const p = planAuth(conn, { SSH_AUTH_SOCK: '/tmp/agent' }, home);
    expect(p.tried).toEqual(['ssh-agent at /tmp/agent', `key ${home}/.ssh/id_ed25519`, `key ${home}/.ssh/id_rsa`]);
    expect(p.methods[0]).toEqual({ type: 'agent', username: 'deploy', agent: '/tmp/agent' });
  }, 30_000);

  it('says what is missing', () => {
    expect(() => planAuth({ ...conn, privateKeyFile: join(home, 'nope') }, {}, home)).toThrow(/cannot read private key .*nope: ENOENT/);
    expect(() => planAuth(conn, {}, join(home, 'empty'))).toThrow(/no credentials: set private_key_file, run an ssh-agent/);
  });
});
