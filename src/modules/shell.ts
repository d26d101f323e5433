// shell: run a command line through sh -c (pipes, redirections, variables).
import type { Module } from '../model/module.js';
import { q } from './lib/sh.js';
import { objectSchema } from './lib/schema.js';
import { runProps, runPrefix, probeRun, planRun, runResult, type RunParams } from './lib/run.js';

export interface ShellParams extends RunParams {
  cmd: string;
}

export const shell: Module<ShellParams> = {
  name: 'shell',
  schema: objectSchema({ cmd: { type: 'string', minLength: 1 }, ...runProps }, ['cmd']),
  probe: (p) => probeRun(p),
  plan: (p, out) => planRun(p, out, p.cmd),
  // Its own sh, so the operator's `set -e`-unfriendly pipelines behave as they would by hand.
  apply: (p) => `${runPrefix(p)}exec sh -c ${q(p.cmd)}\n`,
  result: (p, o) => runResult(p.cmd, o),
  resources: (p) => (p.creates ? [`file:${p.creates}`] : []),
};
