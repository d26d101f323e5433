// The engine over a local shell transport: real scripts, real files in a temp dir.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../src/engine/index.js';
import type { Inventory } from '../../../src/model/inventory.js';
import type { Playbook } from '../../../src/model/playbook.js';
import { Type } from '@sinclair/typebox';
import { actions } from '../../../src/actions/index.js';
import type { AnyAction } from '../../../src/model/action.js';
import { paramsObject } from '../../../src/model/params.js';
import { handler, host, inventory, play, playbook, task } from './fixtures.js';
import { runLocal } from './run-local.js';

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'fleet-engine-'));
  process.env.XDG_CACHE_HOME = join(base, 'cache');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const go = (inv: Inventory, pb: Playbook, opts: Partial<Parameters<typeof run>[0]> = {}) => runLocal(inv, pb, base, opts);

const filesPlay = () =>
  play([
    task('dir', 'directory', { path: '{{base}}/{{inventory_hostname}}', mode: '0755' }),
    task('conf', 'copy', { dest: '{{base}}/{{inventory_hostname}}/app.conf', content: 'port=80\n', mode: '0644' }, { notify: ['restart app'] }),
    task('line', 'line', { path: '{{base}}/{{inventory_hostname}}/mode.conf', regexp: '^mode=', line: 'mode=fast', create: true }, { notify: ['restart app'] }),
    task('marker', 'command', { cmd: 'touch {{base}}/{{inventory_hostname}}/made' }, { creates: '{{base}}/{{inventory_hostname}}/made' }),
  ], { handlers: [handler('restart app', 'shell', { cmd: 'echo restarted >> {{base}}/{{inventory_hostname}}/handler.log' })] });

describe('engine', () => {
  it('converges, then a second run changes nothing in exactly one round trip per host', async () => {
    const inv = inventory([host('h1'), host('h2')]);
    const first = await go(inv, playbook([filesPlay()]));
    expect(first.recap.hosts.h1).toMatchObject({ changed: 5, failed: 0 });
    expect(readFileSync(join(base, 'h2/app.conf'), 'utf8')).toBe('port=80\n');
    expect(readFileSync(join(base, 'h2/mode.conf'), 'utf8')).toBe('mode=fast\n');
    expect(readFileSync(join(base, 'h1/handler.log'), 'utf8')).toBe('restarted\n');

    const second = await go(inv, playbook([filesPlay()]));
    expect(second.recap.hosts.h1).toMatchObject({ ok: 4, changed: 0, failed: 0 });
    for (const h of ['h1', 'h2']) expect(second.sessions.get(h)!.roundTrips).toBe(1);
    const hostEvents = second.events.filter((e) => e.type === 'host');
    expect(hostEvents.map((e) => (e.type === 'host' ? e.roundTrips : 0))).toEqual([1, 1]);
    // the handler did not run again
    expect(readFileSync(join(base, 'h1/handler.log'), 'utf8')).toBe('restarted\n');
  });

  it('check mode shows drift with a diff, exits as changed, and touches nothing', async () => {
    const inv = inventory([host('h1')]);
    await go(inv, playbook([filesPlay()]));
    const conf = join(base, 'h1/app.conf');
    writeFileSync(conf, 'port=8080\n');
    const check = await go(inv, playbook([filesPlay()]), { mode: 'check' });
    const conf2 = check.tasks.find((t) => t.task === 'conf')!;
    expect(conf2.status).toBe('changed');
    expect(conf2.diff).toContain('-port=8080');
    expect(conf2.diff).toContain('+port=80');
    expect(readFileSync(conf, 'utf8')).toBe('port=8080\n');
    // the handler is reported as what would run, and did not run
    expect(readFileSync(join(base, 'h1/handler.log'), 'utf8')).toBe('restarted\n');
  });

  it('check mode: a task that depends on an earlier pending change says "will change (after: X)"', async () => {
    const inv = inventory([host('h1')]);
    const user = `fleet-nouser-${process.pid}`;
    const pb = playbook([
      play([
        task('create user', 'user', { name: user }),
        task('user key', 'authorized_key', { user, key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBdDnGKPoLc7HOpVHmE2PZzfo7V8gT+n/9C1jSvQpPq7 test' }),
      ]),
    ]);
    const check = await go(inv, pb, { mode: 'check' });
    const key = check.tasks.find((t) => t.task === 'user key')!;
    expect(check.tasks.find((t) => t.task === 'create user')!.status).toBe('changed');
    expect(key.status).toBe('changed');
    expect(key.after).toBe('create user');
    // without the earlier task, the same precondition is a real failure, not a false ok
    const alone = await go(inv, playbook([play([pb.plays[0].tasks[1]])]), { mode: 'check' });
    expect(alone.tasks[0].status).toBe('failed');
  });

  it('check mode: a query that fails because an earlier change was not made says "will change (after: X)"; alone it fails', async () => {
    // Like the comms self-check on a host the stack was never deployed to.
    const inv = inventory([host('h1')]);
    const tasks = [
      task('deploy', 'copy', { dest: '{{base}}/deployed', content: 'v1\n' }, { register: 'deploy' }),
      task('self-check', 'shell', { cmd: 'cat {{base}}/deployed' }, { changedWhen: false, when: 'deploy is defined' }),
    ];
    const check = await go(inv, playbook([play(tasks)]), { mode: 'check' });
    expect(check.tasks.find((t) => t.task === 'self-check')).toMatchObject({ status: 'changed', after: 'deploy' });
    expect(check.recap.hosts.h1).toMatchObject({ failed: 0 });
    expect(existsSync(join(base, 'deployed'))).toBe(false);
    const alone = await go(inv, playbook([play([task('self-check', 'shell', { cmd: 'cat {{base}}/deployed' }, { changedWhen: false })])]), { mode: 'check' });
    expect(alone.tasks[0].status).toBe('failed');
  });

  it('a failing task stops its host only; an unreachable host is reported as such', async () => {
    const inv = inventory([host('h1'), host('h2'), host('down1')]);
    const pb = playbook([
      play([
        task('fails on h2', 'shell', { cmd: 'test "$FLEET_TEST_HOST" != h2' }),
        task('after', 'shell', { cmd: 'touch {{base}}/{{inventory_hostname}}.after' }),
      ]),
    ]);
    const r = await go(inv, pb);
    expect(r.recap.hosts.h1).toMatchObject({ changed: 2, failed: 0 });
    expect(r.recap.hosts.h2).toMatchObject({ failed: 1, changed: 0 });
    expect(r.recap.hosts.down1).toMatchObject({ unreachable: 1 });
    expect(existsSync(join(base, 'h1.after'))).toBe(true);
    expect(existsSync(join(base, 'h2.after'))).toBe(false);
    const f = r.recap.failures.find((x) => x.host === 'h2')!;
    expect(f).toMatchObject({ task: 'fails on h2', rc: 1, location: expect.stringMatching(/tasks\.yml:\d+/) });
    expect(f.cmd).toContain('FLEET_TEST_HOST');
  });

  it('a host whose transport breaks (sudo refused) fails alone; the run goes on and ends', async () => {
    const inv = inventory([host('h1'), host('sudofail1')]);
    const r = await go(inv, playbook([play([task('touch', 'shell', { cmd: 'touch {{base}}/{{inventory_hostname}}' })])]));
    expect(r.recap.hosts.sudofail1).toMatchObject({ failed: 1 });
    expect(r.recap.hosts.h1).toMatchObject({ changed: 1, failed: 0 });
    expect(r.recap.failures.find((f) => f.host === 'sudofail1')!.msg).toContain('incorrect password');
    expect(r.events.filter((e) => e.type === 'host')).toHaveLength(2);
  });

  it('register + when, loops, run_once and ignore_errors', async () => {
    const inv = inventory([host('h1'), host('h2')]);
    const pb = playbook([
      play([
        task('who', 'shell', { cmd: 'echo "$FLEET_TEST_HOST"' }, { register: 'who', changedWhen: false }),
        task('only h2', 'shell', { cmd: 'touch {{base}}/only-{{who.stdout}}' }, { when: "who.stdout == 'h2'" }),
        task('loop', 'shell', { cmd: 'echo {{item}} >> {{base}}/{{inventory_hostname}}.loop' }, { loop: ['a', 'b'] }),
        task('once', 'shell', { cmd: 'echo x >> {{base}}/once' }, { runOnce: true }),
        task('tolerated', 'shell', { cmd: 'exit 3' }, { ignoreErrors: true }),
        task('still runs', 'shell', { cmd: 'true' }),
      ]),
    ]);
    const r = await go(inv, pb);
    expect(existsSync(join(base, 'only-h2'))).toBe(true);
    expect(existsSync(join(base, 'only-h1'))).toBe(false);
    expect(readFileSync(join(base, 'h1.loop'), 'utf8')).toBe('a\nb\n');
    expect(readFileSync(join(base, 'once'), 'utf8')).toBe('x\n');
    expect(r.tasks.filter((t) => t.task === 'tolerated').every((t) => t.ignored)).toBe(true);
    expect(r.recap.hosts.h1.failed).toBe(0);
    expect(r.tasks.filter((t) => t.task === 'still runs')).toHaveLength(2);
  });

  it('a loop whose every item is skipped registers skipped (as Ansible does); one that ran does not', async () => {
    const inv = inventory([host('h1')]);
    const pb = playbook([
      play([
        task('none apply', 'shell', { cmd: 'echo {{item}}' }, { loop: ['a', 'b'], when: "item == 'z'", register: 'nothing', changedWhen: false }),
        task('one applies', 'shell', { cmd: 'echo {{item}}' }, { loop: ['a', 'b'], when: "item == 'b'", register: 'one', changedWhen: false }),
        task('saw none', 'shell', { cmd: 'touch {{base}}/none-skipped' }, { when: 'nothing is skipped' }),
        task('saw one', 'shell', { cmd: 'touch {{base}}/one-skipped' }, { when: 'one is skipped' }),
      ]),
    ]);
    const r = await go(inv, pb);
    expect(r.recap.hosts.h1.failed, JSON.stringify(r.recap.failures)).toBe(0);
    expect(existsSync(join(base, 'none-skipped'))).toBe(true);
    expect(existsSync(join(base, 'one-skipped'))).toBe(false);
  });

  it('tasks that use a registered query value are probed in the same single round trip', async () => {
    const inv = inventory([host('h1')]);
    const pb = playbook([
      play([
        task('query', 'shell', { cmd: 'echo h1' }, { register: 'q', changedWhen: false }),
        task('uses it', 'shell', { cmd: 'echo {{q.stdout}} > {{base}}/q' }, { creates: '{{base}}/q' }),
        task('conditional', 'copy', { dest: '{{base}}/c', content: 'x' }, { when: "q.stdout == 'h1'" }),
      ]),
    ]);
    await go(inv, pb);
    const second = await go(inv, pb);
    expect(second.recap.hosts.h1).toMatchObject({ ok: 3, changed: 0 });
    expect(second.sessions.get('h1')!.roundTrips).toBe(1);
  });

  it('changed_when and failed_when decide on every module, not only commands', async () => {
    const inv = inventory([host('h1')]);
    const pb = playbook([
      play([
        task('quiet copy', 'copy', { dest: '{{base}}/quiet', content: 'x\n' }, { changedWhen: false, register: 'quiet', notify: ['never'] }),
        task('sees it', 'shell', { cmd: 'touch {{base}}/seen-changed' }, { when: 'quiet.changed' }),
        task('strict dir', 'directory', { path: '{{base}}/d' }, { failedWhen: "'d' in inventory_hostname or changed" }),
      ], { handlers: [handler('never', 'shell', { cmd: 'touch {{base}}/handler-ran' })] }),
    ]);
    const r = await go(inv, pb);
    const status = (name: string) => r.tasks.find((t) => t.task === name)?.status;
    expect(readFileSync(join(base, 'quiet'), 'utf8')).toBe('x\n');
    expect(status('quiet copy')).toBe('ok');
    expect(status('sees it')).toBe('skipped');
    expect(existsSync(join(base, 'handler-ran'))).toBe(false);
    expect(status('strict dir')).toBe('failed');
    expect(r.tasks.find((t) => t.task === 'strict dir')?.failure?.msg).toMatch(/failed_when is true/);
  });

  it('the run right after a converge costs one round trip, even when a query now answers differently than last time', async () => {
    // Like harden-ssh's root login: a task manages the file only when the login user (a query)
    // is the admin; a run logged in as root leaves it to a handler at the end of the play. The
    // next run is logged in as the admin: the query's result differs from the last run's, and
    // the task it enables must still be probed in the first round trip.
    const inv = inventory([host('h1')]);
    writeFileSync(join(base, 'login'), 'root\n');
    const conf = { dest: '{{base}}/root-login.conf', content: 'PermitRootLogin no\n' };
    const pb = playbook([
      play(
        [
          task('who am I', 'shell', { cmd: 'cat {{base}}/login' }, { register: 'login', changedWhen: false }),
          task('as root: at the end', 'command', { cmd: 'true' }, { when: "login.stdout == 'root'", notify: ['root login off'] }),
          task('set root login', 'copy', conf, { when: "login.stdout != 'root'" }),
        ],
        { handlers: [handler('root login off', 'copy', conf)] },
      ),
    ]);
    const first = await go(inv, pb);
    expect(first.tasks.find((t) => t.task === 'root login off')?.status).toBe('changed');
    writeFileSync(join(base, 'login'), 'admin\n');
    const next = await go(inv, pb);
    expect(next.recap.hosts.h1).toMatchObject({ ok: 2, skipped: 1, changed: 0 });
    expect(next.sessions.get('h1')!.roundTrips).toBe(1);
  });

  it('a query that checks what an earlier task changes runs after it, once: never ahead with the first probes', async () => {
    // Like the comms role's self-check after its deploy: the query reads the deploy's result
    // (its condition), so it must not run before the deploy; it logs each run.
    const inv = inventory([host('h1')]);
    const log = join(base, 'checks.log');
    const pb = playbook([
      play([
        task('deploy', 'copy', { dest: '{{base}}/deployed', content: 'v1\n' }, { register: 'deploy' }),
        task('self-check', 'shell', { cmd: `echo run >> ${log}; cat {{base}}/deployed` }, { register: 'seen', changedWhen: false, when: 'deploy is defined' }),
        task('pre-flight', 'shell', { cmd: `echo pre >> ${log}` }, { changedWhen: false }),
      ]),
    ]);
    const first = await go(inv, pb);
    expect(first.recap.hosts.h1, JSON.stringify(first.recap.failures)).toMatchObject({ changed: 1, ok: 2, failed: 0 });
    expect(first.tasks.find((t) => t.task === 'self-check')?.status).toBe('ok');
    // The deploy's apply carries the self-check after it: two round trips, the check ran once
    // and saw the deployed file. The pre-flight reads no result: it rode in the first round
    // trip (and again after the apply, which made the first answer stale).
    expect(first.sessions.get('h1')!.roundTrips).toBe(2);
    expect(readFileSync(log, 'utf8')).toBe('pre\nrun\npre\n');
    const second = await go(inv, pb);
    expect(second.recap.hosts.h1).toMatchObject({ changed: 0, ok: 3 });
    // What this costs a run with nothing to change: the check waits for the deploy's probe,
    // one more round trip.
    expect(second.sessions.get('h1')!.roundTrips).toBe(2);
    expect(readFileSync(log, 'utf8')).toBe('pre\nrun\npre\npre\nrun\n');
  });

  it('changes are pipelined: a first run of ten file tasks costs two round trips, not eleven', async () => {
    const inv = inventory([host('h1')]);
    const tasks = Array.from({ length: 10 }, (_, i) => task(`f${i}`, 'copy', { dest: `{{base}}/f${i}`, content: `${i}\n` }));
    const r = await go(inv, playbook([play(tasks)]));
    expect(r.recap.hosts.h1).toMatchObject({ changed: 10, failed: 0 });
    expect(r.sessions.get('h1')!.roundTrips).toBe(2);
    for (let i = 0; i < 10; i++) expect(readFileSync(join(base, `f${i}`), 'utf8')).toBe(`${i}\n`);
    const again = await go(inv, playbook([play(tasks)]));
    expect(again.recap.hosts.h1).toMatchObject({ ok: 10, changed: 0 });
  });

  it('guarded commands are pipelined with the rest; a failing one stops its host with rc and stderr', async () => {
    const inv = inventory([host('h1')]);
    const tasks = [
      task('a', 'copy', { dest: '{{base}}/a', content: 'a\n' }),
      task('cmd', 'shell', { cmd: 'echo ran > {{base}}/cmd' }, { creates: '{{base}}/cmd' }),
      task('b', 'copy', { dest: '{{base}}/b', content: 'b\n' }),
      task('bad cmd', 'shell', { cmd: 'echo broken >&2; exit 5' }, { creates: '{{base}}/never' }),
      task('c', 'copy', { dest: '{{base}}/c', content: 'c\n' }),
    ];
    const r = await go(inv, playbook([play(tasks)]));
    expect(r.sessions.get('h1')!.roundTrips).toBe(2);
    expect(r.recap.hosts.h1).toMatchObject({ changed: 3, failed: 1 });
    expect(readFileSync(join(base, 'cmd'), 'utf8')).toBe('ran\n');
    expect(existsSync(join(base, 'c'))).toBe(false);
    expect(r.recap.failures[0]).toMatchObject({ task: 'bad cmd', rc: 5 });
    expect(r.recap.failures[0].stderr).toContain('broken');
  });

  it('an unguarded command is never pipelined: each runs in its own round trip, so Ctrl-C can stop between them', async () => {
    const inv = inventory([host('h1')]);
    const tasks = [1, 2, 3].map((i) => task(`run ${i}`, 'shell', { cmd: `echo ${i} >> {{base}}/runs` }));
    const r = await go(inv, playbook([play(tasks)]));
    expect(r.sessions.get('h1')!.roundTrips).toBe(4);
    expect(readFileSync(join(base, 'runs'), 'utf8')).toBe('1\n2\n3\n');
  });

  it('a pipelined task whose state moved under it is planned afresh, never applied on a stale plan', async () => {
    const inv = inventory([host('h1')]);
    const f = '{{base}}/shared.conf';
    const pb = playbook([
      play([
        task('base file', 'copy', { dest: f, content: 'a=1\nb=2\n' }),
        // planned before "base file" ran (file absent): its guard sees the new file and stops
        task('edit b', 'line', { path: f, regexp: '^b=', line: 'b=3', create: true }),
        task('other', 'copy', { dest: '{{base}}/other', content: 'x\n' }),
      ]),
    ]);
    const r = await go(inv, pb);
    expect(r.recap.hosts.h1).toMatchObject({ changed: 3, failed: 0 });
    expect(readFileSync(join(base, 'shared.conf'), 'utf8')).toBe('a=1\nb=3\n');
    expect(readFileSync(join(base, 'other'), 'utf8')).toBe('x\n');
  });

  it("a rider whose creates guard reads a result the opening change registers again is planned from the new value", async () => {
    const inv = inventory([host('h1')]);
    writeFileSync(join(base, 'old'), '');
    writeFileSync(join(base, 'rc'), '0\n');
    const pb = playbook([
      play([
        // A query: known before the tasks after it are probed, so 'guarded' is probed with it.
        task('first', 'shell', { cmd: 'echo {{base}}/old' }, { register: 'marker', changedWhen: 'false' }),
        // Probed once marker is known; the probes after it ride along, the guarded task's
        // made with the first value.
        task('reads it', 'copy', { dest: '{{base}}/rc', content: '{{ marker.rc }}\n' }),
        // Opens a round trip and registers marker again: the task after it must not be
        // planned from the first value (whose file exists, so it would be skipped).
        task('again', 'shell', { cmd: 'echo {{base}}/new' }, { register: 'marker', ignoreErrors: true }),
        task('guarded', 'shell', { cmd: 'echo ran > {{base}}/ran' }, { creates: '{{ marker.stdout }}' }),
      ]),
    ]);
    const r = await go(inv, pb);
    expect(r.recap.hosts.h1).toMatchObject({ ok: 2, changed: 2, failed: 0 });
    expect(readFileSync(join(base, 'ran'), 'utf8')).toBe('ran\n');
  });

  it('a pipelined apply that fails stops the host there, with the validator\'s message', async () => {
    const inv = inventory([host('h1')]);
    const pb = playbook([
      play([
        task('one', 'copy', { dest: '{{base}}/one', content: '1\n' }),
        task('bad', 'copy', { dest: '{{base}}/bad', content: 'nope\n', validate: "sh -c 'echo invalid config >&2; exit 1' %s" }),
        task('three', 'copy', { dest: '{{base}}/three', content: '3\n' }),
      ]),
    ]);
    const r = await go(inv, pb);
    expect(r.recap.hosts.h1).toMatchObject({ changed: 1, failed: 1 });
    expect(existsSync(join(base, 'one'))).toBe(true);
    expect(existsSync(join(base, 'bad'))).toBe(false);
    expect(existsSync(join(base, 'three'))).toBe(false);
    expect(r.recap.failures[0].stderr).toContain('invalid config');
  });

  it('serial: 1 finishes one host before the next starts', async () => {
    const inv = inventory([host('h1'), host('h2'), host('h3')]);
    const log = join(base, 'order.log');
    const pb = playbook([
      play([
        task('start', 'shell', { cmd: `echo start-{{inventory_hostname}} >> ${log}; sleep 0.05` }),
        task('end', 'shell', { cmd: `echo end-{{inventory_hostname}} >> ${log}` }),
      ], { serial: [1] }),
    ]);
    const r = await go(inv, pb);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['start-h1', 'end-h1', 'start-h2', 'end-h2', 'start-h3', 'end-h3']);
    expect(r.events.filter((e) => e.type === 'play')).toHaveLength(3);
  });

  it('--tags and --limit select exactly what they say', async () => {
    const inv = inventory([host('h1'), host('h2')]);
    const pb = playbook([
      play([
        task('tagged', 'shell', { cmd: 'touch {{base}}/{{inventory_hostname}}.tagged' }, { tags: ['a'] }),
        task('untagged', 'shell', { cmd: 'touch {{base}}/{{inventory_hostname}}.untagged' }),
      ]),
    ]);
    const r = await go(inv, pb, { tags: ['a'], limit: 'h2' });
    expect(r.tasks.map((t) => `${t.host}:${t.task}`)).toEqual(['h2:tagged']);
    expect(existsSync(join(base, 'h2.tagged'))).toBe(true);
    expect(existsSync(join(base, 'h1.tagged'))).toBe(false);
    expect(existsSync(join(base, 'h2.untagged'))).toBe(false);
  });

  it('hostvars: a task reads what another host registered earlier in the run', async () => {
    const inv = inventory([host('mgr', {}, ['managers']), host('w1', {}, ['workers'])]);
    const pb = playbook([
      play([
        task('token', 'shell', { cmd: 'echo tok-$FLEET_TEST_HOST' }, { register: 'token', changedWhen: false, when: "inventory_hostname == 'mgr'" }),
        task('use', 'shell', { cmd: 'echo {{hostvars.mgr.token.stdout}} > {{base}}/{{inventory_hostname}}.tok' }, { when: "inventory_hostname != 'mgr'" }),
      ]),
    ]);
    await go(inv, pb);
    expect(readFileSync(join(base, 'w1.tok'), 'utf8')).toBe('tok-mgr\n');
  });

  it('a loop over hostvars reading other hosts\' registered values probes all its items in one round trip', async () => {
    // Like the backups role's repository host: one user per client whose registered key names
    // it. The loop waits until every host registered its key, then its items' probes go out
    // together (speculated with the values known by then), not one round trip per item.
    const clients = ['c1', 'c2', 'c3', 'c4'];
    const inv = inventory([host('repo'), ...clients.map((c) => host(c))]);
    const pb = playbook([
      play([
        task('client key', 'shell', { cmd: "printf 'repo\\nssh-ed25519 %s\\n' $FLEET_TEST_HOST" }, { register: 'key', changedWhen: false, when: "inventory_hostname != 'repo'" }),
        task('one file per client', 'copy', { dest: '{{base}}/auth-{{item}}', content: '{{item}}\n' }, {
          loop: '{{ play_hosts }}',
          when: 'hostvars[item].key.stdout_lines is defined and hostvars[item].key.stdout_lines[0] == inventory_hostname',
        }),
      ]),
    ]);
    const first = await go(inv, pb);
    expect(first.recap.hosts.repo, JSON.stringify(first.recap.failures)).toMatchObject({ changed: 1, failed: 0 });
    for (const c of clients) expect(readFileSync(join(base, `auth-${c}`), 'utf8')).toBe(`${c}\n`);
    const second = await go(inv, pb);
    expect(second.recap.hosts.repo).toMatchObject({ changed: 0, failed: 0 });
    // Facts and first probes, then every item of the loop at once (one round trip per item
    // when such a task is left out of speculation).
    expect(second.sessions.get('repo')!.roundTrips).toBe(2);
  });

  it('a template that reads other hosts\' inventory values is probed in the first round trip', async () => {
    const roleDir = join(base, 'role');
    mkdirSync(join(roleDir, 'templates'), { recursive: true });
    writeFileSync(join(roleDir, 'templates', 'peers.hbs'), '{{#each groups.all}}{{lookup (lookup ../hostvars this) "ansible_host"}}\n{{/each}}');
    const inv = inventory([host('h1'), host('h22')]);
    const pb = playbook([play([task('peers', 'template', { src: 'peers.hbs', dest: '{{base}}/{{inventory_hostname}}.peers' }, { roleDir })])]);
    await go(inv, pb);
    expect(readFileSync(join(base, 'h1.peers'), 'utf8')).toBe('192.0.2.2\n192.0.2.3\n');
    const second = await go(inv, pb);
    expect(second.recap.hosts.h1).toMatchObject({ ok: 1, changed: 0 });
    expect(second.sessions.get('h1')!.roundTrips).toBe(1);
  });

  it('max_fail_percentage stops the run when exceeded', async () => {
    const inv = inventory([host('h1'), host('h2')]);
    const pb = playbook([
      play([task('fail on h1', 'shell', { cmd: 'test "$FLEET_TEST_HOST" != h1' })], { maxFailPercentage: 10 }),
      play([task('second play', 'shell', { cmd: 'true' })]),
    ]);
    const r = await go(inv, pb);
    expect(r.tasks.filter((t) => t.task === 'second play')).toHaveLength(0);
    expect(r.events.some((e) => e.type === 'warning' && e.msg.includes('max_fail_percentage'))).toBe(true);
  });
});

describe('actions with a probe of their own host', () => {
  it('the probe rides in the host\'s batched round trip: an action with nothing to do costs no round trip of its own', async () => {
    const seen: (string | undefined)[] = [];
    const probeAction: AnyAction = {
      name: 'test_marker_action',
      schema: paramsObject({ path: Type.String() }),
      probe: (p) => `cat ${String(p.path)} 2>/dev/null || echo absent\n`,
      async run(p, ctx, ports) {
        seen.push(ctx.probed?.stdout);
        if (ctx.probed?.stdout.trim() === 'made') return { status: 'ok' };
        if (ctx.check) return { status: 'changed', msg: 'will make it' };
        await ports.runOn(ctx.host, `echo made > ${String(p.path)}\n`);
        return { status: 'changed' };
      },
    };
    const registry = actions as Record<string, AnyAction>;
    registry[probeAction.name] = probeAction;
    try {
      const inv = inventory([host('h1')]);
      const pb = () =>
        playbook([
          play([
            ...filesPlay().tasks,
            task('marker by action', 'test_marker_action', { path: '{{base}}/h1/action-made' }),
            // Probed in the first round trip, before the action wrote the file: a changed action
            // makes the host's earlier probes stale.
            task('same file', 'copy', { dest: '{{base}}/h1/action-made', content: 'made\n' }),
          ]),
        ]);
      const first = await go(inv, pb());
      expect(first.tasks.find((t) => t.task === 'marker by action')?.status).toBe('changed');
      expect(first.tasks.find((t) => t.task === 'same file')?.status).toBe('ok');
      expect(readFileSync(join(base, 'h1/action-made'), 'utf8')).toBe('made\n');
      const second = await go(inv, pb());
      expect(second.tasks.find((t) => t.task === 'marker by action')?.status).toBe('ok');
      expect(second.sessions.get('h1')!.roundTrips).toBe(1);
      expect(seen).toEqual(['absent\n', 'made\n']);
    } finally {
      delete registry[probeAction.name];
    }
  });
});
