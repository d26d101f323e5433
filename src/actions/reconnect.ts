// reconnect: prove a fresh SSH connection works (a new sshd port, a firewall about to be
// confirmed, the admin user that replaces root, the way in through the host's SSH onion
// service) and optionally run a command over it.
import { Type } from '@sinclair/typebox';
import type { Action } from '../model/action.js';
import { paramsObject, withDefault } from '../model/params.js';

const schema = paramsObject({
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  /** Log in as this user instead of the inventory's (e.g. the admin user harden-ssh made). */
  user: Type.Optional(Type.String({ minLength: 1 })),
  command: Type.Optional(Type.String({ minLength: 1 })),
  timeout: withDefault(Type.Integer({ minimum: 1, description: 'seconds' }), 15),
  /** Another address of the same sshd (its onion address); its host key must be one pinned
   * for the host already, and is then pinned for this address too. */
  address: Type.Optional(Type.String({ minLength: 1 })),
  /** Through this SOCKS5 proxy ("host:port", the controller's Tor). */
  socks_proxy: Type.Optional(Type.String({ pattern: '^(socks5h?://)?[^\\s:]+:[0-9]+$' })),
  /** Keep retrying an unreachable host this many seconds (a new onion service needs time to publish). */
  wait: withDefault(Type.Integer({ minimum: 0, description: 'seconds' }), 0),
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const reconnect: Action<typeof schema> = {
  name: 'reconnect',
  schema,
  async run(p, ctx, ports) {
    const port = p.port ?? ctx.connection.port;
    const address = p.address ?? ctx.connection.address;
    const socksProxy = p.socks_proxy?.replace(/^socks5h?:\/\//, '');
    const what = `a fresh connection to ${address}:${port}${p.user ? ` as ${p.user}` : ''}${socksProxy ? ` through SOCKS5 proxy ${socksProxy}` : ''}`;
    if (ctx.check) {
      // Proving a connection changes nothing, but in check mode the state it should prove
      // (a new port, new rules) does not exist yet.
      if (ctx.pendingAfter) return { status: 'changed', after: ctx.pendingAfter, msg: `will prove ${what} (after: ${ctx.pendingAfter})` };
      return { status: 'skipped', msg: `check mode: would prove ${what}` };
    }
    let session;
    const deadline = Date.now() + p.wait * 1000;
    for (;;) {
      try {
        session = await ports.connect({ port, user: p.user, connectTimeoutMs: p.timeout * 1000, address: p.address, socksProxy });
        break;
      } catch (err) {
        // A refused host key is an answer, not a delay: only unreachability is retried.
        const hostKey = err instanceof Error && err.name === 'HostKeyError';
        if (hostKey || Date.now() >= deadline) {
          const msg = `could not open ${what}: ${err instanceof Error ? err.message : String(err)}`;
          return { status: 'failed', msg, failure: { msg } };
        }
        await sleep(3000);
      }
    }
    try {
      const cmd = p.command ?? 'true';
      // Another user than root proves its sudo too: that is what it is for.
      const become = p.user ? true : ctx.connection.become || ctx.connection.user !== 'root';
      const r = await session.run(`${cmd}\n`, { become });
      if (r.rc !== 0) {
        const msg = `${what} works, but its command failed`;
        return { status: 'failed', msg, failure: { msg, cmd, rc: r.rc, stderr: r.stderr } };
      }
      return { status: 'ok', msg: `proved ${what}`, registered: { stdout: r.stdout, rc: r.rc } };
    } finally {
      session.close();
    }
  },
};
