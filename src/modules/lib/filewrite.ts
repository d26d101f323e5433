// sh that writes a file atomically: temp file beside the destination, ownership and mode,
// the operator's validator, then rename. A failed validator leaves the old file untouched.
import { q, b64Heredoc, substituteValidate } from './sh.js';

/** Up to this size, text is written by the printf builtin; larger or binary data by `base64 -d`. */
export const LITERAL_WRITE_BYTES = 64 * 1024;

/** sh writing `data` to "$tmp": text (UTF-8 that round-trips exactly, no NUL) as one quoted
 * word to the printf builtin (a `base64` process less per file), anything else as base64.
 * Always quoted, so round-trip.ts's elidePayloads finds it (traces never show contents). */
export function contentSh(data: Buffer): string {
  if (data.length <= LITERAL_WRITE_BYTES && !data.includes(0)) {
    const text = data.toString('utf8');
    if (Buffer.from(text, 'utf8').equals(data)) return `printf '%s' '${text.replace(/'/g, `'\\''`)}' >"$tmp"\n`;
  }
  return b64Heredoc('base64 -d > "$tmp"', data);
}

export interface WriteSpec {
  path: string;
  data: Buffer;
  owner?: string;
  group?: string;
  /** Normalised mode ("0644"); undefined keeps the existing file's mode (0644 when new). */
  mode?: string;
  validate?: string;
  backup?: boolean;
  /** Mode for a file that does not exist yet and has no mode param. */
  defaultMode?: string;
}

/** chown/chmod for an existing path; noDeref for links (chown -h; chmod is skipped on links). */
export function setAttrsSh(path: string, a: AttrValues, opts: AttrOpts = {}): string {
  return setAttrsExpr(q(path), a, opts);
}

type AttrValues = { owner?: string; group?: string; mode?: string };
type AttrOpts = { recurse?: boolean; link?: boolean };

/** Same as setAttrsSh for a path given as an sh expression ("$tmp"). */
export function setAttrsExpr(p: string, a: AttrValues, opts: AttrOpts = {}): string {
  const lines: string[] = [];
  const R = opts.recurse ? '-R ' : '';
  const h = opts.link ? '-h ' : '';
  if (a.owner !== undefined && a.group !== undefined) lines.push(`chown ${R}${h}-- ${q(`${a.owner}:${a.group}`)} ${p}`);
  else if (a.owner !== undefined) lines.push(`chown ${R}${h}-- ${q(a.owner)} ${p}`);
  else if (a.group !== undefined) lines.push(`chgrp ${R}${h}-- ${q(a.group)} ${p}`);
  if (a.mode !== undefined && !opts.link) lines.push(`chmod ${a.mode} ${p}`);
  return lines.map((l) => l + '\n').join('');
}

export function writeFileSh(w: WriteSpec): string {
  const dest = q(w.path);
  let s = '';
  s += `dest=${dest}\n`;
  // A symlinked destination (/etc/resolv.conf -> ...) is written through, like the probe
  // reads through it: the link stays, its target gets the content.
  s += `if [ -L "$dest" ]; then dest=$(readlink -f -- "$dest"); fi\n`;
  s += `tmp=$(mktemp "\${dest%/*}/.fleet.XXXXXXXX")\n`;
  // Removes the temp file on any failure; after the rename there is nothing left to remove.
  // sh runs no EXIT trap when a signal kills it (the connection dropped: SIGHUP), so those
  // get their own: the new content (a secret, maybe) is never left behind in a stray file.
  s += `trap 'rm -f "$tmp"' EXIT\ntrap 'rm -f "$tmp"; exit 129' HUP INT TERM PIPE\n`;
  s += contentSh(w.data);
  // Without owner/group/mode params an existing file keeps its own; a new file gets root's
  // ownership from mktemp and the default mode (mktemp makes 0600). What the params set
  // right after is not copied first (a chown or chmod process less): the file gets the same
  // owner and mode, and is never wider than 0600 before it has them.
  const keepOwner = w.owner === undefined || w.group === undefined ? 'chown --reference="$dest" "$tmp"' : undefined;
  if (w.mode === undefined) s += `if [ -e "$dest" ]; then ${keepOwner ? `${keepOwner}; ` : ''}chmod --reference="$dest" "$tmp"; else chmod ${w.defaultMode ?? '0644'} "$tmp"; fi\n`;
  else if (keepOwner) s += `if [ -e "$dest" ]; then ${keepOwner}; fi\n`;
  s += setAttrsExpr('"$tmp"', { owner: w.owner, group: w.group, mode: w.mode });
  if (w.validate) {
    s += `if ! out=$(${substituteValidate(w.validate)} 2>&1); then printf '%s\\n' "$out" >&2; echo ${q(`validation failed: ${w.validate}`)} >&2; exit 1; fi\n`;
  }
  if (w.backup) {
    s += `if [ -f "$dest" ]; then b="$dest.$(date +%Y%m%d%H%M%S).bak"; cp -p -- "$dest" "$b"; echo "backup=$b"; fi\n`;
  }
  s += `mv -f -- "$tmp" "$dest"\n`;
  s += `trap - EXIT HUP INT TERM PIPE\n`;
  return s;
}
