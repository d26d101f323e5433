// Whole runs over the local shell: what speculation prepared is used again when the task
// runs, and never when what it read differs at run time: the last run's facts (here made
// stale on purpose) and a registered result speculation could only guess.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoTotals } from '../../../src/engine/prepare-memo.js';
import { host, inventory, play, playbook, task } from './fixtures.js';
import { runLocal } from './run-local.js';

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fleet-memo-run-'));
  process.env.XDG_CACHE_HOME = join(tmp, 'cache');
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const tasks = () => [
  task('dir', 'directory', { path: '{{root}}/etc', mode: '0755' }),
  task('host', 'copy', { dest: '{{root}}/etc/host', content: 'host={{ facts.hostname }}\n' }),
  task('flag', 'shell', { cmd: 'true' }, { register: 'flag', changedWhen: 'true' }),
  task('seen', 'copy', { dest: '{{root}}/etc/seen', content: 'changed={{ flag.changed }}\n' }),
  task('more', 'copy', { dest: '{{root}}/etc/more', content: 'x\n' }),
];

async function apply(root: string) {
  const { recap, tasks: events } = await runLocal(inventory([host('h1')]), playbook([play(tasks())]), root, { forks: 1, extraVars: { root } });
  return { recap: recap.hosts.h1, status: Object.fromEntries(events.map((e) => [e.task, e.status])) };
}

describe('prepared once, used again only when unchanged', () => {
  it('a stale fact and a guessed result are prepared again; the rest is used as speculation prepared it', async () => {
    const root = join(tmp, 'root');
    const first = await apply(root);
    expect(first.recap.failed).toBe(0);
    const realHost = readFileSync(join(root, 'etc', 'host'), 'utf8');
    expect(realHost).toMatch(/^host=\S+\n$/);
    expect(readFileSync(join(root, 'etc', 'seen'), 'utf8')).toBe('changed=True\n');

    // The last run's facts say another hostname: speculation renders with it.
    const dir = join(tmp, 'cache', 'fleet', 'facts');
    const file = readdirSync(dir).find((f) => f.endsWith('.json'))!;
    const facts = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    writeFileSync(join(dir, file), JSON.stringify({ ...facts, hostname: 'stale-name' }));

    const before = { ...memoTotals };
    const second = await apply(root);
    expect(second.status).toEqual({ dir: 'ok', host: 'ok', flag: 'changed', seen: 'ok', more: 'ok' });
    expect(readFileSync(join(root, 'etc', 'host'), 'utf8')).toBe(realHost);
    expect(readFileSync(join(root, 'etc', 'seen'), 'utf8')).toBe('changed=True\n');
    // dir, more (and flag) come from speculation; host and seen were prepared again.
    expect(memoTotals.reused - before.reused).toBeGreaterThanOrEqual(2);
  });
});
