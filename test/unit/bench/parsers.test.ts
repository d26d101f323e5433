import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { countSessions, parseAnsibleRecap } from '../../../bench/ansible-run.js';
import { parseNdjson, totalChanged } from '../../../bench/fleet-run.js';
import { pinnedKeys } from '../../../bench/floor.js';
import { iniInventory } from '../../../bench/inventory.js';
import { descendants, parseStat } from '../../../bench/proctree.js';

describe('bench parsers', () => {
  it('reads PLAY RECAP lines', () => {
    const out = `PLAY [all] ***\n\nPLAY RECAP *********\nlab1                       : ok=41   changed=36   unreachable=0    failed=0    skipped=0\nlab10 : ok=3 changed=0 unreachable=1 failed=2 skipped=0\n`;
    const r = parseAnsibleRecap(out);
    expect(r.get('lab1')).toEqual({ ok: 41, changed: 36, unreachable: 0, failed: 0 });
    expect(r.get('lab10')).toEqual({ ok: 3, changed: 0, unreachable: 1, failed: 2 });
    expect(parseAnsibleRecap('no recap').size).toBe(0);
  });

  it('counts sessions by exact address, not by prefix', () => {
    const log = [
      "-o ControlPath=/x 10.231.0.11 /bin/sh -c 'python3'",
      "-o ControlPath=/x 10.231.0.1 /bin/sh -c 'python3'",
      '-b - -C -o ControlPath=/x [10.231.0.11]',
      "-o ControlPath=/x 10.231.0.11 /bin/sh -c 'echo ~root'",
    ].join('\n');
    const c = countSessions(log, ['10.231.0.11', '10.231.0.1', '10.231.0.12']);
    expect(c.get('10.231.0.11')).toBe(2);
    expect(c.get('10.231.0.1')).toBe(1);
    expect(c.get('10.231.0.12')).toBe(0);
  });

  it('parses fleet NDJSON host and recap events and keeps stray lines apart', () => {
    const lines = [
      JSON.stringify({ type: 'run', mode: 'apply', playbook: 'p', hosts: ['a'] }),
      JSON.stringify({ type: 'host', host: 'a', roundTrips: 1, connectMs: 12, status: 'ok' }),
      'not json',
      JSON.stringify({ type: 'recap', hosts: { a: { ok: 40, changed: 2, failed: 0, skipped: 0, unreachable: 0 } }, failures: [], durationMs: 5, mode: 'apply' }),
    ].join('\n');
    const r = parseNdjson(lines);
    expect(r.hosts.map((h) => h.roundTrips)).toEqual([1]);
    expect(totalChanged(r.recap)).toBe(2);
    expect(r.noise).toEqual(['not json']);
    expect(totalChanged(undefined)).toBeNaN();
  });

  it('parses /proc stat lines whose command holds spaces and parentheses', () => {
    const text = '4242 (ansible (worker) x) S 4200 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 1 1 1';
    expect(parseStat(text)).toEqual({ pid: 4242, ppid: 4200, cpuTicks: 300 });
    const tree = [
      { pid: 1, ppid: 0, cpuTicks: 0 },
      { pid: 10, ppid: 1, cpuTicks: 0 },
      { pid: 11, ppid: 10, cpuTicks: 0 },
      { pid: 12, ppid: 11, cpuTicks: 0 },
      { pid: 20, ppid: 1, cpuTicks: 0 },
    ];
    expect(descendants(tree, 10).sort()).toEqual([10, 11, 12]);
  });

  it('finds pinned host keys in plain, comma-listed and hashed known_hosts lines', () => {
    const salt = Buffer.from('0123456789abcdef0123');
    const hash = createHmac('sha1', salt).update('10.0.0.9').digest('base64');
    const kh = [
      'lab1,10.0.0.7 ssh-ed25519 AAAA',
      '[10.0.0.8]:2222 ssh-ed25519 BBBB',
      `|1|${salt.toString('base64')}|${hash} ssh-ed25519 CCCC`,
      '10.0.0.70 ssh-ed25519 DDDD',
    ].join('\n');
    expect(pinnedKeys(kh, '10.0.0.7')).toEqual([Buffer.from('AAAA', 'base64')]);
    expect(pinnedKeys(kh, '10.0.0.8', 2222)).toEqual([Buffer.from('BBBB', 'base64')]);
    expect(pinnedKeys(kh, '10.0.0.8')).toEqual([]);
    expect(pinnedKeys(kh, '10.0.0.9')).toEqual([Buffer.from('CCCC', 'base64')]);
  });

  it('writes one INI inventory both tools read', () => {
    const ini = iniInventory([{ name: 'lab1', address: '10.231.0.11' }], '/k');
    expect(ini).toContain('[bench]\nlab1 ansible_host=10.231.0.11 ansible_user=root ansible_ssh_private_key_file=/k\n');
  });
});
