// Probing one path (type, mode, ownership, optionally content) and comparing its
// attributes with the desired owner/group/mode. Shared by every file-like module.
import { q, dirnameOf } from './sh.js';
import { ProbeData } from './kv.js';
import { normaliseMode, statMode, type ModeInput } from './mode.js';
import type { ProbeBatch } from '../../model/module.js';

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
  return probePathWith(path, o);
}

const STAT_FORMAT = (k: string): string => `${k}mode=%a\\n${k}uid=%u\\n${k}gid=%g\\n${k}owner=%U\\n${k}group=%G\\n${k}size=%s\\n`;
/** Lines STAT_FORMAT prints for one path. */
const STAT_LINES = 6;

/** probePath's text. `swap`, when given, stands in for its own stat of the path and its own
 * sha256sum (the digest, in `$s`): a merged probe reads them back from one stat and one
 * sha256sum over every path instead (pathBatchScript). */
function probePathWith(path: string, o: PathProbeOptions, swap?: { stat: string; sha256: string; content?: string }, fail = 'exit 1'): string {
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
  lines.push(swap?.stat ?? `if [ -e ${p} ] || [ -L ${p} ]; then stat ${L} --printf='${STAT_FORMAT(k)}' -- ${p} || ${fail}; fi`);
  if (o.alwaysContent) {
    lines.push(swap?.content ?? `if [ -f ${p} ]; then printf '${k}content_b64='; base64 -w0 < ${p} || ${fail}; echo; fi`);
  } else if (o.desiredSha256) {
    lines.push(
      `if ${swap?.sha256 ?? `[ -f ${p} ]; then s=$(sha256sum < ${p}) || ${fail}`}; s=\${s%% *}; echo "${k}sha256=$s"; ` +
        `if [ "$s" != ${o.desiredSha256} ] && [ "$(stat -L -c %s -- ${p})" -le ${MAX_DIFF_BYTES} ]; then printf '${k}content_b64='; base64 -w0 < ${p}; echo; fi; fi`,
    );
  }
  if (o.parent) lines.push(`if [ -d ${q(dirnameOf(path))} ]; then echo ${k}parent=1; else echo ${k}parent=0; fi`);
  lines.push(...probeAccounts(o.owner, o.group, k));
  return lines.join('\n') + '\n';
}

/** probePath's output (with `parent`) as it will read once the directories in `dirs` exist.
 * Only the parent line moves: with no parent the path was absent, and stays so. */
export function predictParent(path: string, out: string, dirs: ReadonlySet<string>): string | undefined {
  if (!dirs.has(dirnameOf(path))) return undefined;
  const lines = out.split('\n');
  const i = lines.indexOf('parent=0');
  if (i < 0) return undefined;
  lines[i] = 'parent=1';
  return lines.join('\n');
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

/** The mergeable form of a probePath without prefix or expression (the file-like modules). */
export type PathBatch = Extract<ProbeBatch, { kind: 'path' }>;

export function pathBatch(path: string, o: PathProbeOptions): PathBatch {
  if (o.prefix !== undefined || o.expr !== undefined) throw new Error('pathBatch: a prefixed or computed path is probed on its own');
  return { kind: 'path', path, follow: !!o.follow, alwaysContent: !!o.alwaysContent, desiredSha256: o.desiredSha256, owner: o.owner, group: o.group, parent: !!o.parent };
}

const optionsOf = (b: PathBatch): PathProbeOptions => ({ follow: b.follow, alwaysContent: b.alwaysContent, desiredSha256: b.desiredSha256, owner: b.owner, group: b.group, parent: b.parent });

/** Marks where one path's answer starts in a merged probe's output (no answer line starts so). */
export const MEMBER_MARK = '@@path ';

/** Every path's probe in one script, with one `stat` for the paths (and one `stat -L` for the
 * followed ones that are links), instead of one per path. Each path's existence is tested once,
 * before its stat, and decides which stat it is in and whether its record goes where its own
 * probe prints it, so the records cannot fall out of step; a stat that fails fails the whole
 * probe (the path changed under it), as a path's own probe fails. Each stat prints its records
 * straight to the output, first, after a STATS_MARK line; each path's answer holds a STAT_MARK
 * line where its own probe prints its record, and pathBatchSplit puts the records back in order
 * (reading them back in the shell, a byte per read(2), was most of a 1000-path probe's cost).
 * The text of every followed file whose whole content is asked (line, block) is read by one
 * `od`, printed next in hex; each such record holds a CONTENT_MARK line
 * where its own probe prints content_b64=, and pathBatchSplit cuts the file's bytes out of the
 * whole by the sizes their records give (a process per file was most of the probe's cost).
 * It runs as a function in the script's own shell (script.ts, Section.inline): it returns,
 * never exits, and sets only the variables pathBatchVars names. */
export function pathBatchScript(needs: PathBatch[]): string {
  const out: string[] = [];
  // fe_i: which stat prints path i's record, "P" or "L", or none (absent). A followed path that
  // is no link is the same file either way, so it goes with the paths not followed, and `stat -L`
  // runs only when a followed path is a link.
  out.push('set --');
  needs.forEach((n, i) => {
    const p = q(n.path);
    const exists = n.follow ? `if [ -L ${p} ]; then fe_${i}=L; elif [ -e ${p} ]` : `if [ -e ${p} ] || [ -L ${p} ]`;
    out.push(`${exists}; then set -- "$@" ${p}; fe_${i}=P; else fe_${i}=; fi`);
  });
  out.push(`printf '${STATS_MARK}P\\n'; [ $# -eq 0 ] || stat --printf='${STAT_FORMAT('')}' -- "$@" || return 1`);
  out.push('set --');
  needs.forEach((n, i) => {
    if (n.follow) out.push(`[ "$fe_${i}" != L ] || set -- "$@" ${q(n.path)}`);
  });
  out.push(`printf '${STATS_MARK}L\\n'; [ $# -eq 0 ] || stat -L --printf='${STAT_FORMAT('')}' -- "$@" || return 1`);
  // One sha256sum over the regular files whose digest is asked; it prints one line per file,
  // in order (a name with a newline or backslash is escaped, its line starts with "\\").
  out.push('set --');
  needs.forEach((n, i) => {
    if (!n.desiredSha256 || n.alwaysContent) return;
    const p = q(n.path);
    out.push(`if [ -f ${p} ]; then set -- "$@" ${p}; fh_${i}=1; else fh_${i}=; fi`);
  });
  // Its lines come back as the positional parameters (one each, names not globbed), so each
  // answer takes the next with builtins: read(2) byte by byte from a file was the probe's cost.
  out.push('h=; [ $# -eq 0 ] || h=$(sha256sum -- "$@") || return 1');
  const joined = needs.some(joinsContent);
  if (joined) {
    out.push('set --');
    needs.forEach((n, i) => {
      if (!joinsContent(n)) return;
      const p = q(n.path);
      out.push(`if [ -f ${p} ]; then set -- "$@" ${p}; fc_${i}=1; else fc_${i}=; fi`);
    });
    // One `od` prints them all in hex: one process, where a `cat` into a file and a `base64`
    // of it were two and needed the script's directory.
    out.push(`printf '${CONTENTS_MARK}\\n'; [ $# -eq 0 ] || od -An -v -tx1 -w${OD_WIDTH} -- "$@" || return 1`);
  }
  out.push(`set -f; IFS='\n'; set -- $h; unset IFS h; set +f`);
  needs.forEach((n, i) => {
    out.push(`printf '${MEMBER_MARK}${i}\\n'`);
    const swap = {
      stat: `if [ -n "$fe_${i}" ]; then echo "${STAT_MARK}$fe_${i}"; fi`,
      sha256: `[ "$fh_${i}" = 1 ]; then [ $# -gt 0 ] || return 1; s=\${1#\\\\}; shift`,
      content: joinsContent(n) ? `if [ "$fc_${i}" = 1 ]; then echo '${CONTENT_MARK}'; fi` : undefined,
    };
    out.push(probePathWith(n.path, optionsOf(n), swap, 'return 1').replace(/\n$/, ''));
  });
  return out.join('\n') + '\n';
}

/** What pathBatchScript sets, unset after it. */
export function pathBatchVars(needs: PathBatch[]): string[] {
  return ['s', 'h', ...needs.flatMap((_, i) => [`fe_${i}`, `fh_${i}`, `fc_${i}`])];
}

/** Before the answers, the records of each stat: "P" (not followed) and "L" (followed). */
const STATS_MARK = '@@stats ';
/** Where a path's stat record goes, with its stat's letter (no answer line starts so). */
const STAT_MARK = '@@stat ';

/** Whose content the merged probe reads in one `od`: followed paths (the size their record
 * gives, from `stat -L` for a link, is the size of what `od` reads). */
const joinsContent = (n: PathBatch): boolean => n.alwaysContent && n.follow;

/** Before the lines of a merged probe that joined contents: every such file's bytes, in `od`'s
 * hex (two digits a byte, spaces between, OD_WIDTH bytes a line). */
const CONTENTS_MARK = '@@contents';
const OD_WIDTH = 4096;
/** Where a record's content_b64= line goes (no answer line starts so). */
const CONTENT_MARK = '@@content';

/** The merged output with each STAT_MARK replaced by its stat record and each CONTENT_MARK by
 * that file's content_b64= line; undefined when they do not add up (a record too many or too
 * few, or a file changed between its stat and the `cat`): the probe fails. */
function withRecords(stdout: string): string | undefined {
  const lines = stdout.split('\n');
  const records: Record<string, string[]> = { P: [], L: [] };
  let into: string[] | undefined;
  let hex: string[] | undefined;
  let first = 0;
  for (; first < lines.length && !lines[first].startsWith(MEMBER_MARK); first++) {
    const l = lines[first];
    if (l.startsWith(STATS_MARK)) into = records[l.slice(STATS_MARK.length)];
    else if (l === CONTENTS_MARK) into = hex = [];
    else if (into) into.push(l);
    else if (l !== '') return undefined;
  }
  let all: Buffer | undefined;
  if (hex) {
    const digits = hex.join('').replace(/ /g, '');
    if (!/^(?:[0-9a-f]{2})*$/.test(digits)) return undefined;
    all = Buffer.from(digits, 'hex');
  }
  const taken: Record<string, number> = { P: 0, L: 0 };
  const body: string[] = [];
  let at = 0;
  let size: number | undefined;
  for (let i = first; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith(STAT_MARK)) {
      const k = l.slice(STAT_MARK.length);
      const from = taken[k];
      if (from === undefined || from + STAT_LINES > records[k].length) return undefined;
      const rec = records[k].slice(from, from + STAT_LINES);
      taken[k] = from + STAT_LINES;
      size = Number(rec[STAT_LINES - 1].slice('size='.length));
      body.push(...rec);
      continue;
    }
    if (l.startsWith(MEMBER_MARK)) size = undefined;
    else if (l === CONTENT_MARK) {
      if (!all || size === undefined || !Number.isSafeInteger(size) || at + size > all.length) return undefined;
      body.push(`content_b64=${all.subarray(at, at + size).toString('base64')}`);
      at += size;
      continue;
    }
    body.push(l);
  }
  if (taken.P !== records.P.length || taken.L !== records.L.length) return undefined;
  if (all && at !== all.length) return undefined;
  return body.join('\n');
}

let lastJoined: { stdout: string; joined: string | undefined } | undefined;

/** Path `index`'s answer in a merged probe's output; undefined when the merged probe's
 * contents do not add up (see withContents). */
export function pathBatchSplit(whole: string, index: number): string | undefined {
  // Every member is cut from the same output: its records and contents are put back once.
  if (lastJoined?.stdout !== whole) lastJoined = { stdout: whole, joined: withRecords(whole) };
  const stdout = lastJoined.joined;
  if (stdout === undefined) return undefined;
  const start = stdout.indexOf(`${MEMBER_MARK}${index}\n`);
  if (start < 0) return '';
  const from = start + MEMBER_MARK.length + String(index).length + 1;
  const next = stdout.indexOf(`\n${MEMBER_MARK}`, from - 1);
  return next < 0 ? stdout.slice(from) : stdout.slice(from, next + 1);
}
