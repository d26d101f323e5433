// replace: every match of a Python regular expression in a text file replaced (like Ansible's
// replace): MULTILINE, optionally only between `after` and `before` (matched with DOTALL, as
// Ansible builds its section pattern). The file must exist, as in Ansible.
import { Type } from '@sinclair/typebox';
import type { Module } from '../model/module.js';
import { paramsObject, withDefault } from '../model/params.js';
import { PyRegexError, pyRegex, pyReplacer } from '../model/py-regex.js';
import { parseProbe } from './lib/kv.js';
import { parsePath, predictParent } from './lib/filestate.js';
import { attrProps, pathSchema } from './lib/schema.js';
import { applyTextFile, batchTextFile, planTextFile, probeTextFile, type TextPlanData } from './lib/textfile.js';

const schema = paramsObject({
  path: pathSchema,
  regexp: Type.String({ minLength: 1 }),
  replace: withDefault(Type.String(), ''),
  after: Type.Optional(Type.String({ minLength: 1 })),
  before: Type.Optional(Type.String({ minLength: 1 })),
  validate: Type.Optional(Type.String({ minLength: 1 })),
  backup: withDefault(Type.Boolean(), false),
  ...attrProps,
});

export interface ReplaceEdit {
  regexp: string;
  replace: string;
  after?: string;
  before?: string;
}

/** The text after the replacements, and how many were made (Ansible's "N replacements made"). */
export function replaceText(text: string, p: ReplaceEdit): { text: string; count: number } {
  let start = 0;
  let end = text.length;
  if (p.after !== undefined || p.before !== undefined) {
    const lazy = p.after !== undefined && p.before !== undefined ? '*?' : '*';
    const re = pyRegex(`${p.after ?? ''}(?P<subsection>.${lazy})${p.before ?? ''}`, { dotall: true });
    // `d`: the indices of the section group (Python's match.start/end('subsection')).
    const m = new RegExp(re.source, re.flags + 'd').exec(text);
    const at = m?.indices?.groups?.subsection;
    // Ansible: a section pattern that does not match leaves the file as it is.
    if (!at) return { text, count: 0 };
    [start, end] = at;
  }
  const replacer = pyReplacer(p.replace);
  let count = 0;
  const replaced = text.slice(start, end).replace(pyRegex(p.regexp, { multiline: true }, true), (...m: unknown[]) => {
    count++;
    return replacer(...m);
  });
  return { text: text.slice(0, start) + replaced + text.slice(end), count };
}

export const replace: Module<typeof schema, TextPlanData> = {
  name: 'replace',
  schema,
  probe: (p) => probeTextFile({ ...p, create: false }),
  batchProbe: (p) => batchTextFile({ ...p, create: false }),
  plan: (p, out) => {
    const s = parsePath(parseProbe(out));
    if (s.type === 'absent') return { kind: 'blocked', reason: `${p.path} does not exist (Ansible's replace does not create it)` };
    let r: { text: string; count: number } | undefined;
    if (s.type === 'file') {
      try {
        r = replaceText((s.content ?? Buffer.alloc(0)).toString('utf8'), p);
      } catch (e) {
        if (e instanceof PyRegexError) return { kind: 'blocked', reason: `replace: ${e.message}` };
        throw e;
      }
    }
    const n = r?.count ?? 0;
    return planTextFile({ ...p, create: false }, out, (old) => r?.text ?? old, `${n} replacement${n === 1 ? '' : 's'}`);
  },
  apply: (p, plan) => applyTextFile({ ...p, create: false }, plan),
  predict: (p, out, dirs) => predictParent(p.path, out, dirs),
  resources: (p) => [`file:${p.path}`],
};
