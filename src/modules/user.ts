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
  groups: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true })),
  append: withDefault(Type.Boolean(), false),
  shell: Type.Optional(Type.String({ pattern: '^/' })),
  home: Type.Optional(Type.String({ pattern: '^/' })),
  create_home: withDefault(Type.Boolean(), true),
  system: withDefault(Type.Boolean(), false),
  comment: Type.Optional(Type.String({ pattern: '^[^:\\n]*$' })),
  password: Type.Optional(Type.String({ pattern: '^[^:\\n]*$', description: 'crypt(3) hash, never plain text' })),
  state: presentAbsent,
  remove: withDefault(Type.Boolean({ description: 'absent: also remove the home directory' }), false),
});
export type UserParams = Params<typeof schema>;

export interface UserPlanData {
  action: 'create' | 'modify' | 'delete';
  /** usermod/useradd options decided by plan (names of the params to pass). */
  fields: string[];
}

export function probeUser(p: UserParams): string {
  const n = q(p.name);
  const groups = [...(p.group !== undefined ? [p.group] : []), ...(p.groups ?? [])];
  let s = `if e=$(getent passwd ${n}); then echo exists=1; echo "passwd=$e"; echo "primary=$(id -gn ${n})"; echo "groups=$(id -Gn ${n})"; else echo exists=0; fi\n`;
  if (p.password !== undefined) {
    // Compared on the host: the current hash never leaves it.
    s += `h=$(getent shadow ${n} | cut -d: -f2); if [ "$h" = ${q(p.password)} ]; then echo password_ok=1; else echo password_ok=0; fi\n`;
  }
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
  for (const g of [...(p.group !== undefined ? [p.group] : []), ...(p.groups ?? [])]) {
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
  if (p.password !== undefined && d.get('password_ok') !== '1') change('password', 'password');
  if (p.groups !== undefined) {
    const primary = d.get('primary');
    const missing = p.groups.filter((g) => !current.has(g));
    const extra = p.append ? [] : [...current].filter((g) => g !== primary && !p.groups!.includes(g));
    if (missing.length || extra.length) {
      fields.push('groups');
      why.push([...missing.map((g) => `+${g}`), ...extra.map((g) => `-${g}`)].join(' '));
    }
  }
  if (!fields.length) return { kind: 'ok' };
  const data: UserPlanData = { action: 'modify', fields };
  return { kind: 'change', summary: `user ${p.name}: ${why.join(', ')}`, data };
}

function opts(p: UserParams, fields: string[] | 'all', create: boolean): string[] {
  const has = (f: keyof UserParams) => p[f] !== undefined && (fields === 'all' || fields.includes(f));
  const o: string[] = [];
  if (has('uid')) o.push('-u', String(p.uid));
  if (has('group')) o.push('-g', q(p.group!));
  if (has('groups')) o.push(...(!create && p.append ? ['-a'] : []), '-G', q(p.groups!.join(',')));
  if (has('shell')) o.push('-s', q(p.shell!));
  if (has('home')) o.push('-d', q(p.home!), ...(create ? [] : ['-m']));
  if (has('comment')) o.push('-c', q(p.comment!));
  if (has('password')) o.push('-p', q(p.password!));
  return o;
}

export function applyUser(p: UserParams, { data }: Change<UserPlanData>): string {
  const n = q(p.name);
  if (data.action === 'delete') return `userdel ${p.remove ? '-r ' : ''}-- ${n}\n`;
  if (data.action === 'create') {
    const o = opts(p, 'all', true);
    if (p.system) o.push('-r');
    o.push(p.create_home === false ? '-M' : '-m');
    // Without an explicit group, useradd's USERGROUPS_ENAB makes a group named after the user.
    return `useradd ${o.join(' ')} -- ${n}\n`;
  }
  return `usermod ${opts(p, data.fields, false).join(' ')} -- ${n}\n`;
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
