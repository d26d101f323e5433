// block: a marked block of lines in a text file (like Ansible's blockinfile).
import type { Module } from '../model/module.js';
import { objectSchema, pathSchema, textEditProps } from './lib/schema.js';
import { probeTextFile, planTextFile, applyTextFile, type TextFileParams } from './lib/textfile.js';
import { editBlock } from './lib/lines.js';

export interface BlockParams extends TextFileParams {
  block?: string;
  marker?: string;
  marker_begin?: string;
  marker_end?: string;
  state?: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
}

export const DEFAULT_MARKER = '# {mark} FLEET MANAGED BLOCK';

export const block: Module<BlockParams> = {
  name: 'block',
  schema: objectSchema(
    {
      path: pathSchema,
      block: { type: 'string', default: '' },
      marker: { type: 'string', pattern: '\\{mark\\}', default: DEFAULT_MARKER },
      marker_begin: { type: 'string', minLength: 1, default: 'BEGIN' },
      marker_end: { type: 'string', minLength: 1, default: 'END' },
      ...textEditProps,
    },
    ['path'],
    { not: { required: ['insertafter', 'insertbefore'] } },
  ),
  probe: (p) => probeTextFile(p),
  plan: (p, out) =>
    planTextFile(
      p,
      out,
      (old) =>
        editBlock(old, {
          block: p.block ?? '',
          marker: p.marker ?? DEFAULT_MARKER,
          markerBegin: p.marker_begin ?? 'BEGIN',
          markerEnd: p.marker_end ?? 'END',
          state: p.state ?? 'present',
          insertafter: p.insertafter,
          insertbefore: p.insertbefore,
        }),
      p.state === 'absent' ? 'remove block' : 'block',
    ),
  apply: (p, plan) => applyTextFile(p, plan),
  resources: (p) => [`file:${p.path}`],
};
