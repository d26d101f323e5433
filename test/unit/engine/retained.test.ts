// What the engine keeps of a host that is done while others still run: the recap's counts and
// figures, not its connection, probe cache or plans (issue 19: memory per host). Proven with
// the garbage collector: a weak reference to the finished host's session is cleared while the
// run is still going, and the running host's is not.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { selectHosts } from '../../../src/config/index.js';
import { run } from '../../../src/engine/index.js';
import type { FleetEvent } from '../../../src/model/events.js';
import type { Host } from '../../../src/model/inventory.js';
import { Redactor } from '../../../src/report/index.js';
import { host, inventory, play, playbook, task } from './fixtures.js';
import { LocalSession } from './local-session.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'fleet-retained-'));
  process.env.XDG_CACHE_HOME = join(base, 'cache');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

/** A session whose scripts wait for the test to let them run. */
class GatedSession extends LocalSession {
  constructor(private readonly gate: Promise<void>) {
    super();
  }
  override async run(script: string) {
    await this.gate;
    return super.run(script);
  }
}

async function collected(ref: WeakRef<object>): Promise<boolean> {
  // A weak target stays alive until the job that last read it has ended: collect between ticks.
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 10));
    gc();
  }
  return ref.deref() === undefined;
}

it('drops a finished host\'s connection and probe cache while the others still run', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const refs = new Map<string, WeakRef<LocalSession>>();
  let slowSession: LocalSession | undefined;
  let fastDone!: () => void;
  const fastFinished = new Promise<void>((r) => (fastDone = r));
  const events: FleetEvent[] = [];
  const tasks = [
    task('dir', 'directory', { path: '{{base}}/{{inventory_hostname}}', mode: '0755' }),
    task('conf', 'copy', { dest: '{{base}}/{{inventory_hostname}}/app.conf', content: 'port=80\n', mode: '0644' }),
  ];
  const running = run({
    mode: 'apply',
    inventory: inventory([host('fast'), host('slow')]),
    playbook: playbook([play(tasks)]),
    forks: 10,
    extraVars: { base },
    diff: false,
    acceptNewHostKeys: false,
    emit: (e) => {
      events.push(e);
      if (e.type === 'host' && e.host === 'fast') fastDone();
    },
    redactor: new Redactor(),
    deps: {
      // The test keeps no strong reference to the fast host's session: only the engine can.
      connect: async (h: Host) => {
        const s = h.name === 'slow' ? (slowSession = new GatedSession(gate)) : new LocalSession();
        refs.set(h.name, new WeakRef(s));
        return s;
      },
      setHostVar: () => undefined,
      selectHosts,
    },
  });
  await fastFinished;
  expect(await collected(refs.get('fast')!)).toBe(true);
  // The control: the engine still holds the host in flight (the test's own reference dropped).
  slowSession = undefined;
  expect(await collected(refs.get('slow')!)).toBe(false);
  release();
  const recap = await running;
  // What the recap needs survived: counts and the round trips of the closed connection.
  expect(recap.hosts.fast).toMatchObject({ changed: 2, failed: 0 });
  expect(recap.hosts.slow).toMatchObject({ changed: 2, failed: 0 });
  const hostEvents = events.filter((e) => e.type === 'host');
  expect(hostEvents.map((e) => e.type === 'host' && [e.host, e.status, e.roundTrips > 0])).toEqual([
    ['fast', 'ok', true],
    ['slow', 'ok', true],
  ]);
  void slowSession;
});
