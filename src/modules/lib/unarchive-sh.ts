// The sh of unarchive: the archive on the host (written from the controller's bytes, or the
// host's own file), its format (zip by its magic number, else tar, which reads gzip, bzip2 and
// xz itself), its member list, and a copy extracted beside it to compare with dest entry by
// entry the way GNU tar's --diff does (Ansible's test for tar; its zip test compares the same
// things).
import { b64Heredoc, q, qa } from './sh.js';

export interface UnarchiveShParams {
  src: string;
  remote_src: boolean;
  dest: string;
  extra_opts: string[];
  exclude: string[];
  include: string[];
  owner?: string | number;
  group?: string | number;
  /** chmod's argument: "0644" or symbolic. */
  mode?: string;
  /** The controller file's bytes (remote_src false). */
  bytes?: Buffer;
}

/** The archive's members as "MODE<TAB>NAME<TAB>LINK TARGET" lines in "$w/members", read
 * from the tool's own listing with the same options as the extraction: tar's verbose listing
 * with every name in C quotes (a newline or tab in a name stays an escape, so one member is
 * one line), parsed from the end of the line (the owner names before it are the archive's);
 * zipinfo's, whose names show control characters as ^X, and unzip -p for a link's target. */
function members(p: UnarchiveShParams, fail: string): string {
  const zipSpecs = `${qa(p.include)}${p.exclude.length ? ` -x ${qa(p.exclude)}` : ''}`;
  const tarExcl = p.exclude.map((e) => ` ${q(`--exclude=${e}`)}`).join('');
  const tarOpts = p.extra_opts.length ? ` ${qa(p.extra_opts)}` : '';
  return (
    `if [ $fmt = zip ]; then\n` +
    `  zipinfo -s "$a" ${zipSpecs} 2> "$w/err" | awk '$2 ~ /^[0-9]+\\.[0-9]+$/ { print $1 }' > "$w/zmodes" || ${fail}\n` +
    `  zipinfo -1 "$a" ${zipSpecs} > "$w/znames" 2> "$w/err" || ${fail}\n` +
    `  [ "$(wc -l < "$w/zmodes")" = "$(wc -l < "$w/znames")" ] || { echo "the archive's listing could not be read" > "$w/err"; ${fail}; }\n` +
    `  paste "$w/zmodes" "$w/znames" | while IFS="$(printf '\\t')" read -r m n; do\n` +
    `    case $m in l*) printf '%s\\t%s\\t%s\\n' "$m" "$n" "$(unzip -p -- "$a" "$(printf '%s' "$n" | sed 's/[][*?]/[&]/g')" | head -c 4096 | tr '\\n\\t' '??')";;\n` +
    `    *) printf '%s\\t%s\\t\\n' "$m" "$n";; esac\n` +
    `  done > "$w/members"\n` +
    `else\n` +
    // The names as stored, and (with extra_opts such as --strip-components) as written.
    `  { LC_ALL=C tar -tv --quoting-style=c${tarOpts}${tarExcl} -f "$a" -- ${qa(p.include)} 2> "$w/err"\n` +
    (tarOpts ? `    LC_ALL=C tar -tv --quoting-style=c --show-transformed-names${tarOpts}${tarExcl} -f "$a" -- ${qa(p.include)} 2> "$w/err"\n` : '') +
    `  } | awk '${TAR_MEMBERS}' > "$w/members" || ${fail}\n` +
    `fi\n`
  );
}

/** tar -tv --quoting-style=c lines as MODE<TAB>NAME<TAB>TARGET (names kept escaped). */
const TAR_MEMBERS = `
function openq(s, e,   k, n) {
  for (k = e - 1; k > 0; k--) if (substr(s, k, 1) == "\\"") { n = 0; while (k - 1 - n > 0 && substr(s, k - 1 - n, 1) == "\\\\") n++; if (n % 2 == 0) return k }
  return 0
}
{
  t = substr($0, 1, 1); e = length($0); target = ""
  # A directory is printed as "dir"/ (the slash outside the quotes).
  if (t == "d" && substr($0, e - 1, 2) == "\\"/") e--
  if (substr($0, e, 1) != "\\"" || !(i = openq($0, e))) { print "?\\t" $0 "\\t"; next }
  last = substr($0, i + 1, e - i - 1); name = last
  if (t == "l" || t == "h") {
    sep = t == "l" ? " -> " : " link to "; j = i - length(sep)
    if (substr($0, j, length(sep)) != sep || !(k = openq($0, j - 1))) { print "?\\t" $0 "\\t"; next }
    name = substr($0, k + 1, j - 1 - k - 1); target = last
  }
  print substr($0, 1, 10) "\\t" name "\\t" target
}`;

/** Reads "$w/members"; prints the first member that could reach outside dest, and why. */
const UNSAFE = `
function norm(p,   n, a, i, out) {
  n = split(p, a, "/"); out = ""
  for (i = 1; i <= n; i++) if (a[i] != "" && a[i] != ".") out = out == "" ? a[i] : out "/" a[i]
  return out
}
function dots(p) { return ("/" p "/") ~ /\\/\\.\\.\\// }
function fail(why) { printf "member \\"%s\\": %s\\n", N[i], why; bad = 1; exit }
function through(p, why,   a, k, j, s) {
  k = split(norm(p), a, "/"); s = ""
  for (j = 1; j < k; j++) { s = s == "" ? a[j] : s "/" a[j]; if (s in L) fail(why " the archive\\047s symlink \\"" s "\\"") }
}
BEGIN { FS = "\\t" }
{ n++; M[n] = $1; N[n] = $2; T[n] = $3; if ($1 ~ /^l/) L[norm($2)] = 1 }
END {
  if (bad) exit
  for (i = 1; i <= n; i++) {
    t = substr(M[i], 1, 1); name = N[i]; tg = T[i]
    if (t == "?") fail("the listing line could not be read")
    if (fmt == "tar") { s = name; gsub(/\\\\\\\\/, "", s); if (s ~ /\\\\([ntrabfv]|0[0-3][0-7]|177)/) fail("a control character (newline, tab...) in its name") }
    if (substr(name, 1, 1) == "/") fail("an absolute name")
    if (dots(name)) fail("a .. component in its name")
    if (t == "b" || t == "c") fail("a device node")
    if (t != "-" && t != "d" && t != "l" && t != "h" && t != "p") fail("an entry of type " t)
    if (substr(M[i], 4, 1) ~ /[sS]/ || substr(M[i], 7, 1) ~ /[sS]/) fail("setuid or setgid")
    through(name, "written through")
    if (t == "h") {
      if (substr(tg, 1, 1) == "/" || dots(tg)) fail("a hard link to \\"" tg "\\", outside dest")
      through(tg, "a hard link through")
    }
    if (t == "l") {
      if (substr(tg, 1, 1) == "/") fail("a symlink to \\"" tg "\\", outside dest")
      k = split(norm(name), a, "/"); s = ""
      for (j = 1; j < k; j++) s = s == "" ? a[j] : s "/" a[j]
      m = split(tg, b, "/")
      for (j = 1; j <= m; j++) {
        c = b[j]
        if (c == "" || c == ".") continue
        if (c == "..") { if (s == "") fail("a symlink to \\"" tg "\\", outside dest"); if (!sub(/\\/[^\\/]*$/, "", s)) s = ""; continue }
        s = s == "" ? c : s "/" c
        if (j < m && (s in L)) fail("a symlink to \\"" tg "\\" through the archive\\047s symlink \\"" s "\\"")
      }
    }
  }
}`;

/** Refuse, before anything is extracted, an archive with a member that could reach outside dest. */
function refuseUnsafe(p: UnarchiveShParams, apply: boolean): string {
  const fail = apply ? `{ cat "$w/err" >&2; exit 1; }` : `{ printf 'list_err_b64='; base64 -w0 < "$w/err"; echo; exit 0; }`;
  const unsafe = apply
    ? `{ printf 'refused: ' >&2; cat "$w/unsafe" >&2; exit 1; }`
    : `{ printf 'unsafe_b64='; base64 -w0 < "$w/unsafe"; echo; exit 0; }`;
  return members(p, fail) + `awk -v fmt=$fmt '${UNSAFE}' "$w/members" > "$w/unsafe"\n[ ! -s "$w/unsafe" ] || ${unsafe}\n`;
}

/** How many differing files' old and new text the probe prints (for --diff), and up to what size. */
export const SHOWN_DIFFS = 5;
export const SHOWN_BYTES = 32 * 1024;

/** The archive at "$a" in the work directory "$w" (removed on exit), or src_missing=1. */
function archive(p: UnarchiveShParams, apply: boolean): string {
  let s = `w=$(mktemp -d) || exit 1\ntrap 'rm -rf "$w"' EXIT\ntrap 'rm -rf "$w"; exit 129' HUP INT TERM PIPE\n`;
  if (p.remote_src)
    s += `a=${q(p.src)}\nif [ ! -f "$a" ]; then ${apply ? `echo "Source '$a' does not exist" >&2; exit 1` : 'echo src_missing=1; exit 0'}; fi\n`;
  else s += `a="$w/archive"\n` + b64Heredoc('base64 -d > "$a"', p.bytes ?? Buffer.alloc(0));
  return s;
}

/** $fmt (zip or tar), or a handler error printed; then the member list in "$w/list". */
function listing(p: UnarchiveShParams, apply: boolean): string {
  const listErr = apply ? `{ cat "$w/err" >&2; exit 1; }` : `{ printf 'list_err_b64='; base64 -w0 < "$w/err"; echo; exit 0; }`;
  const missing = apply ? `echo "Unable to find required '$m' binary in the path." >&2; exit 1` : `echo "missing=$m"; exit 0`;
  const zipSpecs = `${qa(p.include)}${p.exclude.length ? ` -x ${qa(p.exclude)}` : ''}`;
  const tarExcl = p.exclude.map((e) => ` ${q(`--exclude=${e}`)}`).join('');
  const tarOpts = p.extra_opts.length ? ` --show-transformed-names ${qa(p.extra_opts)}` : '';
  return (
    `case $(od -An -tx1 -N4 -- "$a" | tr -d ' \\n') in 504b0304|504b0506|504b0708) fmt=zip;; *) fmt=tar;; esac\n` +
    `echo handler=$fmt\n` +
    `if [ $fmt = zip ]; then\n` +
    `  m=; command -v unzip >/dev/null 2>&1 || m=unzip; command -v zipinfo >/dev/null 2>&1 || m="\${m:+$m }zipinfo"\n` +
    `  if [ -n "$m" ]; then ${missing}; fi\n` +
    `  zipinfo -1 "$a" ${zipSpecs} > "$w/list" 2> "$w/err" || ${listErr}\n` +
    `else\n` +
    `  LC_ALL=C tar -t --quoting-style=literal${tarOpts}${tarExcl} -f "$a" -- ${qa(p.include)} > "$w/list" 2> "$w/err" || ${listErr}\n` +
    `fi\n` +
    // Ansible's names: a leading / dropped, empty names (--strip-components) skipped.
    `sed -i 's|^/*||; /^$/d' "$w/list"\n`
  );
}

/** Extract into the directory in $1 (dest, or the comparison copy). */
function extract(p: UnarchiveShParams): string {
  const zipSpecs = `${qa(p.include)}${p.exclude.length ? ` -x ${qa(p.exclude)}` : ''}`;
  const tarExcl = p.exclude.map((e) => ` ${q(`--exclude=${e}`)}`).join('');
  return (
    `xt() {\n` +
    `  if [ $fmt = zip ]; then unzip -q -o ${qa(p.extra_opts)} "$a" ${zipSpecs} -d "$1"\n` +
    `  else LC_ALL=C tar -x -C "$1"${p.extra_opts.length ? ` ${qa(p.extra_opts)}` : ''}${tarExcl} -f "$a" -- ${qa(p.include)}; fi\n` +
    `}\n`
  );
}

/** Entries whose attributes are set: the members and their top folders (Ansible sets both). */
function attrs(p: UnarchiveShParams): string {
  if (p.owner === undefined && p.group === undefined && p.mode === undefined) return `at() { :; }\n`;
  const own = p.owner !== undefined ? `${p.owner}${p.group !== undefined ? `:${p.group}` : ''}` : undefined;
  let body = '';
  if (own !== undefined) body += `    chown -h -- ${q(own)} "$1/$n" || return 1\n`;
  else if (p.group !== undefined) body += `    chgrp -h -- ${q(String(p.group))} "$1/$n" || return 1\n`;
  if (p.mode !== undefined) body += `    [ -L "$1/$n" ] || chmod ${q(p.mode)} "$1/$n" || return 1\n`;
  return (
    // "app/" and its top folder "app" are one entry.
    `awk '{ n=$0; sub(/\\/+$/, "", n); if (!s[n]++) print n; i=index(n,"/"); if (i>1) { t=substr(n,1,i-1); if (!s[t]++) print t } }' "$w/list" > "$w/ents"\n` +
    `at() {\n  while IFS= read -r f; do\n    n=\${f%/}; [ -n "$n" ] || n=.\n    [ -e "$1/$n" ] || [ -L "$1/$n" ] || continue\n${body}  done < "$w/ents"\n}\n`
  );
}

/** Compare the copy in $w/x with dest, member by member: e=KINDS<TAB>NAME per difference;
 * c=NAME_B64:OLD_B64:NEW_B64 for a few small files whose content differs (OLD "-": missing). */
const COMPARE = `root=0; [ "$(id -u)" = 0 ] && root=1
shown=0
show() {
  [ $shown -lt ${SHOWN_DIFFS} ] && [ $(stat -c %s -- "$1") -le ${SHOWN_BYTES} ] || return 0
  if [ "$2" != - ]; then [ $(stat -c %s -- "$2") -le ${SHOWN_BYTES} ] || return 0; fi
  shown=$((shown + 1))
  printf 'c=%s:%s:%s\\n' "$(printf '%s' "$3" | base64 -w0)" "$(if [ "$2" = - ]; then printf -; else base64 -w0 < "$2"; fi)" "$(base64 -w0 < "$1")"
}
ce() {
  t="$w/x/$1"; d="$dest/$1"
  [ -e "$t" ] || [ -L "$t" ] || return 0
  if [ ! -e "$d" ] && [ ! -L "$d" ]; then printf 'e=missing\\t%s\\n' "$1"; [ -f "$t" ] && [ ! -L "$t" ] && show "$t" - "$1"; return 0; fi
  if [ -L "$t" ]; then
    if [ ! -L "$d" ] || [ "$(readlink -- "$t")" != "$(readlink -- "$d")" ]; then printf 'e=symlink\\t%s\\n' "$1"; fi
    return 0
  fi
  if [ -d "$t" ]; then { [ -d "$d" ] && [ ! -L "$d" ]; } || { printf 'e=type\\t%s\\n' "$1"; return 0; }
  else { [ -f "$d" ] && [ ! -L "$d" ]; } || { printf 'e=type\\t%s\\n' "$1"; return 0; }; fi
  set -- "$1" $(stat -c '%a %u %g %Y %s' -- "$t") $(stat -c '%a %u %g %Y %s' -- "$d")
  k=
  [ "$2" = "$7" ] || k="$k,mode"
  if [ $root = 1 ] || [ -n "$own" ]; then [ "$3" = "$8" ] || k="$k,owner"; [ "$4" = "$9" ] || k="$k,group"; fi
  if [ -f "$t" ]; then
    [ "$5" = "\${10}" ] || k="$k,mtime"
    if [ "$6" != "\${11}" ] || ! cmp -s -- "$t" "$d"; then k="$k,content"; show "$t" "$d" "$1"; fi
  fi
  [ -z "$k" ] || printf 'e=%s\\t%s\\n' "\${k#,}" "$1"
}
`;

export function unarchiveProbeSh(p: UnarchiveShParams, creates: string | undefined, listFiles = false): string {
  let s = '';
  if (creates !== undefined) s += `if [ -e ${q(creates)} ] || [ -L ${q(creates)} ]; then echo creates=1; exit 0; fi\n`;
  s += `dest=${q(p.dest)}\nif [ ! -d "$dest" ]; then echo dest=0; exit 0; fi\n`;
  s += archive(p, false) + listing(p, false) + refuseUnsafe(p, false) + extract(p) + attrs(p);
  s += `own=${p.owner !== undefined || p.group !== undefined ? '1' : ''}\n`;
  s += `mkdir "$w/x" && xt "$w/x" > "$w/err" 2>&1 || { printf 'x_err_b64='; base64 -w0 < "$w/err"; echo; exit 0; }\n`;
  s += `at "$w/x" 2> "$w/err" || { printf 'attr_err_b64='; base64 -w0 < "$w/err"; echo; exit 0; }\n`;
  s += COMPARE;
  // With owner/group/mode the top folders are compared too (their attributes are set).
  const ents = p.owner !== undefined || p.group !== undefined || p.mode !== undefined ? '$w/ents' : '$w/list';
  s += `n=0\nwhile IFS= read -r f; do n=$((n + 1)); f=\${f%/}; ce "\${f:-.}"; done < "${ents}"\necho members=$n\n`;
  if (listFiles) s += `while IFS= read -r f; do printf 'f=%s\\n' "$f"; done < "$w/list"\n`;
  return `(\n${s})\n`;
}

/** Extract (unless only attributes differ), set the attributes, print the members (f=NAME). */
export function unarchiveApplySh(p: UnarchiveShParams, extractToo: boolean): string {
  let s = `dest=${q(p.dest)}\n` + archive(p, true) + listing(p, true) + refuseUnsafe(p, true);
  s += extract(p) + attrs(p);
  if (extractToo) s += `xt "$dest" || exit 1\n`;
  s += `at "$dest" || exit 1\n`;
  s += `while IFS= read -r f; do printf 'f=%s\\n' "$f"; done < "$w/list"\n`;
  return `(\n${s})\n`;
}
