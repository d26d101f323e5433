import { describe, it, expect } from 'vitest';
import { Ajv } from 'ajv';
import { modules, getModule } from '../../../src/modules/index.js';
import { params, sh } from './helpers.js';

const NAMES = ['file', 'directory', 'link', 'copy', 'template', 'line', 'block', 'replace', 'package', 'service', 'user', 'group',
  'authorized_key', 'sysctl', 'command', 'shell', 'drift', 'docker_networks', 'docker_stack', 'cron', 'mount', 'apt_repository', 'unarchive'];

describe('module registry', () => {
  it('exports every module under its own name', () => {
    expect(Object.keys(modules).sort()).toEqual([...NAMES].sort());
    for (const n of NAMES) expect(getModule(n)?.name).toBe(n);
    expect(getModule('toString')).toBeUndefined();
    expect(getModule('lineinfile')).toBeUndefined();
  });

  it('every schema compiles under ajv strict mode and rejects unknown keys', () => {
    const ajv = new Ajv({ strict: true, strictRequired: false, allowUnionTypes: true, logger: { log() {}, warn(m: unknown) { throw new Error(String(m)); }, error() {} } });
    for (const m of Object.values(modules)) {
      expect(() => ajv.compile(m.schema), m.name).not.toThrow();
      expect(m.schema.additionalProperties, m.name).toBe(false);
    }
  });

  it('controller-side work is not a module (it is an action)', () => {
    expect(getModule('reconnect')).toBeUndefined();
    expect(getModule('inventory_var')).toBeUndefined();
  });
});

describe('probes', () => {
  // The engine may run its probe script under set -e: an absent thing must never abort it.
  it('exit 0 under set -e for absent files, users, packages, units and guards', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['file', { path: '/nonexistent/x', owner: 'nobody' }],
      ['copy', { dest: '/nonexistent/x', content: 'a' }],
      ['line', { path: '/nonexistent', line: 'a' }],
      ['package', { name: ['coreutils', 'fleet-no-such-package'], state: 'latest' }],
      ['user', { name: 'fleet-no-such-user', groups: ['fleet-no-such-group'], password: 'x' }],
      ['group', { name: 'fleet-no-such-group' }],
      ['authorized_key', { user: 'fleet-no-such-user', key: 'ssh-ed25519 AAAA x' }],
      ['sysctl', { name: 'vm.swappiness', value: 1 }],
      ['command', { cmd: 'x', creates: '/nonexistent', unless: 'false', chdir: '/nonexistent' }],
      ['service', { name: 'tor', state: 'started' }],
    ];
    for (const [n, p] of cases) {
      const r = sh(`set -e\n(\n${modules[n].probe(params(modules[n], p))}\n)\necho END\n`);
      expect(r.stdout, `${n}: ${r.stderr}`).toMatch(/END\n$/);
      expect(r.stderr, n).toBe('');
    }
  });
});
