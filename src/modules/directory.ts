// directory: file with state directory (created with parents, like mkdir -p).
import type { Module } from '../model/module.js';
import { paramsObject, type Params } from '../model/params.js';
import { probeFile, batchFile, planFile, applyFile, madeDirsFile, fileResources, fileProps, type FileParams, type FilePlanData } from './file.js';
import { presentAbsent } from './lib/schema.js';

const { path, owner, group, mode, recurse } = fileProps;
const schema = paramsObject({ path, state: presentAbsent, owner, group, mode, recurse });
export type DirectoryParams = Params<typeof schema>;

function asFile(p: DirectoryParams): FileParams {
  return { ...p, state: p.state === 'absent' ? 'absent' : 'directory', force: false };
}

export const directory: Module<typeof schema, FilePlanData> = {
  name: 'directory',
  schema,
  probe: (p) => probeFile(asFile(p)),
  batchProbe: (p) => batchFile(asFile(p)),
  plan: (p, out) => planFile(asFile(p), out),
  apply: (p, plan) => applyFile(asFile(p), plan),
  madeDirs: (p, plan) => madeDirsFile(asFile(p), plan),
  resources: (p) => fileResources(asFile(p)),
};
