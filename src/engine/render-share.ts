// A role's template file rendered once per run for every host whose values of the variables
// it reads are the same (the bench's five templates read none that differ between hosts, while
// each task's destination under the host's own root does: the task is prepared per host, its
// template is not). shared-results.ts says when a text is shared.
import { isAbsolute } from 'node:path';
import { statSync } from 'node:fs';
import type { Vars } from '../model/inventory.js';
import { ANY_VARIABLE, fileStamp, freeVariablesInFile, renderTemplateFile, type VarRef } from '../template/index.js';
import { SharedResults, snapshotOf } from './shared-results.js';
import { followVariables, variableTemplatesGeneration } from './task-reads.js';

const texts = new SharedResults<string, string>(new Map());

/** What the file reads (through variables that are templates), by the file's stamp; undefined
 * when that cannot be known (an include, hostvars, any variable). */
const readsOf = new Map<string, { stamp: string; generation: number; refs: VarRef[] | undefined }>();

/** The file's stamp now and what it reads (refs undefined: not known, or no stamp). */
function fileReads(file: string): { stamp?: string; refs: VarRef[] | undefined } {
  let stamp: string;
  try {
    stamp = fileStamp(statSync(file));
  } catch {
    return { refs: undefined };
  }
  const hit = readsOf.get(file);
  const generation = variableTemplatesGeneration();
  if (hit && hit.stamp === stamp && hit.generation === generation) return { stamp, refs: hit.refs };
  const all = followVariables(freeVariablesInFile(file));
  const refs = all.some((r) => r.name === ANY_VARIABLE || r.name === 'hostvars') ? undefined : all;
  readsOf.set(file, { stamp, generation, refs });
  return { stamp, refs };
}

/** The template file rendered with `ctx` (as renderTemplateFile), or the text another host got
 * for the same values. */
export function sharedRender(file: string, ctx: Vars): string {
  const { stamp, refs } = isAbsolute(file) ? fileReads(file) : { stamp: undefined, refs: undefined };
  // Kept per run's variable templates too: the same values of other references are another text.
  // The file was stamped just now: the kept text's check does not stat it again.
  const known = stamp === undefined ? undefined : { file, stamp };
  return texts.get(`${variableTemplatesGeneration()}:${file}`, refs && snapshotOf(refs, ctx), () => renderTemplateFile(file, ctx), known);
}
