// authorized_key: public keys in ~USER/.ssh/authorized_keys (0700 dir, 0600 file, user-owned).
import { Type } from '@sinclair/typebox';
import { OPEN, type Change, type Module, type Plan } from '../model/module.js';
import { paramsObject, rawSchema, withDefault, type Params } from '../model/params.js';
import { q } from './lib/sh.js';
import { parseProbe } from './lib/kv.js';
import { presentAbsent } from './lib/schema.js';
import { probePath, parsePath } from './lib/filestate.js';
import { writeFileSh } from './lib/filewrite.js';
import { splitText, joinText } from './lib/lines.js';
import { unifiedDiff } from './lib/diff.js';

const schema = paramsObject({
  user: Type.String({ pattern: '^[a-z_][a-z0-9_.-]*\\$?$' }),
  key: rawSchema<string | string[]>({
    anyOf: [
      { type: 'string', minLength: 1 },
      { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    ],
    description: 'public key line(s): "ssh-ed25519 AAAA... comment"',
  }),
  state: presentAbsent,
  exclusive: withDefault(Type.Boolean({ description: 'remove every other key' }), false),
});
export type AuthorizedKeyParams = Params<typeof schema>;

export interface AuthorizedKeyPlanData {
  home: string;
  /** undefined: left open by the prediction (the user is created earlier in the same script):
   * the apply gives the files to the user and its login group by name, resolved on the host. */
  uid?: string;
  gid?: string;
  /** New file content, or undefined when only the directory/file attributes are wrong. */
  content?: string;
}

const KEY_TYPE = /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$/;

/** The identity of a key line: "type blob" (comments and options do not make another key). */
export function keyIdentity(line: string): string | undefined {
  const words = line.trim().split(/\s+/);
  const i = words.findIndex((w) => KEY_TYPE.test(w));
  if (i < 0 || !words[i + 1]) return undefined;
  return `${words[i]} ${words[i + 1]}`;
}

function keysOf(p: AuthorizedKeyParams): string[] {
  const list = typeof p.key === 'string' ? [p.key] : p.key;
  // A string may hold several keys, one per line (as in Ansible).
  return list.flatMap((k) => k.split('\n')).map((k) => k.trim()).filter((k) => k && !k.startsWith('#'));
}

const SSH = '"$home/.ssh"';
const FILE = '"$home/.ssh/authorized_keys"';

export function probeAuthorizedKey(p: AuthorizedKeyParams): string {
  const u = q(p.user);
  return (
    `if ! e=$(getent passwd ${u}); then echo user=absent; exit 0; fi\n` +
    `echo user=present; echo "passwd=$e"; home=$(printf '%s' "$e" | cut -d: -f6)\n` +
    probePath('~/.ssh', { prefix: 'dir_', expr: SSH }) +
    probePath('~/.ssh/authorized_keys', { prefix: 'file_', alwaysContent: true, expr: FILE })
  );
}

/** What the probe prints once a user task earlier in the same script created the user
 * (`user:NAME` in `written`), when it printed user=absent before: the user with the home
 * useradd gives by default, no ~/.ssh. uid, gid, gecos and shell are left open (useradd picks
 * them; the plan does not need them); the guard checks the rest, home included, so a user
 * created elsewhere (another home, a skeleton with .ssh) stops the script there. */
export function predictAuthorizedKeyWritten(p: AuthorizedKeyParams, out: string, written: ReadonlySet<string>): string | undefined {
  if (!written.has(`user:${p.user}`) || out.replace(/\n$/, '') !== 'user=absent') return undefined;
  const passwd = `${p.user}:x:${OPEN}:${OPEN}:${OPEN}:/home/${p.user}:${OPEN}`;
  return `user=present\npasswd=${passwd}\ndir_type=absent\nfile_type=absent${out.slice('user=absent'.length)}`;
}

export function planAuthorizedKey(p: AuthorizedKeyParams, out: string): Plan<AuthorizedKeyPlanData> {
  const d = parseProbe(out);
  if (d.need('user') === 'absent') return { kind: 'blocked', reason: `user ${p.user} does not exist` };
  const [, , uidField, gidField, , home] = d.need('passwd').split(':');
  // Left open by a prediction: only a new ~/.ssh is planned from it (no attributes to compare).
  const open = (v: string): string | undefined => (v.includes(OPEN) ? undefined : v);
  const [uid, gid] = [open(uidField), open(gidField)];
  const dir = parsePath(d, 'dir_');
  const file = parsePath(d, 'file_');
  if (home.includes(OPEN) || ((uid === undefined || gid === undefined) && (dir.type !== 'absent' || file.type !== 'absent'))) {
    throw new Error(`authorized_key for ${p.user}: cannot plan from an answer that leaves the home or an existing file's owner open`);
  }
  const old = file.type === 'file' ? (file.content ?? Buffer.alloc(0)).toString('utf8') : '';
  const want = keysOf(p);
  const bad = want.find((k) => keyIdentity(k) === undefined);
  if (bad !== undefined) throw new Error(`authorized_key for ${p.user}: ${JSON.stringify(bad.slice(0, 40))} is not a public key line (expected "ssh-ed25519 AAAA... comment")`);
  const t = splitText(old);
  const why: string[] = [];
  if (p.state === 'absent') {
    const gone = new Set(want.map(keyIdentity));
    const before = t.lines.length;
    t.lines = t.lines.filter((l) => !gone.has(keyIdentity(l)));
    if (t.lines.length !== before) why.push(`remove ${before - t.lines.length} key(s)`);
  } else {
    const have = new Set(t.lines.map(keyIdentity).filter(Boolean));
    const wantIds = new Set(want.map(keyIdentity));
    if (p.exclusive) {
      const before = t.lines.length;
      t.lines = t.lines.filter((l) => { const id = keyIdentity(l); return id !== undefined && wantIds.has(id); });
      if (t.lines.length !== before) why.push(`remove ${before - t.lines.length} other line(s)`);
    }
    const added = want.filter((k) => !have.has(keyIdentity(k)));
    for (const k of added) t.lines.push(k);
    if (added.length) {
      t.finalNewline = true;
      why.push(`add ${added.length} key(s)`);
    }
  }
  const next = joinText(t);
  const content = next !== old || (file.type !== 'file' && next !== '') ? next : undefined;
  // Only ensure the directory and file attributes when there is (or will be) a file.
  const attrsWrong =
    file.type === 'file' &&
    (dir.mode !== '0700' || dir.uid !== uid || file.mode !== '0600' || file.uid !== uid || file.gid !== gid);
  if (attrsWrong) why.push('ownership/permissions of ~/.ssh');
  if (!why.length || (content === undefined && !attrsWrong)) return { kind: 'ok' };
  const path = `${home}/.ssh/authorized_keys`;
  const data: AuthorizedKeyPlanData = { home, uid, gid, content };
  return {
    kind: 'change',
    summary: `${path}: ${why.join(', ')}`,
    diff: content !== undefined ? unifiedDiff(path, file.type === 'file' ? old : undefined, content) : undefined,
    data,
  };
}

export function applyAuthorizedKey(user: string, { data }: Change<AuthorizedKeyPlanData>): string {
  const dir = q(`${data.home}/.ssh`);
  const path = `${data.home}/.ssh/authorized_keys`;
  // uid and gid left open: `chown USER:` gives the user and its login group (the passwd gid),
  // as the host resolves them when the apply runs (after useradd, in the same script).
  const known = data.uid !== undefined && data.gid !== undefined;
  const [o, g] = known ? [data.uid!, data.gid!] : [user, ''];
  const owner = known ? `${o}:${g}` : q(`${o}:`);
  let s = `mkdir -p -- ${dir}\nchown ${owner} ${dir}\nchmod 0700 ${dir}\n`;
  if (data.content !== undefined) s += writeFileSh({ path, data: Buffer.from(data.content), owner: o, group: g, mode: '0600' });
  else s += `chown ${owner} ${q(path)}\nchmod 0600 ${q(path)}\n`;
  return s;
}

export const authorizedKey: Module<typeof schema, AuthorizedKeyPlanData> = {
  name: 'authorized_key',
  schema,
  probe: (p) => probeAuthorizedKey(p),
  plan: (p, out) => planAuthorizedKey(p, out),
  apply: (p, plan) => applyAuthorizedKey(p.user, plan),
  predictWritten: (p, out, written) => predictAuthorizedKeyWritten(p, out, written),
  resources: (p) => [`user:${p.user}`, `authorized_keys:${p.user}`],
};
