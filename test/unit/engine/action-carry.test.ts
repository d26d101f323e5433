// An action's last script on its own host (ScriptOptions.last) carries the re-probes of what
// follows: the next task's probe and a notified handler's are answered from what that script
// read after the change, with no round trip of their own; a script of the action after it
// makes them stale again (the cache is cleared as before); check mode sends nothing.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { actions } from '../../../src/actions/index.js';
import { UploadError, type AnyAction } from '../../../src/model/action.js';
import { paramsObject } from '../../../src/model/params.js';
import { handler, host, inventory, play, playbook, task } from './fixtures.js';
import { runLocal } from './run-local.js';
import { tempCacheDir } from './temp-cache.js';

const tmp = tempCacheDir('fleet-carry-');

/** Writes `text` into `path` with its last script; `after`: one more script after it (not last). */
const writer: AnyAction = {
  name: 'test_carry_writer',
  schema: paramsObject({
    path: Type.String(),
    text: Type.String(),
    after: Type.Optional(Type.String()),
    src: Type.Optional(Type.String()),
  }),
  probe: (p) => `cat ${String(p.path)} 2>/dev/null || echo absent\n`,
  async run(p, ctx, ports) {
    if (ctx.probed?.stdout === `${String(p.text)}\n`) return { status: 'ok' };
    if (ctx.check) return { status: 'changed', msg: 'will write' };
    const write = `printf '%s\\n' '${String(p.text)}' > ${String(p.path)}\necho wrote\n`;
    if (p.src) {
      try {
        const r = await ports.uploadAndRun(String(p.src), `${String(p.path)}.up`, write, { last: true });
        return r.rc === 0 && r.stdout === 'wrote\n'
          ? { status: 'changed' }
          : { status: 'failed', msg: `rc ${r.rc}: ${r.stdout}${r.stderr}` };
      } catch (err) {
        return { status: 'failed', msg: err instanceof UploadError ? `upload: ${err.message}` : String(err) };
      }
    }
    // Set -e is not the action's: a failing command in the middle does not end its script.
    const r = await ports.runOn(ctx.host, `false\n${write}`, { last: true });
    if (r.rc !== 0 || r.stdout !== 'wrote\n') return { status: 'failed', msg: `rc ${r.rc}: ${r.stdout}${r.stderr}` };
    if (p.after) await ports.runOn(ctx.host, `printf '%s\\n' '${String(p.after)}' > ${String(p.path)}\n`);
    return { status: 'changed' };
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

const file = () => join(tmp(), 'f');
const pb = (params: Record<string, unknown>) =>
  playbook([
    play(
      [
        task('trigger', 'copy', { dest: '{{base}}/t', content: 't\n' }, { notify: ['after write'] }),
        task('write by action', writer.name, { path: '{{base}}/f', text: 'made', ...params }),
        // Probed in the first round trip, before the action wrote the file.
        task('same file', 'copy', { dest: '{{base}}/f', content: 'made\n' }),
      ],
      { handlers: [handler('after write', 'copy', { dest: '{{base}}/h', content: 'h\n' })] },
    ),
  ]);

describe("an action's last script carries the re-probes of what follows", () => {
  it('the next task and the notified handler are answered from what it read after the change: no probe round trip', async () => {
    const r = await withWriter(() => runLocal(inventory([host('h1')]), pb({}), tmp()));
    const status = Object.fromEntries(r.tasks.map((t) => [t.task, t.status]));
    expect(status).toEqual({ trigger: 'changed', 'write by action': 'changed', 'same file': 'ok', 'after write': 'changed' });
    expect(readFileSync(file(), 'utf8')).toBe('made\n');
    // facts and probes; the trigger's apply; the action's script with the re-probes; the handler's apply.
    expect(r.sessions.get('h1')!.roundTrips).toBe(4);
    const carried = r.sessions.get('h1')!.scripts[2];
    expect(carried).toContain("printf '%s\\n' 'made'");
    // The probes of the next task and of the handler, after the action's script.
    const after = carried.slice(carried.indexOf('echo wrote'));
    expect(after).toContain(`[ -e ${tmp()}/f ]`);
    expect(after).toContain(`[ -e ${tmp()}/h ]`);
  });

  it('a script of the action after its last one: the carried answers are not used (the next task sees the real state)', async () => {
    const r = await withWriter(() => runLocal(inventory([host('h1')]), pb({ after: 'moved' }), tmp()));
    expect(r.tasks.find((t) => t.task === 'same file')?.status).toBe('changed');
    expect(readFileSync(file(), 'utf8')).toBe('made\n');
  });

  it('uploadAndRun without a transport that streams both: the upload, then the script with the re-probes', async () => {
    const src = join(tmp(), 'src.bin');
    writeFileSync(src, Buffer.from([1, 2, 3, 10]));
    const r = await withWriter(() => runLocal(inventory([host('h1')]), pb({ src }), tmp()));
    expect(r.tasks.find((t) => t.task === 'write by action')?.status).toBe('changed');
    expect(readFileSync(`${file()}.up`).equals(Buffer.from([1, 2, 3, 10]))).toBe(true);
    expect(r.tasks.find((t) => t.task === 'same file')?.status).toBe('ok');
    const missing = await withWriter(() => runLocal(inventory([host('h1')]), pb({ src: join(tmp(), 'nope'), text: 'other' }), tmp()));
    expect(missing.tasks.find((t) => t.task === 'write by action')).toMatchObject({ status: 'failed' });
    expect(JSON.stringify(missing.tasks.find((t) => t.task === 'write by action'))).toContain('upload:');
  });

  it('check mode: nothing is sent, the decisions are as before', async () => {
    const r = await withWriter(() => runLocal(inventory([host('h1')]), pb({}), tmp(), { mode: 'check' }));
    expect(Object.fromEntries(r.tasks.map((t) => [t.task, t.status]))).toEqual({
      trigger: 'changed',
      'write by action': 'changed',
      'same file': 'changed',
      'after write': 'changed',
    });
    expect(existsSync(file())).toBe(false);
    expect(r.sessions.get('h1')!.scripts.some((x) => x.includes('echo wrote'))).toBe(false);
  });
});
