// line: one line in a text file (like Ansible's lineinfile).
import { Type } from '@sinclair/typebox';
import { predictParent } from './lib/filestate.js';
import type { Module } from '../model/module.js';
import { paramsObject } from '../model/params.js';
import { pathSchema, textEditProps } from './lib/schema.js';
import { probeTextFile, batchTextFile, planTextFile, applyTextFile, type TextPlanData } from './lib/textfile.js';
import { editLine } from './lib/lines.js';

const schema = paramsObject(
  {
    path: pathSchema,
    // One line: a newline in it would be appended again on every run, never found as one line.
    line: Type.Optional(Type.String({ pattern: '^[^\\n\\r]*$', description: 'one line, without a newline' })),
    regexp: Type.Optional(Type.String({ minLength: 1 })),
    ...textEditProps,
  },
  {
    not: { required: ['insertafter', 'insertbefore'] },
    // present needs the line; absent needs something to match.
    if: { properties: { state: { const: 'absent' } }, required: ['state'] },
    then: { anyOf: [{ required: ['line'] }, { required: ['regexp'] }] },
    else: { required: ['line'] },
  },
);

export const line: Module<typeof schema, TextPlanData> = {
  name: 'line',
  schema,
  probe: (p) => probeTextFile(p),
  batchProbe: (p) => batchTextFile(p),
  plan: (p, out) =>
    planTextFile(
      p,
      out,
      (old) => editLine(old, p),
      p.state === 'absent' ? `remove line ${JSON.stringify(p.regexp ?? p.line)}` : `line ${JSON.stringify(p.line)}`,
    ),
  apply: (p, plan) => applyTextFile(p, plan),
  predict: (p, out, dirs) => predictParent(p.path, out, dirs),
  resources: (p) => [`file:${p.path}`],
};
