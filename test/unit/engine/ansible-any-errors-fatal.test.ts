// any_errors_fatal (Ansible's documented semantics): a failure of such a task on one host lets
// the other hosts finish that task, then ends the play for all of them (no later task, no
// handler, no later play); on a block it holds for the block's tasks only; a rescued failure
// is not fatal; a task's own any_errors_fatal: false wins.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPlaybook } from '../../../src/config/index.js';
import { host, inventory } from './fixtures.js';
import { runLocal } from './run-local.js';

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'fleet-aef-'));
  process.env.XDG_CACHE_HOME = join(base, 'cache');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

async function run(site: string) {
  for (const f of readdirSync(base)) if (f.includes('.')) rmSync(join(base, f));
  for (const [p, content] of Object.entries({ 'ansible.cfg': '[defaults]\n', 'site.yml': site })) {
    mkdirSync(dirname(join(base, 'p', p)), { recursive: true });
    writeFileSync(join(base, 'p', p), content);
  }
  const r = await runLocal(inventory([host('h1'), host('h2'), host('h3')]), loadPlaybook(join(base, 'p/site.yml')), base, { forks: 3 });
  const marks = readdirSync(base).filter((f) => f.includes('.')).sort();
  return { ...r, marks };
}
/** A task that leaves {{ base }}/NAME.HOST behind. */
const mark = (name: string, extra = '') => `    - name: ${name}\n      shell: touch {{ base }}/${name}.{{ inventory_hostname }}\n${extra}`;
const failOn = (h: string, extra = '') => `    - name: boom\n      fail: {msg: boom}\n      when: inventory_hostname == '${h}'\n${extra}`;

describe('any_errors_fatal', () => {
  it('play level: the others finish the failed task, then nothing more runs on any host (no handler, no later play); the run says why', async () => {
    const r = await run(
      '- hosts: all\n  any_errors_fatal: true\n  handlers:\n    - name: h\n      shell: touch {{ base }}/handler.{{ inventory_hostname }}\n  tasks:\n' +
        mark('first', '      notify: h\n') +
        failOn('h2') +
        mark('second') +
        mark('after') +
        '- hosts: all\n  tasks:\n' +
        mark('play2'),
    );
    expect(r.marks).toEqual(['first.h1', 'first.h2', 'first.h3']);
    expect(r.recap.hosts.h2.failed).toBe(1);
    expect([r.recap.hosts.h1.failed, r.recap.hosts.h3.failed]).toEqual([0, 0]);
    // The others ran the fatal task (skipped there by its when) before stopping.
    expect(r.tasks.filter((t) => t.task === 'boom').map((t) => [t.host, t.status]).sort()).toEqual([
      ['h1', 'skipped'],
      ['h2', 'failed'],
      ['h3', 'skipped'],
    ]);
    expect(r.events.some((e) => e.type === 'warning' && /'boom' failed on h2 \(any_errors_fatal\)/.test(e.msg))).toBe(true);
  });

  it('without it, the other hosts go on (fleet stops only the failed host)', async () => {
    const r = await run('- hosts: all\n  tasks:\n' + failOn('h2') + mark('second'));
    expect(r.marks).toEqual(['second.h1', 'second.h3']);
  });

  it("block level: a failure of the block's tasks is fatal, one outside it is not; a task's any_errors_fatal: false wins", async () => {
    const outside = await run(
      '- hosts: all\n  tasks:\n    - any_errors_fatal: true\n      block:\n' +
        mark('in').replace(/^ {4}/gm, '        ') +
        '        - name: quiet\n          fail: {msg: not fatal}\n          when: inventory_hostname == "h1"\n          any_errors_fatal: false\n' +
        failOn('h3') +
        mark('next'),
    );
    // h1 failed a task that opted out, h3 failed outside the block: h2 goes on.
    expect(outside.marks).toEqual(['in.h1', 'in.h2', 'in.h3', 'next.h2']);
    const inside = await run(
      '- hosts: all\n  tasks:\n    - any_errors_fatal: true\n      block:\n' + failOn('h3').replace(/^ {4}/gm, '        ') + mark('next'),
    );
    expect(inside.marks).toEqual([]);
  });

  it('a failure a rescue handles is not fatal', async () => {
    const r = await run(
      '- hosts: all\n  any_errors_fatal: true\n  tasks:\n    - block:\n' +
        failOn('h1').replace(/^ {4}/gm, '        ') +
        '      rescue:\n' +
        mark('rescued').replace(/^ {4}/gm, '        ') +
        mark('next'),
    );
    expect(r.marks).toEqual(['next.h1', 'next.h2', 'next.h3', 'rescued.h1']);
    expect(r.recap.hosts.h1).toMatchObject({ failed: 0, rescued: 1 });
  });

  it('a host that is quicker waits at the task after the fatal one: a slow host that fails stops it', async () => {
    const r = await run(
      '- hosts: all\n  any_errors_fatal: true\n  tasks:\n    - name: slow fail\n      shell: sleep 1; exit 3\n      when: inventory_hostname == "h1"\n' + mark('next'),
    );
    expect(r.marks).toEqual([]);
    expect(existsSync(join(base, 'next.h2'))).toBe(false);
  });
});
