import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  appendKnownHost,
  checkHostKey,
  entryMatches,
  formatKnownHostsLine,
  hostToken,
  parseKnownHosts,
  pinnedFor,
  readKnownHosts,
} from '../../../src/transport/known-hosts.js';

const dir = mkdtempSync(join(tmpdir(), 'fleet-kh-'));

/** A real public key blob made by ssh-keygen. */
function makeKey(type: 'ed25519' | 'ecdsa' | 'rsa', name: string): { line: string; blob: Buffer; keyType: string } {
  const f = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-f', f]);
  const [keyType, b64] = readFileSync(f + '.pub', 'utf8').trim().split(/\s+/);
  return { line: `${keyType} ${b64}`, blob: Buffer.from(b64, 'base64'), keyType };
}

let k1: ReturnType<typeof makeKey>;
let k2: ReturnType<typeof makeKey>;
let kr: ReturnType<typeof makeKey>;
beforeAll(() => {
  k1 = makeKey('ed25519', 'k1');
  k2 = makeKey('ed25519', 'k2');
  kr = makeKey('rsa', 'kr');
}, 30_000);

describe('hostToken', () => {
  it('is the bare address on port 22 and [addr]:port otherwise, lower-cased', () => {
    expect(hostToken('Web1.Example.com', 22)).toBe('web1.example.com');
    expect(hostToken('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
  });
});

describe('parseKnownHosts', () => {
  it('reads plain, [host]:port, comma lists, markers; skips comments and reports bad lines with file:line', () => {
    const text = [
      '# comment',
      '',
      `10.0.0.1,web1 ${k1.line} a comment`,
      `[10.0.0.2]:2222 ${k2.line}`,
      `@revoked * ${kr.line}`,
      `@cert-authority *.example.com ${k2.line}`,
      `@weird 10.0.0.9 ${k2.line}`,
      `10.0.0.3 ssh-ed25519 notbase64!!`,
      `10.0.0.4 ssh-rsa ${k1.line.split(' ')[1]}`,
      `10.0.0.5 onlytwo`,
    ].join('\n');
    const { entries, warnings } = parseKnownHosts(text, 'inv/known_hosts');
    expect(entries.map((e) => [e.line, e.hosts, e.marker])).toEqual([
      [3, '10.0.0.1,web1', undefined],
      [4, '[10.0.0.2]:2222', undefined],
      [5, '*', 'revoked'],
      [6, '*.example.com', 'cert-authority'],
    ]);
    expect(entries[0].key.equals(k1.blob)).toBe(true);
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatch(/^inv\/known_hosts:7: unknown marker @weird/);
    expect(warnings[1]).toMatch(/^inv\/known_hosts:8: /);
    expect(warnings[2]).toMatch(/^inv\/known_hosts:9: key type ssh-rsa does not match the key's own type ssh-ed25519/);
    expect(warnings[3]).toMatch(/^inv\/known_hosts:10: expected "hosts keytype base64-key"/);
  });
});

describe('entryMatches', () => {
  it('matches exact names, wildcards, and lets a negation veto', () => {
    expect(entryMatches({ hosts: '10.0.0.1,web1' }, 'web1')).toBe(true);
    expect(entryMatches({ hosts: '10.0.0.1,web1' }, 'web2')).toBe(false);
    expect(entryMatches({ hosts: '*.example.com,!bad.example.com' }, 'ok.example.com')).toBe(true);
    expect(entryMatches({ hosts: '*.example.com,!bad.example.com' }, 'bad.example.com')).toBe(false);
    expect(entryMatches({ hosts: '10.0.0.?' }, '10.0.0.7')).toBe(true);
    expect(entryMatches({ hosts: '10.0.0.1' }, '[10.0.0.1]:2222')).toBe(false);
    expect(entryMatches({ hosts: '[10.0.0.1]:2222' }, '[10.0.0.1]:2222')).toBe(true);
    // dots are literal, not regex wildcards
    expect(entryMatches({ hosts: '10.0.0.1' }, '10a0b0c1')).toBe(false);
  });

  it('matches hashed entries written by ssh-keygen -H, for port 22 and other ports', () => {
    const f = join(dir, 'hashed_known_hosts');
    writeFileSync(f, `10.1.2.3 ${k1.line}\n[10.1.2.4]:2200 ${k2.line}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', f], { stdio: 'ignore' });
    const text = readFileSync(f, 'utf8');
    expect(text).not.toContain('10.1.2.3');
    const { entries } = parseKnownHosts(text);
    expect(entries).toHaveLength(2);
    expect(entries[0].hosts).toMatch(/^\|1\|/);
    expect(entryMatches(entries[0], '10.1.2.3')).toBe(true);
    expect(entryMatches(entries[0], '10.1.2.33')).toBe(false);
    expect(entryMatches(entries[1], '[10.1.2.4]:2200')).toBe(true);
    expect(entryMatches(entries[1], '10.1.2.4')).toBe(false);
    expect(checkHostKey(entries, '10.1.2.4', 2200, k2.blob).kind).toBe('known');
    expect(checkHostKey(entries, '10.1.2.4', 2200, k1.blob).kind).toBe('changed');
  });
});

describe('checkHostKey', () => {
  const text = () =>
    [`10.0.0.1 ${k1.line}`, `[10.0.0.2]:2222 ${k2.line}`, `10.0.0.2 ${k1.line}`, `@revoked * ${kr.line}`, `@cert-authority * ${k2.line}`].join('\n');

  it('known when the offered key is pinned for that address:port', () => {
    const { entries } = parseKnownHosts(text());
    expect(checkHostKey(entries, '10.0.0.1', 22, k1.blob)).toMatchObject({ kind: 'known', entry: { line: 1 } });
    expect(checkHostKey(entries, '10.0.0.2', 2222, k2.blob)).toMatchObject({ kind: 'known', entry: { line: 2 } });
  });

  it('changed when a different key is pinned, listing the pinned entries', () => {
    const { entries } = parseKnownHosts(text());
    const v = checkHostKey(entries, '10.0.0.1', 22, k2.blob);
    expect(v.kind).toBe('changed');
    if (v.kind === 'changed') expect(v.pinned.map((p) => p.line)).toEqual([1]);
  });

  it('unknown when nothing is pinned; cert-authority lines do not pin', () => {
    const { entries } = parseKnownHosts(text());
    expect(checkHostKey(entries, '10.0.0.9', 22, k2.blob).kind).toBe('unknown');
    expect(pinnedFor(entries, '10.0.0.9', 22)).toEqual([]);
  });

  it('revoked wins over everything', () => {
    const { entries } = parseKnownHosts(text() + `\n10.0.0.5 ${kr.line}`);
    expect(checkHostKey(entries, '10.0.0.5', 22, kr.blob).kind).toBe('revoked');
  });

  it('accepts the same key pinned for the same address on another port (sshd moved), never a different one', () => {
    const { entries } = parseKnownHosts(text());
    expect(checkHostKey(entries, '10.0.0.1', 2200, k1.blob)).toMatchObject({ kind: 'known', otherPort: true });
    expect(checkHostKey(entries, '10.0.0.2', 22, k2.blob)).toMatchObject({ kind: 'changed' }); // port 22 has k1 pinned
    expect(checkHostKey(entries, '10.0.0.1', 2200, k2.blob).kind).toBe('unknown');
  });
});

describe('appendKnownHost', () => {
  it('writes lines ssh-keygen -F finds, and adds a missing final newline first', async () => {
    const f = join(dir, 'kh-append');
    writeFileSync(f, `10.9.9.9 ${kr.line}`); // no trailing newline
    expect(await appendKnownHost(f, '10.0.0.7', 2222, k1.blob)).toEqual({ result: 'added' });
    expect(readFileSync(f, 'utf8')).toBe(`10.9.9.9 ${kr.line}\n${formatKnownHostsLine('10.0.0.7', 2222, k1.blob)}\n`);
    const found = execFileSync('ssh-keygen', ['-F', '[10.0.0.7]:2222', '-f', f], { encoding: 'utf8' });
    expect(found).toContain(k1.line.split(' ')[1]);
  });

  it('50 concurrent appends: each host once, the same key never twice, a different key never over a pinned one', async () => {
    const f = join(dir, 'kh-concurrent');
    const jobs = [];
    for (let i = 0; i < 50; i++) {
      jobs.push(appendKnownHost(f, `10.0.1.${i}`, 22, k1.blob));
      jobs.push(appendKnownHost(f, `10.0.1.${i}`, 22, k1.blob)); // same host again (e.g. two connections)
    }
    jobs.push(appendKnownHost(f, '10.0.1.0', 22, k2.blob)); // a rival key for a host already being pinned
    const res = await Promise.all(jobs);
    expect(res.filter((r) => r.result === 'added')).toHaveLength(50);
    expect(res.filter((r) => r.result === 'present')).toHaveLength(50);
    expect(res[res.length - 1].result).toBe('changed');
    const lines = readFileSync(f, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(50);
    expect(new Set(lines).size).toBe(50);
    expect(lines.every((l) => l.endsWith(k1.line.split(' ')[1]))).toBe(true);
  });
});

describe('a run of many hosts (issue 19)', () => {
  it('pinnedFor finds plain and wildcard entries in file order, case-insensitively', () => {
    const text = [
      `*.example.com ${k2.line}`,
      `WEB1.example.com,other ${k1.line}`,
      `!web1.example.com,*.com ${kr.line}`,
      `web2.example.com ${k1.line}`,
    ].join('\n');
    const { entries } = parseKnownHosts(text);
    expect(pinnedFor(entries, 'web1.example.com', 22).map((e) => e.line)).toEqual([1, 2]);
    expect(pinnedFor(entries, 'web2.example.com', 22).map((e) => e.line)).toEqual([1, 3, 4]);
    expect(pinnedFor(entries, 'other', 22).map((e) => e.line)).toEqual([2]);
    // A list grown after a first lookup is looked up afresh.
    entries.push(...parseKnownHosts(`[other]:2222 ${k2.line}`).entries);
    expect(pinnedFor(entries, 'other', 2222)).toHaveLength(1);
  });

  it('readKnownHosts keeps one parse while the file is unchanged and reads it again once changed', async () => {
    const f = join(dir, 'kh-cache');
    writeFileSync(f, `host1 ${k1.line}\n`);
    const a = await readKnownHosts(f);
    expect(await readKnownHosts(f)).toBe(a);
    writeFileSync(f, `host1 ${k1.line}\nhost2 ${k2.line}\n`);
    const b = await readKnownHosts(f);
    expect(b.entries.map((e) => e.hosts)).toEqual(['host1', 'host2']);
    await appendKnownHost(f, 'host3', 22, k1.blob);
    expect((await readKnownHosts(f)).entries.map((e) => e.hosts)).toEqual(['host1', 'host2', 'host3']);
  });
});
