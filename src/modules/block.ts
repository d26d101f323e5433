// block: a marked block of lines in a text file (like Ansible's blockinfile).
import { Type } from '@sinclair/typebox';
import { predictParent } from './lib/filestate.js';
import type { Module } from '../model/module.js';
import { paramsObject, withDefault } from '../model/params.js';
import { pathSchema, textEditProps } from './lib/schema.js';
import { probeTextFile, batchTextFile, planTextFile, applyTextFile, type TextPlanData } from './lib/textfile.js';
import { editBlock } from './lib/lines.js';

export const DEFAULT_MARKER = '# {mark} FLEET MANAGED BLOCK';

const schema = paramsObject(
  {
    path: pathSchema,
    block: withDefault(Type.String(), ''),
    // Markers are found line by line: one with a newline would never be found, and the block
    // would be appended again on every run.
    marker: withDefault(
      Type.String({ pattern: '^[^\\n\\r]*\\{mark\\}[^\\n\\r]*$', description: 'one line containing {mark}, without a newline' }),
      DEFAULT_MARKER,
    ),
    marker_begin: withDefault(Type.String({ pattern: '^[^\\n\\r]+$', description: 'one line, without a newline' }), 'BEGIN'),
    marker_end: withDefault(Type.String({ pattern: '^[^\\n\\r]+$', description: 'one line, without a newline' }), 'END'),
    ...textEditProps,
  },
  { not: { required: ['insertafter', 'insertbefore'] } },
);

export const block: Module<typeof schema, TextPlanData> = {
  name: 'block',
  schema,
  probe: (p) => probeTextFile(p),
  batchProbe: (p) => batchTextFile(p),
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
  predict: (p, out, dirs) => predictParent(p.path, out, dirs),
  resources: (p) => [`file:${p.path}`],
};
