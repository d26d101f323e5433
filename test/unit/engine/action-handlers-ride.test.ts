// The handlers notified before an action's conclusive last script (ScriptOptions.conclusive)
// that ends its play ride after that script, behind guards: no round trip of their own, run on
// the host only when the script exited 0, reported at the end of the play as before. Anything
// else (a script that is not conclusive, a task after the action, an action that notifies,
// check mode) keeps the handler's own round trip.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { actions } from '../../../src/actions/index.js';
import type { AnyAction } from '../../../src/model/action.js';
import { paramsObject } from '../../../src/model/params.js';
import type { Handler, Task } from '../../../src/model/playbook.js';
import { DIVERGED_MARK } from '../../../src/engine/pipeline.js';
import { handler, host, inventory, play, playbook, task } from './fixtures.js';
import { runLocal } from './run-local.js';
import { tempCacheDir } from './temp-cache.js';

const tmp = tempCacheDir('fleet-hride-');

/** Writes `text` into `path` with one last script (exit `rc`), conclusive unless told. */
const writer: AnyAction = {
  name: 'test_hride_writer',
  schema: paramsObject({
    path: Type.String(),
    text: Type.String(),
    rc: Type.Optional(Type.Union([Type.Number(), Type.String()])),
    loose: Type.Optional(Type.Boolean()),
  }),
  probe: (p) => `cat ${String(p.path)} 2>/dev/null || echo absent\n`,
  async run(p, ctx, ports) {
    if (ctx.probed?.stdout === `${String(p.text)}\n`) return { status: 'ok' };
    if (ctx.check) return { status: 'changed', msg: 'will write' };
    const r = await ports.runOn(ctx.host, `printf '%s\\n' '${String(p.text)}' > ${String(p.path)}\nexit ${Number(p.rc ?? 0)}\n`, {
      last: true,
      conclusive: !p.loose,
    });
    return r.rc === 0 ? { status: 'changed' } : { status: 'failed', msg: `rc ${r.rc}` };
  },
};

async function withWriter<T>(fn: () => Promise<T>): Promise<T> {
  const registry = actions as Record<string, AnyAction>;
  registry[writer.name] = writer;
  try {
    return await fn();
  } finally {
    delete registry[writer.name];
  }
}

const trigger = () => task('trigger', 'copy', { dest: '{{base}}/t', content: 't\n' }, { notify: ['after write'] });
const action = (params: Record<string, unknown> = {}, extra: Partial<Task> = {}) =>
  task('write by action', writer.name, { path: '{{base}}/f', text: 'made', ...params }, extra);
const copyHandler = (): Handler => handler('after write', 'copy', { dest: '{{base}}/h', content: 'h\n' });
const pb = (tasks: Task[], handlers: Handler[] = [copyHandler()]) => playbook([play(tasks, { handlers })]);
/** A fresh host: the files the tasks write and the last run's caches gone. */
const clean = () => ['t', 'f', 'h', 'l', 'c', 'cache'].forEach((n) => rmSync(join(tmp(), n), { recursive: true, force: true }));
const statuses = (r: Awaited<ReturnType<typeof runLocal>>) => r.tasks.map((t) => `${t.task}=${t.status}`);

describe("handlers ride after the conclusive last script of the play's last action", () => {
  it("the notified handler runs in the action's round trip, after its script, and is reported last", async () => {
    const r = await withWriter(() => runLocal(inventory([host('h1')]), pb([trigger(), action()]), tmp()));
    expect(statuses(r)).toEqual(['trigger=changed', 'write by action=changed', 'after write=changed']);
    expect(readFileSync(join(tmp(), 'h'), 'utf8')).toBe('h\n');
    // facts and probes; the trigger's apply; the action's script with the handler: no fourth.
    const s = r.sessions.get('h1')!;
    expect(s.roundTrips).toBe(3);
    const carried = s.scripts[2];
    expect(carried.indexOf("printf '%s\\n' 'made'")).toBeGreaterThan(-1);
    expect(carried.indexOf(`${tmp()}/h`)).toBeGreaterThan(carried.indexOf("printf '%s\\n' 'made'"));
  });

  it('the script exits non-zero: the handler never runs, the host fails where it did', async () => {
    const r = await withWriter(() => runLocal(inventory([host('h1')]), pb([trigger(), action({ rc: 4 })]), tmp()));
    expect(statuses(r)).toEqual(['trigger=changed', 'write by action=failed']);
    expect(existsSync(join(tmp(), 'h'))).toBe(false);
  });

  it('a loop: only its last item carries the handler, and only when no item before it failed', async () => {
    const loop = (rcs: number[]) =>
      action({ text: '{{ item.t }}', rc: '{{ item.rc }}' }, { loop: rcs.map((rc, i) => ({ t: `t${i}`, rc })) });
    const r = await withWriter(() => runLocal(inventory([host('h1')]), pb([trigger(), loop([0, 0])]), tmp()));
    expect(statuses(r)).toEqual(['trigger=changed', 'write by action=changed', 'after write=changed']);
    // facts; the trigger; the first item; the last item with the handler.
    expect(r.sessions.get('h1')!.roundTrips).toBe(4);
    expect(r.sessions.get('h1')!.scripts[3]).toContain("printf '%s\\n' 't1'");
    // The handler's guard is in the last item's script only.
    expect(r.sessions.get('h1')!.scripts[2]).not.toContain(DIVERGED_MARK);
    expect(r.sessions.get('h1')!.scripts[3]).toContain(DIVERGED_MARK);
    expect(readFileSync(join(tmp(), 'h'), 'utf8')).toBe('h\n');
    clean();
    const f = await withWriter(() => runLocal(inventory([host('h1')]), pb([trigger(), loop([4, 0])]), tmp()));
    expect(statuses(f)).toEqual(['trigger=changed', 'write by action=failed']);
    expect(existsSync(join(tmp(), 'h'))).toBe(false);
  });

  it('a command handler with changed_when rides, judged from its output', async () => {
    const cmd: Handler = {
      ...handler('after write', 'command', { cmd: `sh -c 'echo restarted > ${tmp()}/c; echo restarted'` }),
      changedWhen: "'restarted' in stdout",
    };
    const quiet: Handler = { ...handler('after write', 'command', { cmd: 'echo nothing' }), changedWhen: "'restarted' in stdout" };
    const r = await withWriter(() => runLocal(inventory([host('h1')]), pb([trigger(), action()], [cmd]), tmp()));
    expect(statuses(r)).toEqual(['trigger=changed', 'write by action=changed', 'after write=changed']);
    expect(r.sessions.get('h1')!.roundTrips).toBe(3);
    expect(readFileSync(join(tmp(), 'c'), 'utf8')).toBe('restarted\n');
    clean();
    const q = await withWriter(() => runLocal(inventory([host('h1')]), pb([trigger(), action()], [quiet]), tmp()));
    expect(statuses(q)).toEqual(['trigger=changed', 'write by action=changed', 'after write=ok']);
    expect(q.sessions.get('h1')!.roundTrips).toBe(3);
  });

  it('not conclusive, not the last task, or the action notifies: the handler keeps its own round trip', async () => {
    const loose = await withWriter(() => runLocal(inventory([host('h1')]), pb([trigger(), action({ loose: true })]), tmp()));
    expect(statuses(loose)).toEqual(['trigger=changed', 'write by action=changed', 'after write=changed']);
    expect(loose.sessions.get('h1')!.roundTrips).toBe(4);
    clean();
    const after = await withWriter(() =>
      runLocal(inventory([host('h1')]), pb([trigger(), action(), task('later', 'copy', { dest: '{{base}}/l', content: 'l\n' })]), tmp()),
    );
    expect(statuses(after)).toEqual(['trigger=changed', 'write by action=changed', 'later=changed', 'after write=changed']);
    // The later task rides nowhere (an action opens no pipeline); the handler's apply is its own.
    expect(after.sessions.get('h1')!.scripts.at(-1)).toContain(`${tmp()}/h`);
    expect(after.sessions.get('h1')!.scripts.at(-1)).not.toContain(`${tmp()}/l`);
    clean();
    const notifies = await withWriter(() =>
      runLocal(inventory([host('h1')]), pb([trigger(), action({}, { notify: ['after write'] })]), tmp()),
    );
    expect(notifies.sessions.get('h1')!.roundTrips).toBe(4);
    expect(readFileSync(join(tmp(), 'h'), 'utf8')).toBe('h\n');
  });

  it('check mode: the same decisions, nothing applied', async () => {
    const r = await withWriter(() => runLocal(inventory([host('h1')]), pb([trigger(), action()]), tmp(), { mode: 'check' }));
    expect(statuses(r)).toEqual(['trigger=changed', 'write by action=changed', 'after write=changed']);
    expect(existsSync(join(tmp(), 'h'))).toBe(false);
    expect(existsSync(join(tmp(), 'f'))).toBe(false);
  });
});
