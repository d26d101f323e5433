// link: a symbolic link path -> src.
import type { Module } from '../model/module.js';
import { paramsObject, type Params } from '../model/params.js';
import { probeFile, batchFile, planFile, applyFile, fileResources, fileProps, linkTarget, type FileParams, type FilePlanData } from './file.js';
import { presentAbsent } from './lib/schema.js';

const { path, owner, group, force } = fileProps;
const schema = paramsObject({ path, src: linkTarget, owner, group, force, state: presentAbsent });
export type LinkParams = Params<typeof schema>;

function asFile(p: LinkParams): FileParams {
  return { ...p, state: p.state === 'absent' ? 'absent' : 'link', recurse: false };
}

export const link: Module<typeof schema, FilePlanData> = {
  name: 'link',
  schema,
  probe: (p) => probeFile(asFile(p)),
  batchProbe: (p) => batchFile(asFile(p)),
  plan: (p, out) => {
    const plan = planFile(asFile(p), out);
    // Never delete a real file or directory because a *link* was declared absent.
    if (p.state === 'absent' && plan.kind === 'change' && plan.data.type !== 'link')
      return { kind: 'blocked', reason: `${p.path} is a ${plan.data.type}, not a link; refusing to remove it` };
    return plan;
  },
  apply: (p, plan) => applyFile(asFile(p), plan),
  resources: (p) => fileResources(asFile(p)),
};
