// Probing one path (type, mode, ownership, optionally content) and comparing its
// attributes with the desired owner/group/mode. Shared by every file-like module.
import { q, dirnameOf } from './sh.js';
import { ProbeData } from './kv.js';
import { normaliseMode, statMode, type ModeInput } from './mode.js';

/** Only print file content for diffs up to this size: big files get "content differs". */
export const MAX_DIFF_BYTES = 256 * 1024;

export interface PathProbeOptions {
  /** Follow a symlink at path (content modules do, like Ansible's copy). */
  follow?: boolean;
  /** sha256 of the desired content: content is printed only when it differs (and is small). */
  desiredSha256?: string;
  /** Always print the content (line/block edit the current text). */
  alwaysContent?: boolean;
  owner?: string;
  group?: string;
  /** Report whether the parent directory exists (a missing one is "blocked"). */
  parent?: boolean;
  /** Key prefix, when one probe looks at several paths. */
  prefix?: string;
  /** The path as an sh expression computed on the host ("$home/.ssh"), instead of `path`. */
  expr?: string;
}

/** sh that prints type=, mode=, uid=, gid=, owner=, group=, size= (and sha256=, content_b64=). */
export function probePath(path: string, o: PathProbeOptions = {}): string {
  const k = o.prefix ?? '';
  const p = o.expr ?? q(path);
  const lines: string[] = [];
  const L = o.follow ? '-L' : '';
  // Type tests are builtins; readlink/stat/sha256sum are the only processes spawned.
  lines.push(
    o.follow
      ? `if [ -d ${p} ]; then echo ${k}type=directory; elif [ -f ${p} ]; then echo ${k}type=file; elif [ -L ${p} ]; then echo ${k}type=dangling; elif [ -e ${p} ]; then echo ${k}type=other; else echo ${k}type=absent; fi`
      : `if [ -L ${p} ]; then echo ${k}type=link; printf '${k}target_b64=%s\\n' "$(printf '%s' "$(readlink -- ${p})" | base64 -w0)"; elif [ -d ${p} ]; then echo ${k}type=directory; elif [ -f ${p} ]; then echo ${k}type=file; elif [ -e ${p} ]; then echo ${k}type=other; else echo ${k}type=absent; fi`,
  );
  lines.push(
    `if [ -e ${p} ] || [ -L ${p} ]; then stat ${L} --printf='${k}mode=%a\\n${k}uid=%u\\n${k}gid=%g\\n${k}owner=%U\\n${k}group=%G\\n${k}size=%s\\n' -- ${p} || exit 1; fi`,
  );
  if (o.alwaysContent) {
    lines.push(`if [ -f ${p} ]; then printf '${k}content_b64='; base64 -w0 < ${p} || exit 1; echo; fi`);
  } else if (o.desiredSha256) {
    lines.push(
      `if [ -f ${p} ]; then s=$(sha256sum < ${p}) || exit 1; s=\${s%% *}; echo "${k}sha256=$s"; ` +
        `if [ "$s" != ${o.desiredSha256} ] && [ "$(stat -L -c %s -- ${p})" -le ${MAX_DIFF_BYTES} ]; then printf '${k}content_b64='; base64 -w0 < ${p}; echo; fi; fi`,
    );
  }
  if (o.parent) lines.push(`if [ -d ${q(dirnameOf(path))} ]; then echo ${k}parent=1; else echo ${k}parent=0; fi`);
  lines.push(...probeAccounts(o.owner, o.group, k));
  return lines.join('\n') + '\n';
}

/** sh printing owner_ok=/group_ok= for named (non-numeric) owner and group. */
export function probeAccounts(owner: string | undefined, group: string | undefined, k = ''): string[] {
  const out: string[] = [];
  if (owner !== undefined && !/^\d+$/.test(owner))
    out.push(`if getent passwd ${q(owner)} >/dev/null; then echo ${k}owner_ok=1; else echo ${k}owner_ok=0; fi`);
  if (group !== undefined && !/^\d+$/.test(group))
    out.push(`if getent group ${q(group)} >/dev/null; then echo ${k}group_ok=1; else echo ${k}group_ok=0; fi`);
  return out;
}

export interface PathState {
  type: 'absent' | 'file' | 'directory' | 'link' | 'other' | 'dangling';
  mode?: string; // "0644"
  uid?: string;
  gid?: string;
  owner?: string;
  group?: string;
  size?: number;
  linkTarget?: string;
  sha256?: string;
  content?: Buffer;
  parentExists?: boolean;
  ownerExists: boolean;
  groupExists: boolean;
}

export function parsePath(d: ProbeData, prefix = ''): PathState {
  const g = (key: string) => d.get(prefix + key);
  const type = d.need(prefix + 'type') as PathState['type'];
  const mode = g('mode');
  return {
    type,
    mode: mode === undefined ? undefined : statMode(mode),
    uid: g('uid'),
    gid: g('gid'),
    owner: g('owner'),
    group: g('group'),
    size: g('size') === undefined ? undefined : Number(g('size')),
    linkTarget: d.text(prefix + 'target_b64'),
    sha256: g('sha256'),
    content: d.bytes(prefix + 'content_b64'),
    parentExists: g('parent') === undefined ? undefined : g('parent') === '1',
    ownerExists: g('owner_ok') !== '0',
    groupExists: g('group_ok') !== '0',
  };
}

export interface Attrs {
  owner?: string;
  group?: string;
  mode?: ModeInput;
}

/** Owner/group as strings: YAML may hand us a number for a numeric id. */
export function attrsOf(p: { owner?: string | number; group?: string | number; mode?: ModeInput }): Attrs {
  return {
    owner: p.owner === undefined ? undefined : String(p.owner),
    group: p.group === undefined ? undefined : String(p.group),
    mode: p.mode,
  };
}

/** A reason the attributes cannot be set yet (owner/group absent), or undefined. */
export function attrsBlocked(a: Attrs, s: PathState): string | undefined {
  if (a.owner !== undefined && !s.ownerExists) return `user ${a.owner} does not exist`;
  if (a.group !== undefined && !s.groupExists) return `group ${a.group} does not exist`;
  return undefined;
}

function sameAccount(want: string, name: string | undefined, id: string | undefined): boolean {
  return /^\d+$/.test(want) ? want === id : want === name;
}

/** The desired mode resolved against the current one ("0644"), or undefined when unmanaged. */
export function desiredMode(a: Attrs, s: PathState, isDir: boolean): string | undefined {
  if (a.mode === undefined) return undefined;
  const current = s.mode === undefined ? (isDir ? 0o755 : 0o644) : parseInt(s.mode, 8);
  return normaliseMode(a.mode, current, isDir);
}

/** Human descriptions of attribute differences: ["mode 0600 -> 0644", "owner bob -> root"]. */
export function attrChanges(a: Attrs, s: PathState, isDir: boolean): string[] {
  const out: string[] = [];
  const mode = desiredMode(a, s, isDir);
  if (mode !== undefined && s.mode !== mode) out.push(`mode ${s.mode} -> ${mode}`);
  if (a.owner !== undefined && !sameAccount(a.owner, s.owner, s.uid)) out.push(`owner ${s.owner} -> ${a.owner}`);
  if (a.group !== undefined && !sameAccount(a.group, s.group, s.gid)) out.push(`group ${s.group} -> ${a.group}`);
  return out;
}

/** "(0644 root:root)" style suffix for a create summary. */
export function describeAttrs(mode: string | undefined, a: Attrs): string {
  const parts: string[] = [];
  if (mode) parts.push(mode);
  if (a.owner !== undefined || a.group !== undefined) parts.push(`${a.owner ?? '-'}:${a.group ?? '-'}`);
  return parts.length ? ` (${parts.join(' ')})` : '';
}
