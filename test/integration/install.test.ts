// Installed as users install CLI tools: `npm install -g` of a fresh clone of this repository
// into a temporary prefix builds it (prepare), puts `fleet` and its man page there, and that
// fleet converges and checks lab hosts; so does the single-file build, copied alone.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLab, labHosts, makeProject, REPO_ROOT, sshRun, type Project } from './helpers/index.js';

describeLab('npm install -g of the repository, and the single-file build', () => {
  let tmp: string;
  let prefix: string;
  let project: Project;
  const host = () => labHosts()[0].name;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-install-'));
    prefix = path.join(tmp, 'prefix');
    // What a user has: a clone of the committed repository, nothing built, no node_modules.
    execFileSync('git', ['clone', '--quiet', REPO_ROOT, path.join(tmp, 'fleet')]);
    execFileSync('git', ['-C', path.join(tmp, 'fleet'), 'checkout', '--quiet', execFileSync('git', ['-C', REPO_ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim()]);
    const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, path.join(tmp, 'fleet'), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: tmp, encoding: 'utf8', timeout: 900_000 });
    if (install.status !== 0) throw new Error(`npm install -g failed (${install.status}):\n${install.stdout}\n${install.stderr}`);
    project = makeProject({
      hosts: [host()],
      playbook: [{ name: 'installed', hosts: 'all', roles: ['stamp'] }],
      roles: { stamp: { 'tasks.yml': [{ name: 'stamp', copy: { dest: '/etc/fleet-installed', content: 'installed fleet was here\n' } }] } },
    });
  }, 900_000);
  afterAll(() => {
    project?.cleanup();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const run = (argv: string[], cwd = project.dir) => spawnSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8', timeout: 280_000, env: { ...process.env, PATH: `${path.join(prefix, 'bin')}:${process.env.PATH}` } });

  it('puts fleet on the PATH with its version, commit and man page', () => {
    const head = execFileSync('git', ['-C', REPO_ROOT, 'rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
    const version = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version;
    const r = run(['fleet', '--version']);
    expect(r.stdout.trim()).toBe(`fleet ${version} (commit ${head})`);
    expect(fs.readFileSync(path.join(prefix, 'share', 'man', 'man1', 'fleet.1'), 'utf8')).toMatch(/^\.TH FLEET 1 /);
  });

  it('the installed fleet applies, then checks clean, against a lab host', async () => {
    const apply = run(['fleet', 'apply', '--color', 'never']);
    expect(apply.status, apply.stdout + apply.stderr).toBe(0);
    expect((await sshRun(host(), 'cat /etc/fleet-installed')).stdout).toBe('installed fleet was here\n');
    const check = run(['fleet', 'check', '--color', 'never']);
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('nothing to change');
  });

  it('the single-file build runs alone (no node_modules anywhere near it): check, run, --version', async () => {
    const single = path.join(tmp, 'single');
    fs.mkdirSync(single);
    const installed = fs.realpathSync(path.join(prefix, 'lib', 'node_modules', 'fleet'));
    fs.copyFileSync(path.join(installed, 'dist', 'fleet-bundle.cjs'), path.join(single, 'fleet-bundle.cjs'));
    expect(fs.readFileSync(path.join(installed, 'dist', 'fleet-bundle.cjs.LICENSES.txt'), 'utf8')).toMatch(/^ssh2 \d/m);
    await sshRun(host(), 'echo drifted > /etc/fleet-installed');
    const check = run([process.execPath, path.join(single, 'fleet-bundle.cjs'), 'check', '--color', 'never']);
    expect(check.status, check.stdout + check.stderr).toBe(2);
    expect(check.stdout).toMatch(/1 host would change/);
    const r = run([process.execPath, path.join(single, 'fleet-bundle.cjs'), 'run', 'all', '--', 'cat /etc/fleet-installed']);
    expect(r.stdout).toContain(`${host()} | OK | rc=0 >>\ndrifted\n`);
    expect(run([process.execPath, path.join(single, 'fleet-bundle.cjs'), '--version']).stdout).toBe(run(['fleet', '--version']).stdout);
  });
});
