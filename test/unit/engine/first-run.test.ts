// First runs (issue 15): every change whose probe is known is planned and applied in one
// script. Here, over a local shell on a corpus of starting states, the pipelined run must
// decide exactly what a run with one round trip per change decides (each task planned from a
// fresh probe), and leave exactly the same files.
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '../../../src/model/playbook.js';
import { handler, host, inventory, play, playbook, task } from './fixtures.js';
import { runLocal } from './run-local.js';

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fleet-first-run-'));
  process.env.XDG_CACHE_HOME = join(tmp, 'cache');
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** The bench workload's shape: directories, then files inside them (line, block, copy, a
 * loop), guarded commands, and a handler the edits notify. */
function workload(): Task[] {
  return [
    task('top', 'directory', { path: '{{root}}/opt', mode: '0755' }),
    task('etc', 'directory', { path: '{{root}}/etc', mode: '0750' }),
    task('sub', 'directory', { path: '{{root}}/opt/d1', mode: '0700' }),
    task('line', 'line', { path: '{{root}}/etc/l.conf', regexp: '^key=', line: 'key=value', create: true }, { notify: ['marker'] }),
    task('block', 'block', { path: '{{root}}/etc/b.conf', block: 'a\nb', create: true }, { notify: ['marker'] }),
    task('copy', 'copy', { dest: '{{root}}/etc/c.txt', content: 'c\n', mode: '0644' }),
    task('deep', 'copy', { dest: '{{root}}/opt/d1/deep.txt', content: 'deep\n', mode: '0600' }),
    task('touch', 'file', { path: '{{root}}/opt/d1/touched', state: 'touch' }),
    task('items', 'copy', { dest: '{{root}}/opt/d1/i.{{ item }}', content: '{{ item }}\n', mode: '0640' }, { loop: ['x', 'y'] }),
    task('cmd', 'shell', { cmd: 'echo ran > {{root}}/opt/m' }, { creates: '{{root}}/opt/m' }),
  ];
}

async function apply(root: string, tasks: Task[]) {
  const marker = handler('marker', 'shell', { cmd: 'echo x >> {{root}}/handler.log' });
  const { recap, tasks: events, sessions } = await runLocal(inventory([host('h1')]), playbook([play(tasks, { handlers: [marker] })]), root, { forks: 1, extraVars: { root } });
  const decisions = events.map((e) => `${e.task}: ${e.status} ${e.msg ?? ''}`.replaceAll(root, 'ROOT'));
  return { recap: recap.hosts.h1, decisions, roundTrips: sessions.get('h1')!.roundTrips };
}

/** Every path under root: type, mode and content. */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const st = lstatSync(join(root, rel));
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isDirectory()) {
      out.push(`${rel || '.'} dir ${mode}`);
      for (const n of readdirSync(join(root, rel)).sort()) walk(rel ? `${rel}/${n}` : n);
    } else out.push(`${rel} ${st.isFile() ? 'file' : 'other'} ${mode} ${JSON.stringify(readFileSync(join(root, rel), 'utf8'))}`);
  };
  walk('');
  return out;
}

/** Starting states: what the host may already have. */
const corpus: Record<string, (root: string) => void> = {
  fresh: () => undefined,
  'directories there, files absent': (r) => {
    mkdirSync(join(r, 'opt/d1'), { recursive: true });
    mkdirSync(join(r, 'etc'));
  },
  'files there with other content and modes': (r) => {
    mkdirSync(join(r, 'opt/d1'), { recursive: true });
    mkdirSync(join(r, 'etc'), { mode: 0o755 });
    writeFileSync(join(r, 'etc/l.conf'), 'key=old\nother=1\n');
    writeFileSync(join(r, 'etc/c.txt'), 'not c\n');
    writeFileSync(join(r, 'opt/d1/deep.txt'), 'deep\n');
    chmodSync(join(r, 'opt/d1/deep.txt'), 0o644);
  },
  'already converged but for one line': (r) => {
    mkdirSync(join(r, 'opt/d1'), { recursive: true, mode: 0o700 });
    chmodSync(join(r, 'opt'), 0o755);
    mkdirSync(join(r, 'etc'), { mode: 0o750 });
    writeFileSync(join(r, 'etc/l.conf'), 'key=value\n');
    writeFileSync(join(r, 'etc/b.conf'), 'drift\n');
    writeFileSync(join(r, 'etc/c.txt'), 'c\n', { mode: 0o644 });
    writeFileSync(join(r, 'opt/d1/deep.txt'), 'deep\n', { mode: 0o600 });
    writeFileSync(join(r, 'opt/d1/touched'), '');
    writeFileSync(join(r, 'opt/m'), 'ran\n');
  },
  'a file where a directory goes (the host stops there)': (r) => {
    mkdirSync(join(r, 'opt'));
    writeFileSync(join(r, 'opt/d1'), 'in the way\n');
  },
  'a directory where a file goes (the host stops there)': (r) => mkdirSync(join(r, 'etc/c.txt'), { recursive: true }),
};

describe('first runs: one script for every change whose probe is known', () => {
  it('the workload costs 3 round trips (first probes, every change, the handler), the next run 1', async () => {
    const root = join(tmp, 'h');
    mkdirSync(root);
    const first = await apply(root, workload());
    expect(first.recap).toMatchObject({ changed: 11, failed: 0 });
    expect(first.roundTrips).toBe(3);
    expect(readFileSync(join(root, 'handler.log'), 'utf8')).toBe('x\n');
    expect(readFileSync(join(root, 'opt/d1/deep.txt'), 'utf8')).toBe('deep\n');
    const again = await apply(root, workload());
    expect(again.recap).toMatchObject({ changed: 0, ok: 10, failed: 0 });
    expect(again.roundTrips).toBe(1);
  });

  it('a registered result rides along; a task reading its .changed rides too (known from the plans), one reading its output waits for the real value', async () => {
    const root = join(tmp, 'r');
    mkdirSync(root);
    const r = await apply(root, [
      task('a', 'copy', { dest: '{{root}}/a', content: 'a\n' }, { register: 'ra' }),
      task('b', 'copy', { dest: '{{root}}/b', content: 'b\n' }, { register: 'rb' }),
      task('reads a', 'shell', { cmd: 'echo "{{ ra.changed }} {{ rb.changed }}" > {{root}}/seen' }, { creates: '{{root}}/seen', when: 'ra.changed' }),
      task('skipped by b', 'shell', { cmd: 'touch {{root}}/never' }, { creates: '{{root}}/never', when: 'not rb.changed' }),
      task('says hi', 'shell', { cmd: 'echo hi; touch {{root}}/echoed' }, { creates: '{{root}}/echoed', register: 'out' }),
      task('reads stdout', 'shell', { cmd: 'echo "{{ out.stdout }}" > {{root}}/said' }, { creates: '{{root}}/said' }),
    ]);
    expect(r.decisions.map((d) => d.split(':')[1].trim().split(' ')[0])).toEqual(['changed', 'changed', 'changed', 'skipped', 'changed', 'changed']);
    // First probes; a, b, "reads a", the skip and "says hi" in one script; then "reads stdout",
    // whose probe waited for the real text (its probe, its apply).
    expect(r.roundTrips).toBe(4);
    expect(readFileSync(join(root, 'seen'), 'utf8')).toBe('True True\n');
    expect(readFileSync(join(root, 'said'), 'utf8')).toBe('hi\n');
    expect(existsSync(join(root, 'never'))).toBe(false);
  });

  it('a skip read from a rider\'s planned .changed is decided again when that rider\'s guard finds its state moved', async () => {
    const root = join(tmp, 'moved');
    mkdirSync(root);
    const r = await apply(root, [
      task('base file', 'copy', { dest: '{{root}}/f', content: 'b=3\n' }),
      // Planned before "base file" ran (no file: a change); its guard sees the new file and stops.
      task('edit b', 'line', { path: '{{root}}/f', regexp: '^b=', line: 'b=3', create: true }, { register: 'edit' }),
      task('after an edit', 'shell', { cmd: 'touch {{root}}/edited' }, { creates: '{{root}}/edited', when: 'edit.changed' }),
      task('after no edit', 'shell', { cmd: 'touch {{root}}/unedited' }, { creates: '{{root}}/unedited', when: 'not edit.changed' }),
    ]);
    expect(r.decisions.map((d) => d.split(':')[1].trim().split(' ')[0])).toEqual(['changed', 'ok', 'skipped', 'changed']);
    expect(existsSync(join(root, 'edited'))).toBe(false);
    expect(existsSync(join(root, 'unedited'))).toBe(true);
  });

  it('one unguarded command rides along per round trip; a second waits for the next one', async () => {
    const root = join(tmp, 'cmds');
    mkdirSync(root);
    const r = await apply(root, [
      task('a', 'copy', { dest: '{{root}}/a', content: 'a\n' }),
      task('run 1', 'shell', { cmd: 'echo 1 >> {{root}}/runs' }),
      task('b', 'copy', { dest: '{{root}}/b', content: 'b\n' }),
      task('run 2', 'shell', { cmd: 'echo 2 >> {{root}}/runs' }),
      task('c', 'copy', { dest: '{{root}}/c', content: 'c\n' }),
    ]);
    expect(r.recap).toMatchObject({ changed: 5, failed: 0 });
    // First probes; a, run 1, b; run 2, c.
    expect(r.roundTrips).toBe(3);
    expect(readFileSync(join(root, 'runs'), 'utf8')).toBe('1\n2\n');
  });

  it('a failing unguarded command riding along stops the script: nothing after it runs', async () => {
    const root = join(tmp, 'proof');
    mkdirSync(root);
    const r = await apply(root, [
      task('a', 'copy', { dest: '{{root}}/a', content: 'a\n' }, { register: 'ra' }),
      task('prove a', 'shell', { cmd: 'exit 3' }, { when: 'ra.changed' }),
      task('b', 'copy', { dest: '{{root}}/b', content: 'b\n' }),
    ]);
    expect(r.decisions.map((d) => d.split(':')[1].trim().split(' ')[0])).toEqual(['changed', 'failed']);
    expect(r.roundTrips).toBe(2);
    expect(existsSync(join(root, 'b'))).toBe(false);
  });

  it('tasks whose condition is false, actions included, do not stop the pipeline; a loop rides along item by item', async () => {
    const root = join(tmp, 'skips');
    mkdirSync(root);
    const r = await apply(root, [
      task('a', 'copy', { dest: '{{root}}/a', content: 'a\n' }),
      task('never', 'inventory_var', { key: 'user', value: 'nobody' }, { when: 'root == "elsewhere"' }),
      task('b', 'copy', { dest: '{{root}}/b', content: 'b\n' }),
      task('items', 'copy', { dest: '{{root}}/i.{{ item }}', content: '{{ item }}\n' }, { loop: ['x', 'y', 'z'] }),
    ]);
    expect(r.decisions.map((d) => d.split(':')[1].trim().split(' ')[0])).toEqual(['changed', 'skipped', 'changed', 'changed']);
    // First probes; a, b and the loop's three items.
    expect(r.roundTrips).toBe(2);
    expect(readFileSync(join(root, 'i.z'), 'utf8')).toBe('z\n');
  });

  for (const [name, setUp] of Object.entries(corpus)) {
    it(`decides as one round trip per change does: ${name}`, async () => {
      const batched = join(tmp, 'batched');
      const perTask = join(tmp, 'per-task');
      for (const r of [batched, perTask]) {
        mkdirSync(r);
        setUp(r);
      }
      // Registered results ride along too (nothing reads them before the round trip is back).
      const a = await apply(batched, workload().map((t, i) => ({ ...t, register: `r${i}` })));
      // A task whose condition reads the result of the one before it never rides along: every
      // change then has its own round trip, planned from a fresh probe taken after the changes
      // before it.
      const b = await apply(perTask, workload().map((t, i) => ({ ...t, register: `r${i}`, ...(i ? { when: `r${i - 1} is defined` } : {}) })));
      expect(a.decisions).toEqual(b.decisions);
      expect(a.recap).toEqual(b.recap);
      expect(tree(batched)).toEqual(tree(perTask));
      const changes = b.recap.changed - (b.decisions.some((d) => d.startsWith('marker: changed')) ? 1 : 0);
      if (changes > 1) expect(a.roundTrips).toBeLessThan(b.roundTrips);
    });
  }
});
