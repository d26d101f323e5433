// -f/--forks must be a whole number of at least 1: 0, negatives and words are refused
// before anything is loaded or contacted (issue 13: they were accepted).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fleet } from './fleet-bin.js';

const dir = mkdtempSync(join(tmpdir(), 'fleet-forks-'));
mkdirSync(join(dir, 'inventory'));
mkdirSync(join(dir, 'playbooks'));
writeFileSync(join(dir, 'inventory/hosts.yml'), 'all:\n  hosts:\n    h1: {ansible_host: 192.0.2.1}\n');
writeFileSync(join(dir, 'playbooks/site.yml'), '- hosts: all\n  tasks: []\n');

describe('--forks', () => {
  for (const v of ['0', '-3', 'abc']) {
    it(`-f ${v} is refused with exit 3, naming the flag`, () => {
      const r = fleet(['check', '--syntax-check', '-f', v, 'playbooks/site.yml'], { cwd: dir });
      expect(r.code).toBe(3);
      expect(r.err).toContain('flag --forks');
      expect(r.err).not.toContain('null');
      expect(r.err).not.toMatch(/\n\s+at /);
    });
  }
  it('-f 5 is accepted', () => {
    expect(fleet(['check', '--syntax-check', '-f', '5', 'playbooks/site.yml'], { cwd: dir }).code).toBe(0);
  });
});
