// The project's own roles and playbooks must pass the config checks: this is where a role
// that uses an unknown module parameter or notifies a missing handler is caught first.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlaybook, loadRole, selectHosts } from '../../../src/config/index.js';
import { validateBeforeContact } from '../../../src/engine/preflight.js';
import { host, inventory } from '../engine/fixtures.js';
import { FIXTURES } from './helpers.js';

const REPO = join(FIXTURES, '../../..');
const list = (dir: string, f: (n: string) => boolean) => (existsSync(dir) ? readdirSync(dir).filter(f).sort() : []);

describe('project roles and playbooks load', () => {
  const roles = list(join(REPO, 'roles'), (n) => existsSync(join(REPO, 'roles', n, 'tasks.yml')) || existsSync(join(REPO, 'roles', n, 'tasks', 'main.yml')));
  for (const r of roles) {
    it(`roles/${r}`, () => {
      const role = loadRole(join(REPO, 'roles', r));
      expect(role.tasks.length).toBeGreaterThan(0);
    });
  }
  for (const p of list(join(REPO, 'playbooks'), (n) => /\.ya?ml$/.test(n))) {
    it(`playbooks/${p}`, () => {
      expect(loadPlaybook(join(REPO, 'playbooks', p)).plays.length).toBeGreaterThan(0);
    });
  }
});

describe('the project site.yml', () => {
  // Parameters are checked for every host before any is contacted, also for tasks their
  // `when` will skip: a host with none of the optional roles configured must pass.
  it('passes the checks before contact for a host with only the required variables', () => {
    const pb = loadPlaybook(join(REPO, 'playbooks', 'site.yml'));
    const admin_keys = ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMI932BZfEttPhsfMGT5pa+GNA3Wlkml3kpAt2/YoJyZ test'];
    // The swarm's groups as the project's inventory/hosts.yml declares them: a manager, a
    // worker, and a host in neither (it gets the base roles and backups only).
    const inv = inventory([host('m1', { admin_keys }, ['managers']), host('w1', { admin_keys }, ['workers']), host('web1', { admin_keys })]);
    expect(() => validateBeforeContact({ inventory: inv, playbook: pb, extraVars: {}, selectHosts })).not.toThrow();
  });
});
