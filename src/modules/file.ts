// file: a path's existence, kind (file, directory, symlink) and attributes, without content.
import { Type } from '@sinclair/typebox';
import type { Change, Module, Plan, ProbeBatch } from '../model/module.js';
import { paramsObject, stringEnum, withDefault, type Params } from '../model/params.js';
import { q } from './lib/sh.js';
import { parseProbe } from './lib/kv.js';
import { probePath, parsePath, predictParent, attrsOf, attrsBlocked, attrChanges, desiredMode, describeAttrs, pathBatch, type PathProbeOptions, type PathState } from './lib/filestate.js';
import { setAttrsSh } from './lib/filewrite.js';
import { pathSchema, attrProps } from './lib/schema.js';

export const linkTarget = Type.String({ minLength: 1, description: 'link target (state: link)' });

export const fileProps = {
  path: pathSchema,
  state: withDefault(stringEnum(['file', 'directory', 'link', 'absent', 'touch']), 'file'),
  ...attrProps,
  src: Type.Optional(linkTarget),
  force: withDefault(Type.Boolean({ description: 'replace an existing non-link when creating a link' }), false),
  recurse: withDefault(Type.Boolean({ description: 'directory: owner/group applied recursively' }), false),
};

const schema = paramsObject(fileProps);
export type FileParams = Params<typeof schema>;
export type FileState = FileParams['state'];

type Action = 'create' | 'remove' | 'attrs' | 'relink';
export interface FilePlanData {
  action: Action;
  state: FileState;
  /** Current type of the path. */
  type: PathState['type'];
  mode?: string;
}

const recursive = (p: FileParams): boolean => p.state === 'directory' && p.recurse && (p.owner !== undefined || p.group !== undefined);
const pathOptions = (p: FileParams): PathProbeOptions => {
  const a = attrsOf(p);
  // Only a link or a touch needs its directory (a directory is made with mkdir -p): asking
  // for it elsewhere would make a directory's probe move when an earlier task makes its parent.
  return { owner: a.owner, group: a.group, parent: p.state === 'link' || p.state === 'touch' };
};

/** probeFile's question in mergeable form; not with a recursive ownership check (its own find). */
export function batchFile(p: FileParams): ProbeBatch | undefined {
  return recursive(p) ? undefined : pathBatch(p.path, pathOptions(p));
}

export function probeFile(p: FileParams): string {
  const a = attrsOf(p);
  let s = probePath(p.path, pathOptions(p));
  if (recursive(p)) {
    // One find for the whole tree: prints the first path whose ownership differs, then stops.
    const tests: string[] = [];
    if (a.owner !== undefined) tests.push(`! -user ${q(a.owner)}`);
    if (a.group !== undefined) tests.push(`! -group ${q(a.group)}`);
    s += `if [ -d ${q(p.path)} ] && [ -n "$(find ${q(p.path)} \\( ${tests.join(' -o ')} \\) -print -quit 2>/dev/null)" ]; then echo recurse_drift=1; fi\n`;
  }
  return s;
}

function change(summary: string, data: FilePlanData): Plan<FilePlanData> {
  return { kind: 'change', summary, data };
}

export function planFile(p: FileParams, out: string): Plan<FilePlanData> {
  const d = parseProbe(out);
  const s = parsePath(d);
  const a = attrsOf(p);
  const state = p.state;
  const path = p.path;

  if (state === 'absent') {
    if (s.type === 'absent') return { kind: 'ok' };
    return change(`remove ${s.type === 'directory' ? 'directory' : s.type} ${path}`, { action: 'remove', state, type: s.type });
  }
  const blocked = attrsBlocked(a, s);
  if (blocked) return { kind: 'blocked', reason: blocked };
  const isDir = state === 'directory';
  const mode = desiredMode(a, s, isDir);

  if (state === 'link') {
    if (!p.src) throw new Error(`file ${path}: state link needs src (the link target)`);
    if (s.type === 'link') {
      if (s.linkTarget !== p.src) return change(`relink ${path} -> ${p.src} (was -> ${s.linkTarget})`, { action: 'relink', state, type: s.type });
      const diffs = attrChanges({ owner: a.owner, group: a.group }, s, false);
      return diffs.length ? change(`${path}: ${diffs.join(', ')}`, { action: 'attrs', state, type: s.type }) : { kind: 'ok' };
    }
    if (s.type !== 'absent' && !p.force)
      return { kind: 'blocked', reason: `${path} exists as a ${s.type}, not a link; set force: true to replace it` };
    if (s.parentExists === false) return { kind: 'blocked', reason: `directory of ${path} does not exist` };
    return change(`link ${path} -> ${p.src}${s.type !== 'absent' ? ` (replacing a ${s.type})` : ''}`, { action: 'relink', state, type: s.type });
  }

  if (s.type === 'absent') {
    if (state === 'file') return { kind: 'blocked', reason: `${path} does not exist (state: file never creates; use copy, template or state: touch)` };
    if (state === 'touch' && s.parentExists === false) return { kind: 'blocked', reason: `directory of ${path} does not exist` };
    const m = mode ?? (isDir ? '0755' : '0644');
    return change(`create ${isDir ? 'directory' : 'file'} ${path}${describeAttrs(m, a)}`, { action: 'create', state, type: s.type, mode: m });
  }
  const wantType = isDir ? 'directory' : 'file';
  if (s.type !== wantType) return { kind: 'blocked', reason: `${path} exists as a ${s.type}, expected a ${wantType}` };
  const diffs = attrChanges(a, s, isDir);
  if (d.get('recurse_drift') === '1') diffs.push('ownership below it');
  if (!diffs.length) return { kind: 'ok' };
  return change(`${path}: ${diffs.join(', ')}`, { action: 'attrs', state, type: s.type, mode });
}

export function applyFile(p: FileParams, { data }: Change<FilePlanData>): string {
  const a = attrsOf(p);
  const path = q(p.path);
  const attrs = { owner: a.owner, group: a.group, mode: data.mode };
  switch (data.action) {
    case 'remove':
      return `rm -rf -- ${path}\n`;
    case 'create':
      return (data.state === 'directory' ? `mkdir -p -- ${path}\n` : `touch -- ${path}\n`) + setAttrsSh(p.path, attrs);
    case 'relink': {
      // A directory in the way would make ln put the link inside it: remove it first (force).
      const clear = data.type !== 'absent' && data.type !== 'link' ? `rm -rf -- ${path}\n` : '';
      return clear + `ln -sfn -- ${q(p.src!)} ${path}\n` + setAttrsSh(p.path, { owner: a.owner, group: a.group }, { link: true });
    }
    case 'attrs':
      if (data.state === 'link') return setAttrsSh(p.path, { owner: a.owner, group: a.group }, { link: true });
      return (
        (p.recurse && data.state === 'directory' ? setAttrsSh(p.path, { owner: a.owner, group: a.group }, { recurse: true }) : '') +
        setAttrsSh(p.path, attrs)
      );
  }
}

/** A directory created or kept by the change is there for the tasks after it. */
export function madeDirsFile(p: FileParams, { data }: Change<FilePlanData>): string[] {
  return data.state === 'directory' && data.action !== 'remove' ? [p.path.replace(/\/+$/, '') || '/'] : [];
}

export function fileResources(p: FileParams): string[] {
  return [`file:${p.path}`];
}

export const file: Module<typeof schema, FilePlanData> = {
  name: 'file',
  schema,
  probe: (p) => probeFile(p),
  batchProbe: (p) => batchFile(p),
  plan: (p, out) => planFile(p, out),
  apply: (p, plan) => applyFile(p, plan),
  madeDirs: madeDirsFile,
  predict: (p, out, dirs) => predictParent(p.path, out, dirs),
  resources: fileResources,
};
