import { describe, it, expect } from 'vitest';
import { pkg as packageModule } from '../../../src/modules/package.js';
import { params, planOf, runProbe, isValid } from './helpers.js';

const NOW = 1_700_000_000;
const fresh = `lists_mtime=${NOW - 60}\nnow=${NOW}\n`;
const stale = `lists_mtime=${NOW - 7200}\nnow=${NOW}\n`;

describe('package', () => {
  it('probes with one dpkg-query; an installed package is ok', () => {
    const p = params(packageModule, { name: 'coreutils' });
    const probe = packageModule.probe(p);
    expect(probe.match(/dpkg-query/g)).toHaveLength(1);
    const out = runProbe(packageModule, p);
    expect(out).toMatch(/^pkg=coreutils\tii \t\S+$/m);
    expect(packageModule.plan(p, out)).toEqual({ kind: 'ok' });
  });

  it('a package that is not installed here is a change (real probe)', () => {
    const p = params(packageModule, { name: ['coreutils', 'fleet-no-such-package'] });
    const plan = planOf(packageModule, p);
    expect(plan).toMatchObject({ kind: 'change', data: { install: ['fleet-no-such-package'], remove: [] } });
    expect((plan as { summary: string }).summary).toMatch(/^install fleet-no-such-package/);
  });

  it('state absent: installed is removed (purge also removes config-files state)', () => {
    const p = params(packageModule, { name: ['tor', 'nginx', 'vim'], state: 'absent' });
    const out = 'pkg=tor\tii \t0.4.7\npkg=nginx\trc \t1.22\npkg=vim\tun \t\n' + fresh;
    expect(packageModule.plan(p, out)).toMatchObject({ summary: 'remove tor', data: { remove: ['tor'] } });
    const purge = params(packageModule, { name: ['tor', 'nginx', 'vim'], state: 'absent', purge: true });
    const plan = packageModule.plan(purge, out);
    expect(plan).toMatchObject({ data: { remove: ['tor', 'nginx'] } });
    expect(packageModule.apply(purge, plan as never)).toBe(
      'DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=120 purge tor nginx\n',
    );
  });

  it('the index age is read against the host clock of its facts: the probe itself prints no clock (a pipelined guard compares it byte for byte)', () => {
    const p = params(packageModule, { name: 'tor' });
    const out = runProbe(packageModule, p);
    expect(out).not.toMatch(/^now=/m);
    expect(runProbe(packageModule, p)).toBe(out);
    const facts = { osId: 'debian', osVersion: '12', osCodename: 'bookworm', arch: 'x86_64', hostname: 'h', init: 'systemd', addresses: [], memoryMb: 1, cpus: 1, opensshVersion: '' };
    const missing = 'pkg=tor\tun \t\n';
    expect(packageModule.plan(p, missing + `lists_mtime=${NOW - 60}\n`, { ...facts, now: NOW })).toMatchObject({ data: { update: false } });
    expect(packageModule.plan(p, missing + `lists_mtime=${NOW - 7200}\n`, { ...facts, now: NOW })).toMatchObject({ data: { update: true } });
  });

  it('a half-installed package is a change', () => {
    const p = params(packageModule, { name: 'docker.io' });
    expect(packageModule.plan(p, 'pkg=docker.io\tiF \t20.10\n' + fresh)).toMatchObject({
      kind: 'change',
      summary: 'reinstall docker.io (dpkg status "iF")',
    });
  });

  it('update_cache auto refreshes only a stale index, always always, never never', () => {
    const out = 'pkg=tor\tun \t\n';
    const auto = params(packageModule, { name: 'tor' });
    expect(packageModule.plan(auto, out + fresh)).toMatchObject({ data: { update: false }, summary: 'install tor' });
    const plan = packageModule.plan(auto, out + stale);
    expect(plan).toMatchObject({ data: { update: true }, summary: 'install tor (after apt-get update)' });
    expect(packageModule.plan(auto, out + `lists_mtime=0\nnow=${NOW}\n`)).toMatchObject({ data: { update: true } });
    expect(packageModule.plan(params(packageModule, { name: 'tor', update_cache: 'always' }), out + fresh)).toMatchObject({ data: { update: true } });
    expect(packageModule.plan(params(packageModule, { name: 'tor', update_cache: 'never' }), out + stale)).toMatchObject({ data: { update: false } });
    expect(packageModule.plan(params(packageModule, { name: 'tor', cache_valid_time: 86400 }), out + stale)).toMatchObject({ data: { update: false } });
    expect(packageModule.apply(auto, plan as never)).toBe(
      'DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=120 update\n' +
        'DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=120 --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install tor\n',
    );
  });

  it('state latest compares with the apt-cache policy candidate (real probe prints it)', () => {
    const p = params(packageModule, { name: 'coreutils', state: 'latest' });
    const out = runProbe(packageModule, p);
    expect(out).toMatch(/^candidate=coreutils \S+$/m);
    expect(packageModule.plan(p, out)).toEqual({ kind: 'ok' });
    const older = 'pkg=coreutils\tii \t9.0-1\ncandidate=coreutils 9.1-1\n' + fresh;
    expect(packageModule.plan(p, older)).toMatchObject({ summary: 'upgrade coreutils 9.0-1 -> 9.1-1', data: { install: ['coreutils'] } });
  });

  it('a pinned version differing from the installed one is a change', () => {
    const p = params(packageModule, { name: 'tor=0.4.8-1' });
    expect(packageModule.plan(p, 'pkg=tor\tii \t0.4.7-1\n' + fresh)).toMatchObject({ summary: 'tor 0.4.7-1 -> 0.4.8-1' });
    expect(packageModule.plan(p, 'pkg=tor\tii \t0.4.8-1\n' + fresh)).toEqual({ kind: 'ok' });
  });

  it('install_recommends and resources', () => {
    const p = params(packageModule, { name: ['a', 'b=1'], install_recommends: true });
    expect(packageModule.apply(p, { kind: 'change', summary: '', data: { install: ['a'], remove: [], update: false } })).toContain('--install-recommends');
    expect(packageModule.resources!(p)).toEqual(['pkg:a', 'pkg:b']);
  });

  it('schema rejects shell metacharacters in names and unknown states', () => {
    expect(isValid(packageModule, { name: 'tor; rm -rf /' })).toBe(false);
    expect(isValid(packageModule, { name: 'tor', state: 'installed' })).toBe(false);
    expect(isValid(packageModule, { name: [] })).toBe(false);
  });
});
