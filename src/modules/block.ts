// block: a marked block of lines in a text file (like Ansible's blockinfile).
import { Type } from '@sinclair/typebox';
import type { Module } from '../model/module.js';
import { paramsObject, withDefault } from '../model/params.js';
import { pathSchema, textEditProps } from './lib/schema.js';
import { probeTextFile, planTextFile, applyTextFile, type TextPlanData } from './lib/textfile.js';
import { editBlock } from './lib/lines.js';

export const DEFAULT_MARKER = '# {mark} FLEET MANAGED BLOCK';

const schema = paramsObject(
  {
    path: pathSchema,
    block: withDefault(Type.String(), ''),
    marker: withDefault(Type.String({ pattern: '\\{mark\\}' }), DEFAULT_MARKER),
    marker_begin: withDefault(Type.String({ minLength: 1 }), 'BEGIN'),
    marker_end: withDefault(Type.String({ minLength: 1 }), 'END'),
    ...textEditProps,
  },
  { not: { required: ['insertafter', 'insertbefore'] } },
);

export const block: Module<typeof schema, TextPlanData> = {
  name: 'block',
  schema,
  probe: (p) => probeTextFile(p),
  plan: (p, out) =>
    planTextFile(
      p,
      out,
      (old) =>
        editBlock(old, {
          block: p.block,
          marker: p.marker,
          markerBegin: p.marker_begin,
          markerEnd: p.marker_end,
          state: p.state,
          insertafter: p.insertafter,
          insertbefore: p.insertbefore,
        }),
      p.state === 'absent' ? 'remove block' : 'block',
    ),
  apply: (p, plan) => applyTextFile(p, plan),
  resources: (p) => [`file:${p.path}`],
};
