// Proxies as Ansible inventories write them: ProxyCommand and ProxyJump in the ssh argument
// variables (the first on ssh's command line wins, as in ssh: ansible_ssh_args, then
// ansible_ssh_common_args, then ansible_ssh_extra_args), and fleet's own proxy_command and
// proxy_jump. A proxy fleet cannot read is refused where it is written, never ignored.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../../src/config/index.js';
import { parseSshArgs } from '../../../src/config/ssh-args.js';
import { FIXTURES, expectConfigError, tree } from './helpers.js';

const load = (yml: string) => {
  const dir = tree({ 'inv.yml': yml });
  return { inv: loadInventory([join(dir, 'inv.yml')]), file: join(dir, 'inv.yml') };
};

describe('proxies in an Ansible INI inventory with a bastion', () => {
  const inv = loadInventory([join(FIXTURES, 'bastion', 'hosts')]);
  const c = (h: string) => inv.hosts.get(h)!.connection;

  it('ProxyCommand in the forms people write, host and group level', () => {
    expect(c('app1').proxyCommand).toBe('ssh -W %h:%p -q admin@bastion.example.org');
    expect(c('app2')).toMatchObject({ proxyCommand: 'ssh -W %h:%p -q admin@bastion.example.org', user: 'deploy', address: '10.10.0.12' });
    // common args come before extra args on ssh's command line: the group's ProxyCommand wins
    expect(c('app3').proxyCommand).toBe('ssh -W %h:%p -q admin@bastion.example.org');
    expect(c('onion1').proxyCommand).toBe('nc -X 5 -x 127.0.0.1:9050 %h %p');
    expect(c('db1')).toMatchObject({ proxyJump: 'admin@bastion.example.org:2222' });
    expect(c('db1').proxyCommand).toBeUndefined();
  });

  it('options fleet does not apply are named, once per definition; ServerAliveInterval is applied', () => {
    expect(inv.warnings.filter((w) => /ServerAliveInterval/.test(w))).toHaveLength(0);
    // app2 takes the group's common args (ServerAliveInterval=30); app1 its own, without one.
    expect(c('app2').keepaliveIntervalMs).toBe(30_000);
    expect(c('app1').keepaliveIntervalMs).toBe(15_000);
    expect(inv.warnings.some((w) => /StrictHostKeyChecking=no/.test(w))).toBe(true);
  });
});

describe('proxy settings', () => {
  it("fleet's proxy_command and proxy_jump; none turns a group's proxy off for one host", () => {
    const { inv } = load(
      'all:\n  vars:\n    ansible_ssh_common_args: -o ProxyCommand="ssh -W %h:%p bastion"\n  hosts:\n' +
        '    a: {proxy_command: "nc -x 127.0.0.1:9050 %h %p"}\n    b: {proxy_jump: admin@bastion}\n    c: {proxy_command: none}\n    d:\n',
    );
    expect(inv.hosts.get('a')!.connection.proxyCommand).toBe('nc -x 127.0.0.1:9050 %h %p');
    expect(inv.hosts.get('b')!.connection).toMatchObject({ proxyJump: 'admin@bastion' });
    expect(inv.hosts.get('b')!.connection.proxyCommand).toBeUndefined();
    expect(inv.hosts.get('c')!.connection.proxyCommand).toBeUndefined();
    expect(inv.hosts.get('d')!.connection.proxyCommand).toBe('ssh -W %h:%p bastion');
  });

  it('refuses, naming file:line, every proxy setting it cannot read (never connects directly instead)', () => {
    const cases: [string, string][] = [
      ['ansible_ssh_common_args: -o ProxyCommand="ssh -W %h:%p', 'cannot split the arguments like a shell'],
      ["ansible_ssh_common_args: \"-o 'ProxyCommand=ssh -W %C bastion'\"", 'ProxyCommand token %C is not one fleet expands'],
      ['ansible_ssh_common_args: "-o ProxyCommand=nc %h %p"', 'unexpected word "%h" (a ProxyCommand with spaces must be quoted'],
      ['ansible_ssh_common_args: "-o ProxyCommand="', 'ProxyCommand has no value'],
      ['ansible_ssh_common_args: "-J a@b,c@d"', 'several hops'],
      ['ansible_ssh_extra_args: "-o ProxyUseFdpass=yes"', 'ProxyUseFdpass is not supported'],
      ['ansible_ssh_common_args: "-W %h:%p"', '-W belongs in the ProxyCommand'],
      ['ansible_ssh_common_args: "-o ProxyCommand=\\"ssh -W %h:%p {{ bastion }}\\""', 'is a template'],
      ['proxy_command: "nc %h %p"\n      socks_proxy: 127.0.0.1:9050', "'socks_proxy' and a ProxyCommand (proxy_command) are both set"],
      ['proxy_command: "nc %h %p"\n      proxy_jump: a@b', "'proxy_command' and 'proxy_jump' are both set"],
    ];
    for (const [vars, why] of cases) {
      const dir = tree({ 'inv.yml': `all:\n  hosts:\n    h1:\n      ${vars}\n` });
      const f = join(dir, 'inv.yml');
      // the line of the setting at fault: socks_proxy is the second line of its case
      const line = vars.includes('socks_proxy') ? 5 : 4;
      expectConfigError(() => loadInventory([f]), f, line, 7, `host 'h1'`, why);
    }
  });

  it('parseSshArgs: -o forms, grouped flags, -F, the first proxy wins', () => {
    expect(parseSshArgs(`-qC -o 'ProxyCommand ssh -W %h:%p b' -oProxyJump=x -F /etc/fleet/ssh_config -p 2222`)).toEqual({
      proxyCommand: 'ssh -W %h:%p b', configFile: '/etc/fleet/ssh_config', ignored: ['-qC', '-p 2222'],
    });
    expect(parseSshArgs('-J jump@b:22 -o ProxyCommand=nc').proxyJump).toBe('jump@b:22');
    expect(parseSshArgs('-o ControlMaster=auto -o ControlPersist=60s')).toEqual({ ignored: ['-o ControlMaster=auto', '-o ControlPersist=60s'] });
  });
});
