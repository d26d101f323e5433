// shell: run a command line through sh -c (pipes, redirections, variables).
import { Type } from '@sinclair/typebox';
import type { Module } from '../model/module.js';
import { paramsObject } from '../model/params.js';
import { q } from './lib/sh.js';
import { runProps, runPrefix, probeRun, batchRun, planRun, runResult, runTraits } from './lib/run.js';

const schema = paramsObject({ cmd: Type.String({ minLength: 1 }), ...runProps });

export const shell: Module<typeof schema> = {
  name: 'shell',
  schema,
  traits: runTraits,
  probe: (p) => probeRun(p),
  batchProbe: (p) => batchRun(p),
  plan: (p, out) => planRun(p, out, p.cmd),
  // Its own sh, so the operator's `set -e`-unfriendly pipelines behave as they would by hand.
  apply: (p) => `${runPrefix(p)}exec sh -c ${q(p.cmd)}\n`,
  result: (p, o) => runResult(p.cmd, o),
  resources: (p) => (p.creates ? [`file:${p.creates}`] : []),
};
