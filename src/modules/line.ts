// line: one line in a text file (like Ansible's lineinfile).
import type { Module } from '../model/module.js';
import { objectSchema, pathSchema, textEditProps } from './lib/schema.js';
import { probeTextFile, planTextFile, applyTextFile, type TextFileParams } from './lib/textfile.js';
import { editLine } from './lib/lines.js';

export interface LineParams extends TextFileParams {
  line?: string;
  regexp?: string;
  state?: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
}

export const line: Module<LineParams> = {
  name: 'line',
  schema: objectSchema(
    {
      path: pathSchema,
      line: { type: 'string' },
      regexp: { type: 'string', minLength: 1 },
      ...textEditProps,
    },
    ['path'],
    {
      not: { required: ['insertafter', 'insertbefore'] },
      // present needs the line; absent needs something to match.
      if: { properties: { state: { const: 'absent' } }, required: ['state'] },
      then: { anyOf: [{ required: ['line'] }, { required: ['regexp'] }] },
      else: { required: ['line'] },
    },
  ),
  probe: (p) => probeTextFile(p),
  plan: (p, out) =>
    planTextFile(
      p,
      out,
      (old) => editLine(old, { ...p, state: p.state ?? 'present' }),
      p.state === 'absent' ? `remove line ${JSON.stringify(p.regexp ?? p.line)}` : `line ${JSON.stringify(p.line)}`,
    ),
  apply: (p, plan) => applyTextFile(p, plan),
  resources: (p) => [`file:${p.path}`],
};
