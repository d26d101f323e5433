// user: a local account (useradd/usermod/userdel).
import { Type } from '@sinclair/typebox';
import type { Change, Module, Plan } from '../model/module.js';
import { paramsObject, withDefault, type Params } from '../model/params.js';
import { q } from './lib/sh.js';
import { parseProbe } from './lib/kv.js';
import { presentAbsent } from './lib/schema.js';

const accountPattern = '^[a-z_][a-z0-9_.-]*\\$?$';

const schema = paramsObject({
  name: Type.String({ pattern: accountPattern, maxLength: 32 }),
  uid: Type.Optional(Type.Integer({ minimum: 0 })),
  group: Type.Optional(Type.String({ minLength: 1 })),
  // A list, or Ansible's comma-separated text (robertdebock.users joins its list with ',').
  groups: Type.Optional(Type.Union([Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true }), Type.String()])),
  append: withDefault(Type.Boolean(), false),
  shell: Type.Optional(Type.String({ pattern: '^/' })),
  home: Type.Optional(Type.String({ pattern: '^/' })),
  create_home: withDefault(Type.Boolean(), true),
  system: withDefault(Type.Boolean(), false),
  comment: Type.Optional(Type.String({ pattern: '^[^:\\n]*$' })),
  password: Type.Optional(Type.String({ pattern: '^[^:\\n]*$', description: 'crypt(3) hash, never plain text' })),
  state: presentAbsent,
  remove: withDefault(Type.Boolean({ description: 'absent: also remove the home directory' }), false),
  update_password: withDefault(Type.Union([Type.Literal('always'), Type.Literal('on_create')], { description: "on_create: an existing user's password is left as it is" }), 'always'),
  password_lock: Type.Optional(Type.Boolean({ description: 'lock (true) or unlock (false) the password (usermod -L/-U)' })),
  expires: Type.Optional(Type.Number({ description: 'account expiry, seconds since the epoch (a negative value: never)' })),
});
export type UserParams = Params<typeof schema>;

export interface UserPlanData {
  action: 'create' | 'modify' | 'delete';
  /** usermod/useradd options decided by plan (names of the params to pass). */
  fields: string[];
}

/** groups as a list ('a,b' is Ansible's other spelling of [a, b]). */
function groupList(p: UserParams): string[] | undefined {
  if (typeof p.groups !== 'string') return p.groups;
  return p.groups
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
}

export function probeUser(p: UserParams): string {
  const n = q(p.name);
  const groups = [...(p.group !== undefined ? [p.group] : []), ...(groupList(p) ?? [])];
  let s = `if e=$(getent passwd ${n}); then echo exists=1; echo "passwd=$e"; echo "primary=$(id -gn ${n})"; echo "groups=$(id -Gn ${n})"; else echo exists=0; fi\n`;
  if (p.password !== undefined) {
    // Compared on the host: the current hash never leaves it.
    s += `h=$(getent shadow ${n} | cut -d: -f2); if [ "$h" = ${q(p.password)} ]; then echo password_ok=1; else echo password_ok=0; fi\n`;
  }
  // Only the lock flag and the expiry day leave the host, never the hash.
  if (p.password_lock !== undefined || p.expires !== undefined)
    s += `getent shadow ${n} | awk -F: '{ print "locked=" (substr($2, 1, 1) == "!" ? 1 : 0); print "expire=" $8 }'\n`;
  // Groups named here must already exist (an earlier group task creates them).
  if (groups.length) s += `for g in ${groups.map(q).join(' ')}; do if getent group "$g" >/dev/null; then echo "group_ok=$g"; fi; done\n`;
  return s;
}

export function planUser(p: UserParams, out: string): Plan<UserPlanData> {
  const d = parseProbe(out);
  const exists = d.need('exists') === '1';
  if (p.state === 'absent') {
    return exists ? { kind: 'change', summary: `remove user ${p.name}`, data: { action: 'delete', fields: [] } satisfies UserPlanData } : { kind: 'ok' };
  }
  const known = new Set(d.all('group_ok'));
  const wanted = groupList(p);
  for (const g of [...(p.group !== undefined ? [p.group] : []), ...(wanted ?? [])]) {
    if (!/^\d+$/.test(g) && !known.has(g)) return { kind: 'blocked', reason: `group ${g} does not exist (needed by user ${p.name})` };
  }
  if (!exists) {
    const data: UserPlanData = { action: 'create', fields: [] };
    return { kind: 'change', summary: `create user ${p.name}`, data };
  }
  const [, , uid, , gecos, home, shell] = d.need('passwd').split(':');
  const current = new Set((d.get('groups') ?? '').split(' ').filter(Boolean));
  const fields: string[] = [];
  const why: string[] = [];
  const change = (field: string, reason: string): void => {
    fields.push(field);
    why.push(reason);
  };
  if (p.uid !== undefined && String(p.uid) !== uid) change('uid', `uid ${uid} -> ${p.uid}`);
  if (p.group !== undefined && p.group !== d.get('primary')) change('group', `group ${d.get('primary')} -> ${p.group}`);
  if (p.shell !== undefined && p.shell !== shell) change('shell', `shell ${shell} -> ${p.shell}`);
  if (p.home !== undefined && p.home !== home) change('home', `home ${home} -> ${p.home}`);
  if (p.comment !== undefined && p.comment !== gecos) change('comment', 'comment');
  if (p.password !== undefined && p.update_password === 'always' && d.get('password_ok') !== '1') change('password', 'password');
  if (p.password_lock !== undefined && (d.get('locked') === '1') !== p.password_lock) change('password_lock', p.password_lock ? 'lock password' : 'unlock password');
  const expire = expireDay(p.expires);
  if (expire !== undefined && (d.get('expire') ?? '') !== expire) change('expires', `expires ${d.get('expire') || 'never'} -> ${expire || 'never'}`);
  if (wanted !== undefined) {
    const primary = d.get('primary');
    const missing = wanted.filter((g) => !current.has(g));
    const extra = p.append ? [] : [...current].filter((g) => g !== primary && !wanted.includes(g));
    if (missing.length || extra.length) {
      fields.push('groups');
      why.push([...missing.map((g) => `+${g}`), ...extra.map((g) => `-${g}`)].join(' '));
    }
  }
  if (!fields.length) return { kind: 'ok' };
  const data: UserPlanData = { action: 'modify', fields };
  return { kind: 'change', summary: `user ${p.name}: ${why.join(', ')}`, data };
}

/** Ansible's expires (epoch seconds) as /etc/shadow's day number ('' = never). */
function expireDay(expires: number | undefined): string | undefined {
  if (expires === undefined) return undefined;
  return expires < 0 ? '' : String(Math.floor(expires / 86400));
}

function opts(p: UserParams, fields: string[] | 'all', create: boolean): string[] {
  const has = (f: keyof UserParams) => p[f] !== undefined && (fields === 'all' || fields.includes(f));
  const o: string[] = [];
  if (has('uid')) o.push('-u', String(p.uid));
  if (has('group')) o.push('-g', q(p.group!));
  if (has('groups')) o.push(...(!create && p.append ? ['-a'] : []), '-G', q(groupList(p)!.join(',')));
  if (has('shell')) o.push('-s', q(p.shell!));
  if (has('home')) o.push('-d', q(p.home!), ...(create ? [] : ['-m']));
  if (has('comment')) o.push('-c', q(p.comment!));
  if (has('password_lock') && !create) o.push(p.password_lock ? '-L' : '-U');
  if (has('expires')) {
    const day = expireDay(p.expires)!;
    o.push('-e', day === '' ? "''" : new Date(Number(day) * 86400000).toISOString().slice(0, 10));
  }
  return o;
}

/** The hash reaches chpasswd on stdin from printf (a shell builtin): never an argument of a
 * program, where every user on the host could read it in `ps`. */
function passwordSh(p: UserParams, fields: string[] | 'all'): string {
  if (p.password === undefined || (fields !== 'all' && !fields.includes('password'))) return '';
  return `printf '%s\\n' ${q(`${p.name}:${p.password}`)} | chpasswd -e\n`;
}

export function applyUser(p: UserParams, { data }: Change<UserPlanData>): string {
  const n = q(p.name);
  if (data.action === 'delete') return `userdel ${p.remove ? '-r ' : ''}-- ${n}\n`;
  if (data.action === 'create') {
    const o = opts(p, 'all', true);
    if (p.system) o.push('-r');
    o.push(p.create_home === false ? '-M' : '-m');
    // Without an explicit group, useradd's USERGROUPS_ENAB makes a group named after the user.
    // A new account's lock comes after its password (usermod -L locks the hash given).
    const lock = p.password_lock === undefined ? '' : `usermod ${p.password_lock ? '-L' : '-U'} -- ${n}\n`;
    return `useradd ${o.join(' ')} -- ${n}\n${passwordSh(p, 'all')}${lock}`;
  }
  const o = opts(p, data.fields, false);
  return `${o.length ? `usermod ${o.join(' ')} -- ${n}\n` : ''}${passwordSh(p, data.fields)}`;
}

export const user: Module<typeof schema, UserPlanData> = {
  name: 'user',
  schema,
  probe: (p) => probeUser(p),
  plan: (p, out) => planUser(p, out),
  apply: (p, plan) => applyUser(p, plan),
  secretParams: ['password'],
  resources: (p) => [`user:${p.name}`],
};
