// Shared plan/apply of line and block: probe the whole current text, compute the new text
// in TypeScript, write the whole file when it differs.
import type { Change, Plan, ProbeBatch } from '../../model/module.js';
import { parseProbe } from './kv.js';
import { probePath, parsePath, attrsOf, attrsBlocked, attrChanges, desiredMode, describeAttrs, pathBatch, type PathProbeOptions } from './filestate.js';
import { writeFileSh, setAttrsSh } from './filewrite.js';
import { unifiedDiff } from './diff.js';
import type { ModeInput } from './mode.js';

/** What line and block share (their schemas: textEditProps). */
export interface TextFileParams {
  path: string;
  create: boolean;
  owner?: string | number;
  group?: string | number;
  mode?: ModeInput;
  validate?: string;
  backup: boolean;
}

export interface TextPlanData {
  /** New content, when it changes. */
  content?: string;
  mode?: string;
}

function textOptions(p: TextFileParams): PathProbeOptions {
  const a = attrsOf(p);
  return { follow: true, alwaysContent: true, owner: a.owner, group: a.group, parent: true };
}

export function probeTextFile(p: TextFileParams): string {
  return probePath(p.path, textOptions(p));
}

export function batchTextFile(p: TextFileParams): ProbeBatch {
  return pathBatch(p.path, textOptions(p));
}

export function planTextFile(p: TextFileParams, out: string, edit: (old: string) => string, what: string): Plan<TextPlanData> {
  const s = parsePath(parseProbe(out));
  const a = attrsOf(p);
  if (s.type === 'directory' || s.type === 'other') return { kind: 'blocked', reason: `${p.path} exists as a ${s.type}, expected a file` };
  const exists = s.type === 'file';
  const old = exists ? (s.content ?? Buffer.alloc(0)).toString('utf8') : '';
  const next = edit(old);
  if (!exists) {
    if (next === '') return { kind: 'ok', note: `${p.path} does not exist` };
    if (!p.create) return { kind: 'blocked', reason: `${p.path} does not exist (set create: true to create it)` };
    if (s.parentExists === false) return { kind: 'blocked', reason: `directory of ${p.path} does not exist` };
  }
  const blocked = attrsBlocked(a, s);
  if (blocked) return { kind: 'blocked', reason: blocked };
  const mode = desiredMode(a, s, false) ?? (exists ? undefined : '0644');
  const attrs = exists ? attrChanges(a, s, false) : [];
  const contentChanges = next !== old || !exists;
  if (!contentChanges && !attrs.length) return { kind: 'ok' };
  const data: TextPlanData = { content: contentChanges ? next : undefined, mode };
  const summary = !exists
    ? `create ${p.path}${describeAttrs(mode, a)} with ${what}`
    : `update ${p.path}: ${[...(contentChanges ? [what] : []), ...attrs].join(', ')}`;
  return { kind: 'change', summary, diff: contentChanges ? unifiedDiff(p.path, exists ? old : undefined, next) : undefined, data };
}

export function applyTextFile(p: TextFileParams, { data }: Change<TextPlanData>): string {
  const a = attrsOf(p);
  if (data.content === undefined) return setAttrsSh(p.path, { owner: a.owner, group: a.group, mode: data.mode });
  return writeFileSh({
    path: p.path,
    data: Buffer.from(data.content, 'utf8'),
    owner: a.owner,
    group: a.group,
    mode: data.mode,
    validate: p.validate,
    backup: p.backup,
  });
}
