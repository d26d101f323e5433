// delegate_to (Ansible's documented semantics): the task runs on the delegate's shell with the
// delegating host's variables; localhost is the controller. Over the local shell transport,
// each "host" is told apart by FLEET_TEST_HOST in its shell's environment.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPlaybook, selectHosts } from '../../../src/config/index.js';
import { validateBeforeContact } from '../../../src/engine/preflight.js';
import { expectConfigError } from '../config/helpers.js';
import { host, inventory } from './fixtures.js';
import { runLocal } from './run-local.js';

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'fleet-delegate-'));
  process.env.XDG_CACHE_HOME = join(base, 'cache');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

function write(site: string): string {
  for (const [p, content] of Object.entries({ 'ansible.cfg': '[defaults]\n', 'site.yml': site })) {
    mkdirSync(dirname(join(base, 'p', p)), { recursive: true });
    writeFileSync(join(base, 'p', p), content);
  }
  return join(base, 'p/site.yml');
}
const read = (f: string) => readFileSync(join(base, f), 'utf8');

describe('delegate_to', () => {
  it("runs on the delegate's shell with the delegating host's variables; idempotent; the delegate's own run is untouched", async () => {
    const site = write(
      '- hosts: h1\n  tasks:\n    - name: on h2\n      shell: echo "$FLEET_TEST_HOST ran it for {{ inventory_hostname }}" > {{ base }}/d\n      args: {creates: "{{ base }}/d"}\n      delegate_to: "{{ groups.all[1] }}"\n',
    );
    const run = () => runLocal(inventory([host('h1'), host('h2')]), loadPlaybook(site), base, { forks: 2, verbosity: 1 });
    const r = await run();
    expect(r.recap.hosts.h1).toMatchObject({ changed: 1, failed: 0 });
    expect(read('d')).toBe('h2 ran it for h1\n');
    // h2 is not in the play: a connection was made for the delegated task only.
    expect(r.events.some((e) => e.type === 'trace' && /delegate_to h2: probe on h2's shell/.test(e.msg))).toBe(true);
    const again = await run();
    expect(again.recap.hosts.h1).toMatchObject({ changed: 0, ok: 1 });
  });

  it('localhost is the controller (without become); a host not in the inventory fails the task', async () => {
    const site = write(
      '- hosts: h1\n  tasks:\n    - shell: echo "[$FLEET_TEST_HOST] {{ inventory_hostname }}" > {{ base }}/l\n      delegate_to: localhost\n      become: false\n    - command: "true"\n      delegate_to: "{{ \'nowhere\' }}"\n',
    );
    const r = await runLocal(inventory([host('h1')]), loadPlaybook(site), base, { forks: 1 });
    expect(read('l')).toBe('[] h1\n');
    expect(r.tasks.map((t) => [t.task, t.status, t.msg])[1]).toEqual(['command', 'failed', "delegate_to: host 'nowhere' is not in the inventory"]);
    expect(r.recap.hosts.h1.failed).toBe(1);
  });

  it('local_action is the module delegated to localhost (text or {module: ...})', async () => {
    const site = write(
      '- hosts: h1\n  tasks:\n    - local_action: shell echo "[$FLEET_TEST_HOST] {{ inventory_hostname }}" > {{ base }}/la\n      become: false\n    - local_action: {module: debug, msg: hi}\n    - local_action:\n        module: copy\n        dest: "{{ base }}/lc"\n        content: "local\\n"\n      become: false\n',
    );
    const r = await runLocal(inventory([host('h1')]), loadPlaybook(site), base, { forks: 1 });
    expect(r.recap.hosts.h1).toMatchObject({ failed: 0, changed: 2 });
    expect([read('la'), read('lc')]).toEqual(['[] h1\n', 'local\n']);
  });

  it('refused before contact: localhost with become, a controller action to another host, a bad value', () => {
    const err = (tasks: string, line: number, col: number, ...text: string[]) => {
      const site = write(`- hosts: all\n  become: true\n  tasks:\n${tasks}`);
      expectConfigError(() => loadPlaybook(site), site, line, col, ...text);
    };
    err('    - command: "true"\n      delegate_to: localhost\n', 5, 7, "add 'become: false'");
    err('    - include_vars: x.yml\n      delegate_to: h2\n', 5, 7, 'only tasks of host modules');
    err('    - command: "true"\n      delegate_to: [a]\n', 5, 20, "'delegate_to' expects a host name");
    const site = write('- hosts: all\n  tasks:\n    - command: "true"\n      delegate_to: nowhere\n');
    expect(() => validateBeforeContact({ inventory: inventory([host('h1')]), playbook: loadPlaybook(site), extraVars: {}, selectHosts })).toThrow(
      "delegate_to: host 'nowhere' is not in the inventory",
    );
  });
});
