// Probes merged by kind (model/module.ts ProbeBatcher): the engine sends one command per kind
// for a round trip and cuts each task's answer back out, byte for byte what the task's own
// probe prints (test/unit/engine/probe-batch.test.ts runs both in a real shell and compares).
import type { ProbeBatch, ProbeBatcher } from '../model/module.js';
import { pathBatchScript, pathBatchSplit, pathBatchVars, type PathBatch } from './lib/filestate.js';
import { guardBatchScript, guardBatchSplit } from './lib/run.js';
import { dpkgProbeSh, listsNeeded } from './package.js';

type DpkgBatch = Extract<ProbeBatch, { kind: 'dpkg' }>;

function only<K extends ProbeBatch['kind']>(kind: K, b: ProbeBatch): Extract<ProbeBatch, { kind: K }> {
  if (b.kind !== kind) throw new Error(`a ${b.kind} probe handed to the ${kind} batcher`);
  return b as Extract<ProbeBatch, { kind: K }>;
}

/** dpkg's package name, without the architecture suffix some versions print. */
const pkgOf = (line: string): string => line.slice('pkg='.length).split('\t')[0].replace(/:[a-z0-9]+$/, '');

/** package present/absent: one dpkg-query over every name (or the facts' answer), and the index
 * age once, when some task could install. */
const dpkg: ProbeBatcher = {
  kind: 'dpkg',
  script: (needs) => {
    const all = needs.map((n) => only('dpkg', n));
    return dpkgProbeSh([...new Set(all.flatMap((n) => n.names))], all.some((n) => n.pinned));
  },
  vars: () => ['d', 'f', 'n', 'w', 'l', 's'],
  split(stdout, need) {
    const own = only('dpkg', need) as DpkgBatch;
    const wanted = new Set(own.names);
    const lines = stdout.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const pkgs = lines.filter((l) => l.startsWith('pkg=') && wanted.has(pkgOf(l)));
    // The index age, printed when any task needed it, goes to those whose own probe prints it.
    const rest = listsNeeded(own.names, own.pinned, pkgs) ? lines.filter((l) => !l.startsWith('pkg=')) : [];
    return [...pkgs, ...rest].map((l) => `${l}\n`).join('');
  },
};

/** file-like modules: one stat (and one stat -L) over every path. */
const path: ProbeBatcher = {
  kind: 'path',
  script: (needs) => pathBatchScript(needs.map((n) => only('path', n) as PathBatch)),
  vars: (needs) => pathBatchVars(needs.map((n) => only('path', n) as PathBatch)),
  split: (stdout, _need, index) => pathBatchSplit(stdout, index),
};

/** command/shell guards of path tests: one section of builtins for all of them. */
const guard: ProbeBatcher = {
  kind: 'guard',
  script: (needs) => guardBatchScript(needs.map((n) => only('guard', n))),
  vars: () => [],
  split: (stdout, _need, index) => guardBatchSplit(stdout, index),
};

const batchers: Record<ProbeBatch['kind'], ProbeBatcher> = { dpkg, path, guard };

export function getBatcher(kind: ProbeBatch['kind']): ProbeBatcher {
  return batchers[kind];
}
