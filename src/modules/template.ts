// template: a file rendered on the controller from a role's templates/NAME.hbs.
import { Type } from '@sinclair/typebox';
import { predictParent } from './lib/filestate.js';
import type { Module } from '../model/module.js';
import { paramsObject } from '../model/params.js';
import { contentProps, probeContent, batchContent, planContent, applyContent, type ContentParams, type ContentPlanData } from './lib/content.js';

const schema = paramsObject({ ...contentProps, src: Type.String({ minLength: 1, description: 'templates/NAME.hbs in the role' }) });

export const template: Module<typeof schema, ContentPlanData, ContentParams> = {
  name: 'template',
  schema,
  traits: { rendersFile: 'src' },
  // The rendered text is kept in `content` (not a user-facing param): probe, plan and apply
  // all work from it.
  prepare: (p, ctx) => ({ ...p, content: ctx.renderTemplate(p.src) }),
  probe: (p) => probeContent(p, 'template'),
  batchProbe: (p) => batchContent(p, 'template'),
  plan: (p, out) => planContent(p, out, 'template'),
  apply: (p, plan) => applyContent(p, plan, 'template'),
  predict: (p, out, dirs) => predictParent(p.dest, out, dirs),
  resources: (p) => [`file:${p.dest}`],
};
