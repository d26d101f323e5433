// An action that writes only on the controller (inventory_var: the admin user and sudo for the
// next runs, harden-ssh) leaves the probe answers read before it standing: the next task is
// applied from them, with no probe round trip of its own (issue 15, the README demo's first
// apply). Unless the later probes now run as another user on the host (become switched on for
// a run not logged in as root): then they are read again.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { host, inventory, play, playbook, task } from './fixtures.js';
import { runLocal } from './run-local.js';

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fleet-controller-action-'));
  process.env.XDG_CACHE_HOME = join(tmp, 'cache');
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

async function apply(user: string, key: string, value: unknown) {
  const h = host('h1');
  h.connection.user = user;
  const tasks = [
    task('a', 'copy', { dest: '{{root}}/a', content: 'a\n' }),
    task('write the inventory', 'inventory_var', { key, value }),
    task('b', 'copy', { dest: '{{root}}/b', content: 'b\n' }),
  ];
  // The file inventory_var writes to (the run's setHostVar is a no-op here).
  const inv = inventory([h]);
  const file = join(tmp, 'hosts.yml');
  writeFileSync(file, 'all:\n  hosts:\n    h1: {}\n');
  inv.sources.push(file);
  const { recap, tasks: events, sessions } = await runLocal(inv, playbook([play(tasks)]), tmp, { forks: 1, extraVars: { root: tmp } });
  return { recap: recap.hosts.h1, statuses: events.map((e) => `${e.task}: ${e.status}`), roundTrips: sessions.get('h1')!.roundTrips };
}

describe('probe answers after an action that writes only on the controller', () => {
  it('stay: the next change is applied from them (first probes, a, b)', async () => {
    const r = await apply('root', 'backup_note', 'x');
    expect(r.statuses).toEqual(['a: changed', 'write the inventory: changed', 'b: changed']);
    expect(readFileSync(join(tmp, 'b'), 'utf8')).toBe('b\n');
    expect(r.roundTrips).toBe(3);
  });

  it('stay when become is switched on for a run logged in as root (sudo reads as root too)', async () => {
    const r = await apply('root', 'become', true);
    expect(r.statuses).toEqual(['a: changed', 'write the inventory: changed', 'b: changed']);
    expect(r.roundTrips).toBe(3);
  });

  it('are read again when become is switched on for another login user (sudo reads as root, not as that user)', async () => {
    const r = await apply('deploy', 'become', true);
    expect(r.statuses).toEqual(['a: changed', 'write the inventory: changed', 'b: changed']);
    expect(r.roundTrips).toBe(4);
  });
});
