// The single-file build checks with ajv validators compiled at build time (the modules'
// parameters, a role's variables schema against the meta-schema, ajv's keywords), dist/ (tsc)
// with validators ajv compiles at run time: a mistake must read the same through both.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN } from './fleet-bin.js';

const PLAIN = path.resolve('dist/cli/main.js');

describe('precompiled validators (dist/fleet.cjs) against run-time ones (dist/cli/main.js)', { timeout: 120_000 }, () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-validators-'));
    fs.mkdirSync(path.join(dir, 'inventory'));
    // Errors are found before any host is contacted: this address is never reached.
    fs.writeFileSync(path.join(dir, 'inventory/hosts.yml'), 'all:\n  hosts:\n    h1: {ansible_host: 192.0.2.1}\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function both(role: string, tasks: string): { bundle: string; plain: string; code: number | null } {
    fs.rmSync(path.join(dir, 'roles'), { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, 'roles/r'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'roles/r/role.yml'), role);
    fs.writeFileSync(path.join(dir, 'roles/r/tasks.yml'), tasks);
    fs.writeFileSync(path.join(dir, 'site.yml'), '- hosts: all\n  roles: [r]\n');
    const run = (main: string) => spawnSync(process.execPath, [main, 'check', 'site.yml', '--color', 'never'], { cwd: dir, encoding: 'utf8', env: { ...process.env, FLEET_SSH_CONFIG: 'none' } });
    const bundle = run(MAIN);
    const plain = run(PLAIN);
    expect(bundle.status).toBe(plain.status);
    return { bundle: bundle.stderr, plain: plain.stderr, code: bundle.status };
  }

  it('module parameters that render to the wrong type (what only ajv sees: the loader checks raw values)', () => {
    const role = 'variables: {type: object, properties: {v: {type: array, default: [1]}, n: {type: integer, default: 7}}}\n';
    for (const task of ['copy: {dest: /tmp/x, content: "a", backup: "{{ v }}"}', 'directory: {path: /tmp/x, mode: "{{ v }}"}', 'line: {path: /tmp/x, line: "{{ v }}"}']) {
      const r = both(role, `- name: t\n  ${task}\n`);
      expect(r.code).toBe(3);
      expect(r.bundle).toMatch(/must be/);
      expect(r.bundle).toBe(r.plain);
    }
  });

  it("a role's variables schema that breaks the meta-schema, and an unknown keyword", () => {
    const bad = both('variables: {type: object, properties: {a: {type: strnig}}}\n', '- name: t\n  command: {cmd: "true"}\n');
    expect(bad.bundle).toContain("invalid variables schema at '/properties/a/type'");
    expect(bad.bundle).toBe(bad.plain);
    const typo = both('variables: {type: object, properties: {a: {type: string, defualt: x}}}\n', '- name: t\n  command: {cmd: "true"}\n');
    expect(typo.bundle).toContain("unknown JSON Schema keyword 'defualt'");
    expect(typo.bundle).toBe(typo.plain);
  });

  it("a role variable's value against its schema", () => {
    const r = both('variables: {type: object, properties: {a: {type: integer, default: "x"}}}\n', '- name: t\n  command: {cmd: "true"}\n');
    expect(r.code).toBe(3);
    expect(r.bundle).toContain("variable 'a'");
    expect(r.bundle).toBe(r.plain);
  });
});
