// Settings: default < ~/.config/fleet/config.yml < ./fleet.yml < FLEET_* < flag, each with its
// source, as `fleet config` shows them; bad settings are errors naming file:line:column.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fleet } from './fleet-bin.js';

const dir = mkdtempSync(join(tmpdir(), 'fleet-settings-'));
const home = join(dir, 'config-home');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

mkdirSync(join(home, 'fleet'), { recursive: true });
writeFileSync(join(home, 'fleet', 'config.yml'), 'forks: 7\ncolor: never\nlog_max_size: 1M\n');
writeFileSync(join(dir, 'fleet.yml'), '# the project\nforks: 20\ninventory: [inv-a, inv-b]\nroles_path: ../shared-roles\n');
// NO_COLOR and FLEET_* from the test runner's own environment must not leak in.
const clean = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('FLEET_') || k === 'NO_COLOR').map((k) => [k, undefined]));
const env = (extra: NodeJS.ProcessEnv = {}) => ({ ...clean, XDG_CONFIG_HOME: home, ...extra });

describe('fleet config', { timeout: 60_000 }, () => {
  it('explains every setting: the winning layer and what it shadowed', () => {
    const r = fleet(['config', '--json'], { cwd: dir, env: env({ FLEET_LOG_FILE: 'logs/fleet.log' }) });
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.forks.value).toBe(20);
    expect(s.forks.source).toEqual({ file: join(dir, 'fleet.yml'), line: 2, column: 1 });
    expect(s.forks.shadowed).toEqual([
      { value: 7, source: { file: join(home, 'fleet', 'config.yml'), line: 1, column: 1 } },
      { value: 100, source: { file: 'default' } },
    ]);
    // Paths in a file are relative to the file; in the environment, to the working directory.
    expect(s.inventory.value).toEqual([join(dir, 'inv-a'), join(dir, 'inv-b')]);
    expect(s.roles_path.value).toEqual([join(dir, '../shared-roles')]);
    expect(s.log_file).toMatchObject({ value: 'logs/fleet.log', source: { file: 'environment FLEET_LOG_FILE' } });
    expect(s.color.value).toBe('never');
    expect(s.playbook).toMatchObject({ value: 'playbooks/site.yml', source: { file: 'default' } });
  });

  it('the environment beats the files, and a flag beats the environment', () => {
    const r = fleet(['config', 'forks', '--forks', '3'], { cwd: dir, env: env({ FLEET_FORKS: '9' }) });
    expect(r.out).toBe(
      `forks = 3\n  from flag --forks\n  shadows 9 from environment FLEET_FORKS\n  shadows 20 from ${join(dir, 'fleet.yml')}:2\n  shadows 7 from ${join(home, 'fleet', 'config.yml')}:1\n  shadows 100 from default\n`,
    );
    const inv = JSON.parse(fleet(['config', 'inventory', '--json'], { cwd: dir, env: env({ FLEET_INVENTORY: 'a.yml:b,c' }) }).out);
    expect(inv.value).toEqual(['a.yml', 'b', 'c']);
  });

  it('NO_COLOR turns colour off below FLEET_COLOR; FLEET_CONFIG names another project file', () => {
    const other = join(dir, 'other.yml');
    writeFileSync(other, 'forks: 4\n');
    const r = JSON.parse(fleet(['config', '--json'], { cwd: dir, env: env({ XDG_CONFIG_HOME: join(dir, 'none'), NO_COLOR: '1', FLEET_CONFIG: other }) }).out);
    expect(r.color).toMatchObject({ value: 'never', source: { file: 'environment NO_COLOR' } });
    expect(r.forks).toMatchObject({ value: 4, source: { file: other, line: 1 } });
    const forced = JSON.parse(fleet(['config', 'color', '--json'], { cwd: dir, env: env({ NO_COLOR: '1', FLEET_COLOR: 'always' }) }).out);
    expect(forced).toMatchObject({ value: 'always', source: { file: 'environment FLEET_COLOR' } });
    const missing = fleet(['config'], { cwd: dir, env: env({ FLEET_CONFIG: join(dir, 'absent.yml') }) });
    expect(missing.code).toBe(3);
    expect(missing.err).toContain('absent.yml: FLEET_CONFIG names this file');
  });

  it('an unknown setting, a wrong type or a bad environment value is exit 3 naming where', () => {
    const bad = mkdtempSync(join(dir, 'bad-'));
    writeFileSync(join(bad, 'fleet.yml'), 'forks: 20\nforkz: 3\n');
    let r = fleet(['config'], { cwd: bad, env: env() });
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/fleet\.yml:2:1: unknown setting 'forkz' \(known: inventory, playbook, forks/);
    writeFileSync(join(bad, 'fleet.yml'), 'color: purple\n');
    r = fleet(['config'], { cwd: bad, env: env() });
    expect(r.err).toMatch(/fleet\.yml:1:8: color: expected auto, always, never, got "purple"/);
    r = fleet(['config'], { cwd: dir, env: env({ FLEET_FORKS: 'many' }) });
    expect(r.code).toBe(3);
    expect(r.err).toContain('environment FLEET_FORKS: forks: expected a whole number of at least 1, got "many"');
    // A command that uses the settings refuses them before doing anything else.
    expect(fleet(['check', '--list-hosts'], { cwd: dir, env: env({ FLEET_LOG_MAX_SIZE: 'huge' }) }).code).toBe(3);
  });

  it('commands take their defaults from the settings: the inventory from fleet.yml', () => {
    const p = mkdtempSync(join(dir, 'proj-'));
    mkdirSync(join(p, 'elsewhere'));
    writeFileSync(join(p, 'elsewhere', 'hosts.yml'), 'all:\n  hosts:\n    from-settings: {ansible_host: 192.0.2.7}\n');
    writeFileSync(join(p, 'fleet.yml'), 'inventory: elsewhere\n');
    const r = fleet(['inventory', '--json'], { cwd: p, env: env() });
    expect(JSON.parse(r.out)._meta.hostvars['from-settings']).toEqual({ ansible_host: '192.0.2.7' });
    expect(fleet(['vars', 'from-settings', 'ansible_host'], { cwd: p, env: env() }).out).toMatch(/^ansible_host = "192.0.2.7"/);
  });
});
