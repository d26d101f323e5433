// copy: a file whose bytes are given inline (content) or taken from the role's files/ (src).
import { Type } from '@sinclair/typebox';
import { predictParent } from './lib/filestate.js';
import type { Module } from '../model/module.js';
import { paramsObject } from '../model/params.js';
import { contentProps, probeContent, batchContent, planContent, applyContent, type ContentParams, type ContentPlanData } from './lib/content.js';

const schema = paramsObject(
  {
    ...contentProps,
    content: Type.Optional(Type.String()),
    /** A file in the role (files/NAME), read on the controller by prepare(). */
    src: Type.Optional(Type.String({ minLength: 1, description: "path in the role's files/ directory" })),
  },
  { oneOf: [{ required: ['content'] }, { required: ['src'] }] },
);

/** A role file's base64, per Buffer: the file cache gives every host the same Buffer while the
 * file is unchanged, so it is encoded once per run, not once per host. */
const base64Of = new WeakMap<Buffer, string>();
function base64(data: Buffer): string {
  let s = base64Of.get(data);
  if (s === undefined) base64Of.set(data, (s = data.toString('base64')));
  return s;
}

export const copy: Module<typeof schema, ContentPlanData, ContentParams> = {
  name: 'copy',
  schema,
  prepare(p, ctx) {
    if (p.src === undefined) return p;
    // Bytes, not text: role files may be binary (keys, images).
    return { ...p, content_b64: base64(ctx.readRoleFile(p.src)) };
  },
  probe: (p) => probeContent(p, 'copy'),
  batchProbe: (p) => batchContent(p, 'copy'),
  plan: (p, out) => planContent(p, out, 'copy'),
  apply: (p, plan) => applyContent(p, plan, 'copy'),
  predict: (p, out, dirs) => predictParent(p.dest, out, dirs),
  resources: (p) => [`file:${p.dest}`],
};
