// Shared logic of copy and template: a whole file with known desired bytes.
import { Type } from '@sinclair/typebox';
import type { Change, Plan, ProbeBatch } from '../../model/module.js';
import { withDefault } from '../../model/params.js';
import { parseProbe } from './kv.js';
import { probePath, parsePath, attrsOf, attrsBlocked, attrChanges, desiredMode, describeAttrs, pathBatch, type PathProbeOptions } from './filestate.js';
import { writeFileSh, setAttrsSh } from './filewrite.js';
import { sha256 } from './sh.js';
import { unifiedDiff } from './diff.js';
import { attrProps, pathSchema } from './schema.js';
import type { ModeInput } from './mode.js';

/** What copy and template hand to probe, plan and apply once prepared: the desired bytes. */
export type ContentParams = {
  dest: string;
  /** Desired text (copy's content, template's rendered output). */
  content?: string;
  /** Desired bytes as base64, set by prepare() for files read from the role. */
  content_b64?: string;
  owner?: string | number;
  group?: string | number;
  mode?: ModeInput;
  validate?: string;
  backup: boolean;
  /** The content is secret: no diff, no content in any message. */
  secret: boolean;
};

export interface ContentPlanData {
  write: boolean;
  mode?: string;
}

export const contentProps = {
  dest: pathSchema,
  ...attrProps,
  validate: Type.Optional(Type.String({ minLength: 1, description: 'command run on the temp file (%s = its path) before it replaces dest' })),
  backup: withDefault(Type.Boolean(), false),
  secret: withDefault(Type.Boolean({ description: 'never show the content or a diff' }), false),
};

export function desiredBytes(p: ContentParams, module: string): Buffer {
  if (p.content_b64 !== undefined) return Buffer.from(p.content_b64, 'base64');
  if (p.content !== undefined) return Buffer.from(p.content, 'utf8');
  throw new Error(`${module} ${p.dest}: no content (prepare() did not run?)`);
}

/** Digests of desired contents: every host of a run asks for the same ones (a template that
 * renders the same text, a role file), in its probe and its batch probe. Bounded. */
const digests = new Map<string, string>();
const DIGESTS_MAX = 4096;
const DIGEST_TEXT_MAX = 256 * 1024;

/** The sha256 of the desired bytes (desiredBytes' digest). */
export function desiredSha256(p: ContentParams, module: string): string {
  const key = p.content_b64 !== undefined ? `b${p.content_b64}` : p.content !== undefined ? `t${p.content}` : undefined;
  if (key === undefined || key.length > DIGEST_TEXT_MAX) return sha256(desiredBytes(p, module));
  let d = digests.get(key);
  if (d === undefined) {
    d = sha256(desiredBytes(p, module));
    if (digests.size >= DIGESTS_MAX) digests.clear();
    digests.set(key, d);
  }
  return d;
}

function contentOptions(p: ContentParams, module: string): PathProbeOptions {
  const a = attrsOf(p);
  return { follow: true, desiredSha256: desiredSha256(p, module), owner: a.owner, group: a.group, parent: true };
}

export function probeContent(p: ContentParams, module: string): string {
  return probePath(p.dest, contentOptions(p, module));
}

export function batchContent(p: ContentParams, module: string): ProbeBatch {
  return pathBatch(p.dest, contentOptions(p, module));
}

export function planContent(p: ContentParams, out: string, module: string): Plan<ContentPlanData> {
  const want = desiredBytes(p, module);
  const s = parsePath(parseProbe(out));
  const a = attrsOf(p);
  const blocked = attrsBlocked(a, s);
  if (blocked) return { kind: 'blocked', reason: blocked };
  if (s.type === 'directory' || s.type === 'other') return { kind: 'blocked', reason: `${p.dest} exists as a ${s.type}, expected a file` };
  if (s.type === 'absent' || s.type === 'dangling') {
    if (s.parentExists === false) return { kind: 'blocked', reason: `directory of ${p.dest} does not exist` };
    const mode = desiredMode(a, s, false) ?? '0644';
    const data: ContentPlanData = { write: true, mode };
    return {
      kind: 'change',
      summary: `create ${p.dest}${describeAttrs(mode, a)}`,
      diff: p.secret ? undefined : unifiedDiff(p.dest, undefined, want),
      data,
    };
  }
  const mode = desiredMode(a, s, false);
  const attrs = attrChanges(a, s, false);
  const contentDiffers = s.sha256 !== desiredSha256(p, module);
  if (!contentDiffers && !attrs.length) return { kind: 'ok' };
  const parts = contentDiffers ? ['content', ...attrs] : attrs;
  const diff =
    contentDiffers && !p.secret
      ? s.content !== undefined
        ? unifiedDiff(p.dest, s.content, want)
        : `${p.dest}: content differs (${s.size} bytes, too large to show)\n`
      : undefined;
  const data: ContentPlanData = { write: contentDiffers, mode };
  return { kind: 'change', summary: `update ${p.dest}: ${parts.join(', ')}`, diff, data };
}

export function applyContent(p: ContentParams, { data }: Change<ContentPlanData>, module: string): string {
  const a = attrsOf(p);
  if (!data.write) return setAttrsSh(p.dest, { owner: a.owner, group: a.group, mode: data.mode });
  return writeFileSh({
    path: p.dest,
    data: desiredBytes(p, module),
    owner: a.owner,
    group: a.group,
    mode: data.mode,
    validate: p.validate,
    backup: p.backup,
  });
}
