// The engine over the local shell transport (local-session.ts), as the engine tests run it:
// every host is this machine, `base` (a temp dir) is the extra var their paths start from.
import { selectHosts } from '../../../src/config/index.js';
import { run } from '../../../src/engine/index.js';
import type { FleetEvent, TaskEvent } from '../../../src/model/events.js';
import type { Inventory } from '../../../src/model/inventory.js';
import type { Playbook } from '../../../src/model/playbook.js';
import { Redactor } from '../../../src/report/index.js';
import { LocalSession, localConnector } from './local-session.js';

export async function runLocal(inv: Inventory, pb: Playbook, base: string, opts: Partial<Parameters<typeof run>[0]> = {}) {
  const events: FleetEvent[] = [];
  const sessions = new Map<string, LocalSession>();
  const recap = await run({
    mode: 'apply',
    inventory: inv,
    playbook: pb,
    forks: 10,
    extraVars: { base },
    diff: true,
    acceptNewHostKeys: false,
    emit: (e) => events.push(e),
    redactor: new Redactor(),
    deps: { connect: localConnector(sessions), setHostVar: () => undefined, selectHosts },
    ...opts,
  });
  const tasks = events.filter((e): e is TaskEvent => e.type === 'task');
  return { recap, events, tasks, sessions };
}
