// The project's own roles and playbooks must pass the config checks: this is where a role
// that uses an unknown module parameter or notifies a missing handler is caught first.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlaybook, loadRole } from '../../../src/config/index.js';
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
