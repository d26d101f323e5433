// reconnect: prove a fresh SSH connection works (a new sshd port, a firewall about to be
// confirmed, the admin user that replaces root) and optionally run a command over it.
import { Type } from '@sinclair/typebox';
import type { Action } from '../model/action.js';
import { paramsObject, withDefault } from '../model/params.js';

const schema = paramsObject({
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  /** Log in as this user instead of the inventory's (e.g. the admin user harden-ssh made). */
  user: Type.Optional(Type.String({ minLength: 1 })),
  command: Type.Optional(Type.String({ minLength: 1 })),
  timeout: withDefault(Type.Integer({ minimum: 1, description: 'seconds' }), 15),
});

export const reconnect: Action<typeof schema> = {
  name: 'reconnect',
  schema,
  async run(p, ctx, ports) {
    const port = p.port ?? ctx.connection.port;
    const what = `a fresh connection to ${ctx.connection.address}:${port}${p.user ? ` as ${p.user}` : ''}`;
    if (ctx.check) {
      // Proving a connection changes nothing, but in check mode the state it should prove
      // (a new port, new rules) does not exist yet.
      if (ctx.pendingAfter) return { status: 'changed', after: ctx.pendingAfter, msg: `will prove ${what} (after: ${ctx.pendingAfter})` };
      return { status: 'skipped', msg: `check mode: would prove ${what}` };
    }
    let session;
    try {
      session = await ports.connect({ port, user: p.user, connectTimeoutMs: p.timeout * 1000 });
    } catch (err) {
      const msg = `could not open ${what}: ${err instanceof Error ? err.message : String(err)}`;
      return { status: 'failed', msg, failure: { msg } };
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
