// link: a symbolic link path -> src.
import type { Module } from '../model/module.js';
import { probeFile, planFile, applyFile, fileResources, fileProps, type FileParams } from './file.js';
import { objectSchema } from './lib/schema.js';

export interface LinkParams {
  path: string;
  src: string;
  owner?: string | number;
  group?: string | number;
  force?: boolean;
  state?: 'present' | 'absent';
}

const { path, src, owner, group, force } = fileProps;

function asFile(p: LinkParams): FileParams {
  return { ...p, state: p.state === 'absent' ? 'absent' : 'link' };
}

export const link: Module<LinkParams> = {
  name: 'link',
  schema: objectSchema(
    { path, src, owner, group, force, state: { type: 'string', enum: ['present', 'absent'], default: 'present' } },
    ['path', 'src'],
  ),
  probe: (p) => probeFile(asFile(p)),
  plan: (p, out) => {
    const plan = planFile(asFile(p), out);
    // Never delete a real file or directory because a *link* was declared absent.
    if (p.state === 'absent' && plan.kind === 'change' && (plan.data as { type: string }).type !== 'link')
      return { kind: 'blocked', reason: `${p.path} is a ${(plan.data as { type: string }).type}, not a link; refusing to remove it` };
    return plan;
  },
  apply: (p, plan) => applyFile(asFile(p), plan),
  resources: (p) => fileResources(asFile(p)),
};
