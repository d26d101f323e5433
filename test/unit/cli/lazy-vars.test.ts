// Variables that refer to variables, through the real binary: `fleet vars` shows what a
// value is written as and what it resolves to; a cycle or an undefined name fails
// `fleet check` before any host is contacted (exit 3), naming the files and lines.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = resolve('dist/fleet.cjs');

function fleet(...args: string[]) {
  if (!existsSync(MAIN)) throw new Error('dist/fleet.cjs is missing: run npm run build (npm test does)');
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A project whose only host is on a documentation address nobody answers: a test that
 * contacted it would fail as unreachable (exit 1), not as a configuration error (exit 3). */
function project(groupVars: string, play: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-lazy-cli-'));
  mkdirSync(join(dir, 'inventory', 'group_vars'), { recursive: true });
  mkdirSync(join(dir, 'inventory', 'host_vars'));
  mkdirSync(join(dir, 'playbooks'));
  writeFileSync(join(dir, 'inventory', 'hosts.yml'), 'all:\n  hosts:\n    h1: {ansible_host: 192.0.2.1, connect_timeout: 2}\n');
  writeFileSync(join(dir, 'inventory', 'group_vars', 'all.yml'), groupVars);
  writeFileSync(join(dir, 'inventory', 'host_vars', 'h1.yml'), 'matrix_url: "https://{{ matrix_domain }}/_matrix"\n');
  writeFileSync(join(dir, 'playbooks', 'site.yml'), play);
  return dir;
}

const PLAY = `- hosts: all
  vars:
    conf_dir: "/etc/{{ app_name }}"
  tasks:
    - name: write the client config
      copy:
        dest: "{{ conf_dir }}/client.conf"
        content: |
          url={{ matrix_url }}
`;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('lazy variables through the CLI', { timeout: 120_000 }, () => {
  it('fleet vars HOST VAR shows the raw text and the value it resolves to', () => {
    const dir = project('base_domain: example.org\nmatrix_domain: "matrix.{{ base_domain }}"\n', PLAY);
    dirs.push(dir);
    const r = fleet('vars', '-i', join(dir, 'inventory'), 'h1', 'matrix_url');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      `matrix_url = "https://matrix.example.org/_matrix"\n  written "https://{{ matrix_domain }}/_matrix"\n  from ${join(dir, 'inventory', 'host_vars', 'h1.yml')}:1\n`,
    );
    const e = fleet('vars', '-i', join(dir, 'inventory'), 'h1', 'matrix_url', '-e', 'base_domain=other.net', '--json');
    expect(JSON.parse(e.out)).toMatchObject({ value: 'https://matrix.other.net/_matrix', raw: 'https://{{ matrix_domain }}/_matrix' });
  });

  it('an undefined name fails before contact, naming the chain with files and lines', () => {
    const dir = project('matrix_domain: "matrix.{{ base_domain }}"\n', PLAY);
    dirs.push(dir);
    const r = fleet('check', join(dir, 'playbooks', 'site.yml'), '-i', join(dir, 'inventory'), '-e', 'app_name=synapse');
    expect(r.code).toBe(3);
    const gv = join(dir, 'inventory', 'group_vars', 'all.yml');
    const hv = join(dir, 'inventory', 'host_vars', 'h1.yml');
    expect(r.err).toContain(
      `${gv}:1:27: matrix_url -> matrix_domain: undefined variable 'base_domain' (matrix_url: ${hv}:1, matrix_domain: ${gv}:1; used at ${join(dir, 'playbooks', 'site.yml')}:5)`,
    );
    expect(r.err + r.out).not.toMatch(/unreachable|192\.0\.2\.1:22/);
    const v = fleet('vars', '-i', join(dir, 'inventory'), 'h1', 'matrix_url');
    expect(v.code).toBe(1);
    expect(v.out).toContain('(as written: it does not resolve)\n  error: ');
    expect(v.out).toContain("undefined variable 'base_domain'");
  });

  it('a cycle fails before contact, naming each variable with its file and line', () => {
    const dir = project(
      'base_domain: "{{ matrix_domain | replace(\'matrix.\', \'\') }}"\nmatrix_domain: "matrix.{{ base_domain }}"\n',
      PLAY,
    );
    dirs.push(dir);
    const r = fleet('check', join(dir, 'playbooks', 'site.yml'), '-i', join(dir, 'inventory'), '-e', 'app_name=synapse');
    expect(r.code).toBe(3);
    const gv = join(dir, 'inventory', 'group_vars', 'all.yml');
    expect(r.err).toContain(
      `matrix_url -> matrix_domain -> base_domain -> matrix_domain: the variables refer to each other in a cycle (matrix_url: ${join(dir, 'inventory', 'host_vars', 'h1.yml')}:1, matrix_domain: ${gv}:2, base_domain: ${gv}:1;`,
    );
  });

  it("a play variable that is undefined names the play file and the key's line", () => {
    const dir = project('base_domain: example.org\nmatrix_domain: "matrix.{{ base_domain }}"\n', PLAY);
    dirs.push(dir);
    const r = fleet('check', join(dir, 'playbooks', 'site.yml'), '-i', join(dir, 'inventory'));
    expect(r.code).toBe(3);
    const site = join(dir, 'playbooks', 'site.yml');
    expect(r.err).toContain(`${site}:3:24: conf_dir: undefined variable 'app_name' (conf_dir: ${site}:3; used at ${site}:5)`);
  });
});
