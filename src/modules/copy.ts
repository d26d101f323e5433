// copy: a file whose bytes are given inline (content) or taken from the role's files/ (src).
import type { Module } from '../model/module.js';
import { objectSchema } from './lib/schema.js';
import { contentProps, probeContent, planContent, applyContent, type ContentParams } from './lib/content.js';

export interface CopyParams extends ContentParams {
  /** A file in the role (files/NAME), read on the controller by prepare(). */
  src?: string;
}

export const copy: Module<CopyParams> = {
  name: 'copy',
  schema: objectSchema(
    {
      ...contentProps,
      content: { type: 'string' },
      src: { type: 'string', minLength: 1, description: "path in the role's files/ directory" },
    },
    ['dest'],
    { oneOf: [{ required: ['content'] }, { required: ['src'] }] },
  ),
  prepare(p, ctx) {
    if (p.src === undefined) return p;
    // Bytes, not text: role files may be binary (keys, images).
    return { ...p, content_b64: ctx.readRoleFile(p.src).toString('base64') };
  },
  probe: (p) => probeContent(p, 'copy'),
  plan: (p, out) => planContent(p, out, 'copy'),
  apply: (p, plan) => applyContent(p, plan, 'copy'),
  resources: (p) => [`file:${p.dest}`],
};
