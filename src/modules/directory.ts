// directory: file with state directory (created with parents, like mkdir -p).
import type { Module } from '../model/module.js';
import { probeFile, planFile, applyFile, fileResources, fileProps, type FileParams } from './file.js';
import { objectSchema } from './lib/schema.js';

export type DirectoryParams = Omit<FileParams, 'state' | 'src' | 'force'> & { state?: 'present' | 'absent' };

const { path, owner, group, mode, recurse } = fileProps;

function asFile(p: DirectoryParams): FileParams {
  return { ...p, state: p.state === 'absent' ? 'absent' : 'directory' };
}

export const directory: Module<DirectoryParams> = {
  name: 'directory',
  schema: objectSchema(
    { path, state: { type: 'string', enum: ['present', 'absent'], default: 'present' }, owner, group, mode, recurse },
    ['path'],
  ),
  probe: (p) => probeFile(asFile(p)),
  plan: (p, out) => planFile(asFile(p), out),
  apply: (p, plan) => applyFile(asFile(p), plan),
  resources: (p) => fileResources(asFile(p)),
};
