// pinned_host_keys: the host keys fleet has pinned for a host of the inventory (its
// known_hosts), for a task that must trust that host on another machine without a first use
// (the backups role pins its repository host's keys on every client). Read-only, so it runs
// the same in check mode.
import { Type } from '@sinclair/typebox';
import type { Action } from '../model/action.js';
import { paramsObject } from '../model/params.js';

// No minLength: parameters are checked for every host before any is contacted, also where
// the task's `when` will skip it (a host with no repository host set renders "").
const schema = paramsObject({
  host: Type.String({ description: 'an inventory host name' }),
});

export const pinnedHostKeys: Action<typeof schema> = {
  name: 'pinned_host_keys',
  schema,
  // Read by the client's known_hosts template: the checks before contact see a list.
  registers: () => ({ keys: [] }),
  async run(p, _ctx, ports) {
    if (!p.host) return { status: 'failed', msg: 'pinned_host_keys: host is empty', failure: { msg: 'pinned_host_keys: host is empty' } };
    let keys: string[];
    try {
      keys = await ports.pinnedHostKeys(p.host);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      return { status: 'failed', msg, failure: { msg } };
    }
    if (!keys.length) {
      const msg = `no host key is pinned for ${p.host} in the inventory's known_hosts: check it, then run: fleet hostkeys accept ${p.host}`;
      return { status: 'failed', msg, failure: { msg } };
    }
    return { status: 'ok', msg: `${keys.length} key(s) pinned for ${p.host}`, registered: { keys, stdout: keys.join('\n'), stdout_lines: keys } };
  },
};
