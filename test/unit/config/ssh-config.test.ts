// ~/.ssh/config as OpenSSH applies it (the expected values are what `ssh -G` printed for the
// same file), under the inventory: what the inventory sets wins, the file fills the rest,
// and `fleet vars` names the file:line of each setting it contributed.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../../src/config/index.js';
import { FIXTURES, expectConfigError, tree } from './helpers.js';

const DIR = join(FIXTURES, 'ssh-config');
const CFG = join(DIR, 'ssh_config');
const line = (text: string, file = CFG) => readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;

describe('~/.ssh/config under the inventory', () => {
  const inv = loadInventory([join(DIR, 'hosts.yml')]);
  const c = (h: string) => inv.hosts.get(h)!.connection;
  const src = (h: string) => inv.hosts.get(h)!.connectionSources!;

  it('an alias gets HostName, User, Port and IdentityFile (tokens expanded) from its Host block', () => {
    expect(c('matrix')).toMatchObject({ address: 'matrix.example.org', user: 'admin', port: 2200, privateKeyFile: join(homedir(), '.ssh/id_admin_matrix') });
    expect(src('matrix').address).toEqual({ source: { file: CFG, line: line('HostName matrix.example.org'), column: 5 }, setting: 'HostName' });
  });

  it('the first value obtained wins; Include is read at its place; inventory values win', () => {
    expect(c('mail1')).toMatchObject({ address: '203.0.113.25', port: 2525, user: 'admin' });
    expect(src('mail1').user).toMatchObject({ setting: 'ansible_user' });
    expect(src('mail1').port!.source.file).toBe(join(DIR, 'config.d', 'mail.conf'));
    expect(c('mail2')).toMatchObject({ address: 'mail2.mail.example.org', port: 22, user: 'fallback' });
  });

  it('Host patterns match ansible_host; ProxyJump names an alias, resolved through the same file', () => {
    expect(c('app')).toMatchObject({ address: '10.20.0.5', user: 'deploy', proxyJump: 'jump@198.51.100.7:2222' });
    expect(src('app').proxyJump).toMatchObject({ setting: 'ProxyJump', source: { line: line('ProxyJump bastion') } });
  });

  it('ProxyCommand for Tor hosts; proxy_jump: none in the inventory keeps the file from adding one', () => {
    expect(c('hidden')).toMatchObject({ proxyCommand: 'nc -X 5 -x 127.0.0.1:9050 %h %p', user: 'root' });
    expect(c('plain').proxyJump).toBeUndefined();
    expect(c('plain').proxyCommand).toBeUndefined();
  });

  it('FLEET_SSH_CONFIG names the file; none (the tests\' setting) reads none', () => {
    const dir = tree({ 'hosts.yml': 'all:\n  hosts:\n    matrix:\n' });
    const saved = process.env.FLEET_SSH_CONFIG;
    try {
      process.env.FLEET_SSH_CONFIG = CFG;
      expect(loadInventory([dir]).hosts.get('matrix')!.connection.address).toBe('matrix.example.org');
      process.env.FLEET_SSH_CONFIG = 'none';
      expect(loadInventory([dir]).hosts.get('matrix')!.connection).toMatchObject({ address: 'matrix', user: 'root', port: 22 });
    } finally {
      process.env.FLEET_SSH_CONFIG = saved;
    }
  });

  it('-F in ansible_ssh_common_args names the file too', () => {
    const dir = tree({ 'hosts.yml': `all:\n  hosts:\n    matrix: {ansible_ssh_common_args: "-F ${CFG}"}\n` });
    expect(loadInventory([dir]).hosts.get('matrix')!.connection.port).toBe(2200);
  });

  it('refuses, at the file\'s line, what it cannot evaluate or apply', () => {
    const cases: [string, number, string][] = [
      ['Match host 10.* exec "test -e /etc/vpn"\n  ProxyJump b\n', 1, "Match exec is not supported by fleet, and this block may set proxyjump (line 2) for host '10.1.1.1'"],
      ['Host 10.*\n  ProxyCommand ssh -W %h:%p %C\n', 2, 'ProxyCommand token %C is not one fleet expands'],
      ['Host 10.*\n  ProxyJump a,b\n', 2, 'several hops'],
      ['Host 10.*\n  Port ssh\n', 2, 'Port must be a number'],
      ['Host 10.*\n  ProxyJump j\nHost j\n  ProxyJump k\n', 2, 'that jump host is itself reached through a proxy'],
      ['Host 10.*\n  CanonicalizeHostname yes\n', 2, 'CanonicalizeHostname is not supported'],
      ['Host 10.*\n  ProxyCommand nc %h %p\n  ProxyUseFdpass yes\n', 3, 'ProxyUseFdpass is not supported'],
    ];
    for (const [cfg, at, why] of cases) {
      const dir = tree({ ssh_config: cfg, 'hosts.yml': 'all:\n  vars: {ssh_config_file: ssh_config}\n  hosts:\n    h: {ansible_host: 10.1.1.1}\n' });
      expectConfigError(() => loadInventory([join(dir, 'hosts.yml')]), join(dir, 'ssh_config'), at, at === 1 ? 1 : 3, why);
    }
    // A Match exec block that cannot apply anyway (its host criterion fails) is harmless.
    const ok = tree({ ssh_config: 'Match host 192.* exec "false"\n  ProxyJump b\n', 'hosts.yml': 'all:\n  vars: {ssh_config_file: ssh_config}\n  hosts:\n    h: {ansible_host: 10.1.1.1}\n' });
    expect(loadInventory([join(ok, 'hosts.yml')]).hosts.get('h')!.connection.proxyJump).toBeUndefined();
  });

  it('fleet vars HOST shows how the host is reached, each setting with its source; fleet vars HOST address names the line', () => {
    const main = resolve('dist/fleet.cjs');
    const r = spawnSync(process.execPath, [main, 'vars', 'matrix', '-i', join(DIR, 'hosts.yml')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`#   address: "matrix.example.org"  (${CFG}:${line('HostName matrix.example.org')} HostName)`);
    expect(r.stdout).toContain(`#   port: 2200  (${CFG}:${line('Port 2200')} Port)`);
    const one = spawnSync(process.execPath, [main, 'vars', 'matrix', 'ansible_host', '-i', join(DIR, 'hosts.yml')], { encoding: 'utf8' });
    expect(one.stdout).toBe(`ansible_host = "matrix.example.org"\n  from ${CFG}:${line('HostName matrix.example.org')} (HostName)\n`);
  });
});
