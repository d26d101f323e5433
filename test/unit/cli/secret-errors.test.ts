// A secret never shows in an error before contact: a role variable of the wrong type is
// reported with its value, masked when it is (or holds, at any depth) a secret; `fleet vars`
// masks unless --show-secrets (issue 13).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fleet } from './fleet-bin.js';

const dir = mkdtempSync(join(tmpdir(), 'fleet-secret-errors-'));
for (const d of ['inventory', 'playbooks', 'roles/r']) mkdirSync(join(dir, d), { recursive: true });
writeFileSync(
  join(dir, 'inventory/hosts.yml'),
  "all:\n  hosts:\n    h1: {ansible_host: 192.0.2.1, db: {password: 99887766}, smtp_password: 'q\"uo\\\\te-pw'}\n",
);
writeFileSync(
  join(dir, 'roles/r/role.yml'),
  'description: r\nvariables:\n  type: object\n  properties:\n    db: {type: object, properties: {password: {type: string}}}\n',
);
writeFileSync(join(dir, 'roles/r/tasks.yml'), '- name: t\n  command: echo {{ db.password }}\n');
writeFileSync(join(dir, 'playbooks/site.yml'), '- hosts: all\n  roles: [r]\n');

describe('secrets in errors and in fleet vars', () => {
  it('a role variable of the wrong type: the error names it, its nested non-string secret masked', () => {
    const r = fleet(['check', '--syntax-check', 'playbooks/site.yml'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.err).toContain("variable 'db' for host h1");
    expect(r.err).toContain('********');
    expect(r.err).not.toContain('99887766');
  });

  it('fleet vars masks nested and quoted secrets; --show-secrets shows them', () => {
    const masked = fleet(['vars', 'h1'], { cwd: dir });
    expect(masked.code, masked.err).toBe(0);
    expect(masked.out).not.toContain('99887766');
    expect(masked.out).not.toContain('uo');
    const shown = fleet(['vars', 'h1', '--show-secrets'], { cwd: dir });
    expect(shown.out).toContain('99887766');
  });
});
