// group: a local group (groupadd/groupmod/groupdel).
import { Type } from '@sinclair/typebox';
import type { Change, Module, Plan } from '../model/module.js';
import { paramsObject, withDefault, type Params } from '../model/params.js';
import { q } from './lib/sh.js';
import { parseProbe } from './lib/kv.js';
import { presentAbsent } from './lib/schema.js';

const schema = paramsObject({
  name: Type.String({ pattern: '^[a-z_][a-z0-9_.-]*\\$?$', maxLength: 32 }),
  gid: Type.Optional(Type.Integer({ minimum: 0 })),
  system: withDefault(Type.Boolean(), false),
  state: presentAbsent,
});
export type GroupParams = Params<typeof schema>;
type GroupPlanData = 'create' | 'modify' | 'delete';

export function probeGroup(p: GroupParams): string {
  return `if e=$(getent group ${q(p.name)}); then echo exists=1; echo "entry=$e"; else echo exists=0; fi\n`;
}

export function planGroup(p: GroupParams, out: string): Plan<GroupPlanData> {
  const d = parseProbe(out);
  const exists = d.need('exists') === '1';
  if (p.state === 'absent')
    return exists ? { kind: 'change', summary: `remove group ${p.name}`, data: 'delete' } : { kind: 'ok' };
  if (!exists) return { kind: 'change', summary: `create group ${p.name}${p.gid !== undefined ? ` (gid ${p.gid})` : ''}`, data: 'create' };
  const gid = d.need('entry').split(':')[2];
  if (p.gid !== undefined && String(p.gid) !== gid) return { kind: 'change', summary: `group ${p.name}: gid ${gid} -> ${p.gid}`, data: 'modify' };
  return { kind: 'ok' };
}

export function applyGroup(p: GroupParams, plan: Change<GroupPlanData>): string {
  const n = q(p.name);
  const gid = p.gid !== undefined ? `-g ${p.gid} ` : '';
  switch (plan.data) {
    case 'delete':
      return `groupdel -- ${n}\n`;
    case 'modify':
      return `groupmod ${gid}-- ${n}\n`;
    default:
      return `groupadd ${gid}${p.system ? '-r ' : ''}-- ${n}\n`;
  }
}

export const group: Module<typeof schema, GroupPlanData> = {
  name: 'group',
  schema,
  probe: (p) => probeGroup(p),
  plan: (p, out) => planGroup(p, out),
  apply: (p, plan) => applyGroup(p, plan),
  resources: (p) => [`group:${p.name}`],
};
