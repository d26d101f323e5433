// The ports an action (controller-side module) gets for one task on one host: run scripts on
// its host or on another host of the inventory, upload a file, read the inventory's groups,
// wait for another host of the batch, warn once per run, register a secret.
import { createReadStream, statSync } from 'node:fs';
import type { ActionPorts } from '../modules/lib/controller.js';
import type { ExecResult, HostSession } from '../model/transport.js';
import type { Host } from '../model/inventory.js';
import type { RunShared } from './run-shared.js';
import type { ControllerContext } from './controller-tasks.js';
import { Limiter } from './limiter.js';

const warned = new WeakMap<RunShared, Set<string>>();
const memos = new WeakMap<RunShared, Map<string, Promise<unknown>>>();
// sshd allows 10 channels per connection (MaxSessions): many workers joining at once run
// their scripts on one manager's connection, so they take turns beyond a few.
const channels = new WeakMap<HostSession, Limiter>();
const MAX_BORROWED_CHANNELS = 4;

function borrowed(session: HostSession, script: string, become: boolean): Promise<ExecResult> {
  let l = channels.get(session);
  if (!l) channels.set(session, (l = new Limiter(MAX_BORROWED_CHANNELS)));
  return l.run(() => session.run(script, { become }));
}

function becomeFor(host: Host): boolean {
  return host.connection.become || host.connection.user !== 'root';
}

export function actionPorts(c: ControllerContext): ActionPorts {
  const { runner, shared } = c;
  const inv = shared.inventory;
  const own = (): HostSession => {
    if (!runner.session) throw new Error(`${runner.host.name}: not connected`);
    return runner.session;
  };
  const unitIndex = runner.unitIndex;
  return {
    host: runner.host.name,
    check: c.check,
    pendingAfter: c.pendingAfter,
    run: (script) => own().run(script, { become: c.become }),
    runOn: async (name, script): Promise<ExecResult> => {
      if (name === runner.host.name) return own().run(script, { become: c.become });
      const host = inv.hosts.get(name);
      if (!host) throw new Error(`no host '${name}' in the inventory`);
      const live = shared.sessionOf(name);
      if (live) {
        try {
          return await borrowed(live, script, becomeFor(host));
        } catch (err) {
          // Closed under us (that host just finished its run): a connection of our own.
          if (shared.sessionOf(name) === live) throw err;
        }
      }
      // Not in this run (--limit) or not connected yet: a connection of its own, closed after.
      const session = await shared.handshakes.run(() =>
        shared.deps.connect(host, { knownHostsFile: inv.knownHostsFile, acceptNewHostKeys: false, signal: shared.opts.signal }),
      );
      try {
        return await session.run(script, { become: becomeFor(host) });
      } finally {
        session.close();
      }
    },
    upload: (file, dest, mode) => {
      const s = own();
      if (!s.upload) throw new Error(`the transport to ${runner.host.name} cannot upload files`);
      return s.upload(createReadStream(file), dest, { become: c.become, mode, size: statSync(file).size });
    },
    groupHosts: (group) => {
      const out: string[] = [];
      for (const h of inv.hosts.values()) if (h.groups.includes(group)) out.push(h.name);
      return out;
    },
    address: (name) => inv.hosts.get(name)?.connection.address ?? name,
    runHosts: () => c.playHosts,
    waitForHost: (name) => runner.batch?.progress.waitPast(name, unitIndex) ?? Promise.resolve(),
    warn: (msg) => {
      let seen = warned.get(shared);
      if (!seen) warned.set(shared, (seen = new Set()));
      if (seen.has(msg)) return;
      seen.add(msg);
      shared.emit({ type: 'warning', msg });
    },
    secret: (value) => shared.opts.redactor.add(value),
    memo: <T>(key: string, read: () => Promise<T>): Promise<T> => {
      let m = memos.get(shared);
      if (!m) memos.set(shared, (m = new Map()));
      let p = m.get(key) as Promise<T> | undefined;
      if (!p) {
        p = read();
        m.set(key, p);
        // A failed read is not remembered.
        p.catch(() => m!.delete(key));
      }
      return p;
    },
    forget: (key) => void memos.get(shared)?.delete(key),
  };
}
