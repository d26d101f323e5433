// template: a file rendered on the controller from a role's templates/NAME.hbs.
import type { Module } from '../model/module.js';
import { objectSchema } from './lib/schema.js';
import { contentProps, probeContent, planContent, applyContent, type ContentParams } from './lib/content.js';

export interface TemplateParams extends ContentParams {
  src: string;
}

export const template: Module<TemplateParams> = {
  name: 'template',
  schema: objectSchema(
    { ...contentProps, src: { type: 'string', minLength: 1, description: 'templates/NAME.hbs in the role' } },
    ['dest', 'src'],
  ),
  // The rendered text is kept in `content` (not a user-facing param): probe, plan and apply
  // all work from it.
  prepare: (p, ctx) => ({ ...p, content: ctx.renderTemplate(p.src) }),
  probe: (p) => probeContent(p, 'template'),
  plan: (p, out) => planContent(p, out, 'template'),
  apply: (p, plan) => applyContent(p, plan, 'template'),
  resources: (p) => [`file:${p.dest}`],
};
