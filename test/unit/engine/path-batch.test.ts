// Path probes merged into one stat (and one stat -L) must decide exactly as each task's own
// probe: both run in a real local shell over a corpus of states in a temporary directory, and
// the answers and plan() decisions of every file-like module are compared.
import { Ajv } from 'ajv';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchProbes } from '../../../src/engine/probe-batch.js';
import { roundTrip } from '../../../src/engine/round-trip.js';
import type { Section } from '../../../src/engine/script.js';
import type { AnyModule } from '../../../src/model/module.js';
import { getModule } from '../../../src/modules/index.js';
import { LocalSession } from './local-session.js';

let d = '';
beforeAll(() => {
  d = mkdtempSync(join(tmpdir(), 'fleet-pathbatch-'));
  writeFileSync(join(d, 'same'), 'hello\n');
  writeFileSync(join(d, 'other'), 'something else\n');
  writeFileSync(join(d, 'lines'), 'a=1\nkey=old\n');
  chmodSync(join(d, 'lines'), 0o600);
  writeFileSync(join(d, 'empty'), '');
  mkdirSync(join(d, 'dir'));
  chmodSync(join(d, 'dir'), 0o700);
  mkdirSync(join(d, 'dir with space'));
  // Names sha256sum escapes (its line starts with a backslash) and names a shell would glob.
  writeFileSync(join(d, 'back\\slash\nnewline'), 'hello\n');
  writeFileSync(join(d, 'star*[s]'), 'hello\n');
  writeFileSync(join(d, 'stars'), 'not the same\n');
  symlinkSync(join(d, 'same'), join(d, 'link-to-file'));
  symlinkSync(join(d, 'dir'), join(d, 'link-to-dir'));
  execFileSync('mkfifo', [join(d, 'fifo')]);
});
afterAll(() => rmSync(d, { recursive: true, force: true }));

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
/** Params as the engine hands them over: validated with defaults, then what prepare() adds. */
function task(module: string, raw: Record<string, unknown>, prepared: Record<string, unknown> = {}): { m: AnyModule; p: Record<string, unknown> } {
  const m = getModule(module)!;
  const p = structuredClone(raw);
  if (!ajv.validate(m.schema, p)) throw new Error(`${module}: ${ajv.errorsText()}`);
  return { m, p: { ...p, ...prepared } };
}

const p = (name: string): string => join(d, name);
/** The corpus: every file-like module over files, directories, links, a fifo, absent paths,
 * missing parents, differing content and modes, known and unknown owners. */
const corpus = (): { m: AnyModule; p: Record<string, unknown> }[] => [
  task('directory', { path: p('dir'), mode: '0700' }),
  task('directory', { path: p('dir'), mode: '0755' }),
  task('directory', { path: p('new-dir') }),
  task('directory', { path: p('same') }),
  task('directory', { path: p('dir with space') }),
  task('directory', { path: p('dir'), state: 'absent' }),
  task('file', { path: p('same'), state: 'file', mode: '0644' }),
  task('file', { path: p('fifo'), state: 'file' }),
  task('file', { path: p('missing/x'), state: 'touch' }),
  task('file', { path: p('same'), owner: 'fleet-no-such-user' }),
  task('file', { path: p('same'), owner: 'root', group: 'root' }),
  task('link', { path: p('link-to-file'), src: p('same') }),
  task('link', { path: p('link-to-file'), src: p('other') }),
  task('link', { path: p('new-link'), src: p('same') }),
  task('copy', { dest: p('same'), content: 'hello\n' }),
  task('copy', { dest: p('same'), content: 'changed\n' }),
  task('copy', { dest: p('link-to-file'), content: 'hello\n', mode: '0600' }),
  task('copy', { dest: p('absent-file'), content: 'x' }),
  task('copy', { dest: p('no-parent/f'), content: 'x' }),
  task('copy', { dest: p('dir'), content: 'x' }),
  task('copy', { dest: p('empty'), content: '' }),
  task('copy', { dest: p('back\\slash\nnewline'), content: 'hello\n' }),
  task('copy', { dest: p('star*[s]'), content: 'hello\n' }),
  task('copy', { dest: p('back\\slash\nnewline'), content: 'other\n' }),
  task('copy', { dest: p('same'), content: 'hello\n' }),
  task('template', { dest: p('other'), src: 't.j2' }, { content: 'something else\n' }),
  task('line', { path: p('lines'), regexp: '^key=', line: 'key=new' }),
  task('line', { path: p('lines'), line: 'a=1' }),
  task('line', { path: p('new-lines'), line: 'x=1', create: true }),
  task('line', { path: p('link-to-file'), line: 'hello' }),
  task('block', { path: p('lines'), block: 'b=2' }),
];

const section = ({ m, p: params }: { m: AnyModule; p: Record<string, unknown> }): Section => ({
  kind: 'probe',
  text: m.probe(params),
  batch: m.batchProbe?.(params),
});

describe('merged path probes', () => {
  it('send one stat, one stat -L and one sha256sum for every path of a run of probes', () => {
    const sections = corpus().map(section);
    expect(sections.every((s) => s.batch?.kind === 'path')).toBe(true);
    const sent = batchProbes(sections).sent;
    expect(sent.length).toBe(1);
    expect(sent[0].text.match(/\bstat (-L )?--printf/g)).toEqual(['stat --printf', 'stat -L --printf']);
    // One sha256sum for every digest asked (copy, template), none per task.
    expect(sent[0].text.match(/\bsha256sum\b/g)).toEqual(['sha256sum']);
    // One od for the text of every line and block file, none per task, and no file to spool it in.
    expect(sent[0].text.match(/\bod -An\b/g)).toEqual(['od -An']);
    expect(sent[0].text).not.toMatch(/\bcat\b|\$T\b/);
    expect(sent[0].text).not.toMatch(/content_b64='; base64 -w0 < \S+ \|\| exit 1/);
  });

  it('start stat -L only when a followed path is a link: the processes the host starts, counted', async () => {
    const shim = mkdtempSync(join(tmpdir(), 'fleet-shim-'));
    const log = join(shim, 'log');
    try {
      for (const tool of ['stat', 'sha256sum', 'od', 'cat', 'base64']) {
        const real = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
        writeFileSync(join(shim, tool), `#!/bin/sh\necho "${tool} \${1%%=*}" >>'${log}'\nexec ${real} "$@"\n`, { mode: 0o755 });
      }
      const started = async (tasks: { m: AnyModule; p: Record<string, unknown> }[]) => {
        writeFileSync(log, '');
        const session = new LocalSession({ PATH: `${shim}:${process.env.PATH}` });
        const r = await roundTrip(session, tasks.map(section), false, 'test', {});
        expect([...r.values()].every((x) => x.rc === 0)).toBe(true);
        return readFileSync(log, 'utf8').split('\n').filter(Boolean).sort();
      };
      const plain = [task('directory', { path: p('dir') }), task('copy', { dest: p('same'), content: 'hello\n' }), task('line', { path: p('lines'), line: 'a=1' })];
      expect(await started(plain)).toEqual(['od -An', 'sha256sum --', 'stat --printf']);
      const linked = [...plain, task('copy', { dest: p('link-to-file'), content: 'hello\n' })];
      expect((await started(linked)).filter((l) => l.startsWith('stat'))).toHaveLength(2);
    } finally {
      rmSync(shim, { recursive: true, force: true });
    }
  });

  it('fail every task whose content it read when a size and the bytes read disagree', async () => {
    const tasks = [task('line', { path: p('lines'), line: 'a=1' }), task('block', { path: p('lines'), block: 'b=2' }), task('directory', { path: p('dir') })];
    const batched = batchProbes(tasks.map(section));
    const run = async (edit: (out: string) => string) => {
      const r = await roundTrip(new LocalSession(), batched.sent, false, 'test', {});
      const only = r.get(0)!;
      return batched.split(new Map([[0, { ...only, stdout: edit(only.stdout) }]]));
    };
    const good = await run((o) => o);
    expect([...good.values()].map((r) => r.rc)).toEqual([0, 0, 0]);
    expect(good.get(0)!.stdout).toContain(`content_b64=${Buffer.from('a=1\nkey=old\n').toString('base64')}\n`);
    // The file grew between its stat and the cat: the bytes read are one more than the sizes.
    const grown = await run((o) => o.replace('\n@@path 0\n', '\n 78\n@@path 0\n'));
    // Bytes that are not od's hex are no answer either.
    const garbled = await run((o) => o.replace('\n@@path 0\n', '\n 7\n@@path 0\n'));
    expect([...garbled.values()].map((r) => r.rc !== 0)).toEqual([true, true, true]);
    expect([...grown.values()].map((r) => r.rc !== 0)).toEqual([true, true, true]);
    expect(grown.get(0)!.stderr).toMatch(/changed while it was probed/);
    // The stat records are put back in order: one record fewer than the answers ask for (or
    // one more) is no answer either.
    const fewer = await run((o) => o.replace(/^mode=.*\n(?:.*\n){5}/m, ''));
    expect([...fewer.values()].map((r) => r.rc !== 0)).toEqual([true, true, true]);
    const more = await run((o) => o.replace(/^(@@stats P\n)((?:.*\n){6})/m, '$1$2$2'));
    expect([...more.values()].map((r) => r.rc !== 0)).toEqual([true, true, true]);
  });

  it('answer each task as its own probe does, and plan the same, over the corpus (real shell)', async () => {
    const tasks = corpus();
    const sections = tasks.map(section);
    const merged = await roundTrip(new LocalSession(), sections, false, 'test', {});
    const alone = await roundTrip(new LocalSession(), sections.map((s) => ({ kind: s.kind, text: s.text })), false, 'test', {});
    expect(merged.size).toBe(tasks.length);
    const plans: string[] = [];
    for (const [i, t] of tasks.entries()) {
      const got = merged.get(i)!;
      const own = alone.get(i)!;
      expect({ i, rc: got.rc, stdout: got.stdout }).toEqual({ i, rc: own.rc, stdout: own.stdout });
      const plan = t.m.plan(t.p, got.stdout);
      expect(plan).toEqual(t.m.plan(t.p, own.stdout));
      plans.push(plan.kind);
    }
    // The corpus reaches every kind of decision.
    expect(new Set(plans)).toEqual(new Set(['ok', 'change', 'blocked']));
  });

  it('run merged probes in the script\'s own shell, leaving it as a subshell would have', async () => {
    const session = new LocalSession();
    const tasks = corpus();
    // What a later section (an operator's command) sees: variables, positional parameters,
    // IFS, globbing.
    const look: Section = { kind: 'query', text: 'echo "vars=${s-}${h-}${fe_0-}${fh_14-}${fc_22-}${f-}${k-}${w-}${n-}${l-} args=$# ifs=${IFS+set} opts=$-"; set -- /*; [ "$1" != "/*" ] && echo globs\n' };
    const r = await roundTrip(session, [...tasks.map(section), look], false, 'test', {});
    expect(session.scripts[0]).toMatch(/^fleet_s; rc=\$\?; unset s h fe_0 fh_0 fc_0 /m);
    expect(session.scripts[0].match(/^\(\n/gm)?.length ?? 0).toBe(1); // the query alone runs in a subshell
    const seen = r.get(tasks.length)!.stdout;
    expect(seen).toMatch(/^vars= args=0 ifs= opts=[^f]*\nglobs\n$/);
  });

  it('fail every merged task when a path cannot be read, as that path alone fails', async () => {
    const dangling = join(d, 'dangling');
    symlinkSync(join(d, 'nowhere'), dangling);
    try {
      const bad = task('copy', { dest: dangling, content: 'x' });
      const own = (await roundTrip(new LocalSession(), [{ kind: 'probe', text: bad.m.probe(bad.p) }], false, 'test', {})).get(0)!;
      expect(own.rc).not.toBe(0);
      // The merged probe runs in the script's own shell: failing, it returns, and the script goes on.
      const after: Section = { kind: 'query', text: 'echo after\n' };
      const merged = await roundTrip(new LocalSession(), [section(task('directory', { path: p('dir') })), section(bad), after], false, 'test', {});
      expect([...merged.values()].map((r) => r.rc !== 0)).toEqual([true, true, false]);
      expect(merged.get(2)!.stdout).toBe('after\n');
    } finally {
      rmSync(dangling);
    }
  });
});
