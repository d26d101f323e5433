// Probes merged by kind (model/module.ts ProbeBatcher): the engine sends one command per kind
// for a round trip and cuts each task's answer back out, byte for byte what the task's own
// probe prints (test/unit/modules/batchers.test.ts runs both in a real shell and compares).
import type { ProbeBatch, ProbeBatcher } from '../model/module.js';
import { dpkgQuerySh, LISTS_AGE_SH } from './package.js';

/** dpkg's package name, without the architecture suffix some versions print. */
const pkgOf = (line: string): string => line.slice('pkg='.length).split('\t')[0].replace(/:[a-z0-9]+$/, '');

/** package present/absent: one dpkg-query over every name, and the index age once. */
const dpkg: ProbeBatcher = {
  kind: 'dpkg',
  script: (needs) => dpkgQuerySh([...new Set(needs.flatMap((n) => n.names))]) + LISTS_AGE_SH,
  split(stdout, need) {
    const wanted = new Set(need.names);
    const lines = stdout.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const pkgs = lines.filter((l) => l.startsWith('pkg=') && wanted.has(pkgOf(l)));
    const rest = lines.filter((l) => !l.startsWith('pkg='));
    return [...pkgs, ...rest].map((l) => `${l}\n`).join('');
  },
};

const batchers: Record<ProbeBatch['kind'], ProbeBatcher> = { dpkg };

export function getBatcher(kind: ProbeBatch['kind']): ProbeBatcher {
  return batchers[kind];
}
