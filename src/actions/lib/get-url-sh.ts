// The sh of get_url: what the host has (the file at dest, its checksum and attributes, curl or
// wget), the download on the host into a temporary file beside dest (credentials and headers
// in a config file on stdin or mode 0600, never on a command line), and the install: replace
// dest only when the content differs, then owner/group/mode.
import { q } from '../../model/shell.js';

export const ALGOS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
export type Algo = (typeof ALGOS)[number];

export interface GetUrlSh {
  url: string;
  dest: string;
  /** The file name used when dest is a directory (the URL's last path segment). */
  urlName: string;
  algo?: Algo;
  owner?: string | number;
  group?: string | number;
  mode?: string;
  timeout: number;
  headers: Record<string, string>;
  username?: string;
  password?: string;
  validateCerts: boolean;
}

/** Headers that carry credentials (curl sends them to the first origin only; wget does not). */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie)$/i;

/** The URL without its user:password, and those decoded (wget's command line is seen by every
 * user of the host: the credentials go in its config file instead). */
function withoutUserinfo(url: string): { url: string; username?: string; password?: string } {
  const u = new URL(url);
  if (!u.username && !u.password) return { url };
  const username = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  return { url: u.toString(), username, password };
}

/** $t: the file get_url writes (dest, or dest/NAME when dest is a directory). */
const target = (p: GetUrlSh) => `t=${q(p.dest)}; if [ -d "$t" ]; then t="$t/"${q(p.urlName)}; fi\n`;

const hasAttrs = (p: GetUrlSh) => p.owner !== undefined || p.group !== undefined || p.mode !== undefined;

/** The ids and mode the file should have (the mode computed by the host's chmod on a scratch
 * copy, so symbolic modes mean what they mean to chmod). */
function wantedAttrs(p: GetUrlSh): string {
  let s = `echo "attr_now=$(stat -c '%a %u %g' -- "$t")"\n`;
  if (p.mode !== undefined)
    s += `m=$(mktemp) && chmod --reference="$t" "$m" && chmod ${q(p.mode)} "$m" && echo "mode_want=$(stat -c %a "$m")"; rm -f "$m"\n`;
  if (p.owner !== undefined)
    s += `case ${q(String(p.owner))} in *[!0-9]*) echo "uid_want=$(id -u -- ${q(String(p.owner))} 2>/dev/null || echo '?')";; *) echo uid_want=${q(String(p.owner))};; esac\n`;
  if (p.group !== undefined)
    s += `case ${q(String(p.group))} in *[!0-9]*) g=$(getent group ${q(String(p.group))} | cut -d: -f3); echo "gid_want=\${g:-?}";; *) echo gid_want=${q(String(p.group))};; esac\n`;
  return s;
}

export function getUrlProbe(p: GetUrlSh): string {
  let s = target(p) + `[ -d ${q(p.dest)} ] && echo dir=1 || echo dir=0\n`;
  s += `if [ -f "$t" ]; then echo exists=file\n`;
  if (p.algo) s += `  echo "sum=$(${p.algo}sum < "$t" | cut -d' ' -f1)"\n`;
  if (hasAttrs(p)) s += wantedAttrs(p).replace(/^/gm, '  ');
  s += `elif [ -e "$t" ] || [ -L "$t" ]; then echo exists=other\nelse echo exists=0\nfi\n`;
  s += `if command -v curl >/dev/null 2>&1; then echo curl=1; fi\nif command -v wget >/dev/null 2>&1; then echo wget=1; fi\n`;
  return `(\n${s})\n`;
}

/** A double-quoted value of curl's config file. */
const curlStr = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

function curlConfig(p: GetUrlSh): string {
  const lines = [
    `url = ${curlStr(p.url)}`,
    'silent',
    'show-error',
    'location',
    'max-redirs = 10',
    'fail',
    `connect-timeout = ${p.timeout}`,
    `speed-time = ${p.timeout}`,
    'speed-limit = 1',
  ];
  lines.push(`user-agent = "ansible-httpget"`);
  for (const [k, v] of Object.entries(p.headers)) lines.push(`header = ${curlStr(`${k}: ${v}`)}`);
  if (p.username !== undefined) lines.push(`user = ${curlStr(`${p.username}:${p.password ?? ''}`)}`);
  if (!p.validateCerts) lines.push('insecure');
  lines.push(`write-out = "status=%{http_code}\\n"`);
  return lines.join('\n');
}

/** wget sends the credentials to wherever a redirect points (CVE-2021-31879): with any, it follows none. */
const wgetHasCredentials = (p: GetUrlSh): boolean =>
  p.username !== undefined || withoutUserinfo(p.url).username !== undefined || Object.keys(p.headers).some((k) => CREDENTIAL_HEADER.test(k));

function wgetConfig(p: GetUrlSh): string {
  const fromUrl = withoutUserinfo(p.url);
  const username = p.username ?? fromUrl.username;
  const password = p.username !== undefined ? p.password : fromUrl.password;
  const lines = [`timeout = ${p.timeout}`, 'tries = 1', `max_redirect = ${wgetHasCredentials(p) ? 0 : 10}`, 'user_agent = ansible-httpget'];
  for (const [k, v] of Object.entries(p.headers)) lines.push(`header = ${k}: ${v}`);
  if (username !== undefined) lines.push(`user = ${username}`, `password = ${password ?? ''}`);
  if (!p.validateCerts) lines.push('check_certificate = off');
  return lines.join('\n');
}

const WGET_NO_REDIRECT =
  'the server answered with an error or a redirect; with credentials fleet lets wget follow no redirect (it would send them to the other server, CVE-2021-31879): install curl on the host, or give the final URL';

/** The work directory $w (removed on exit) and $tmp beside the target. */
const scratch = `w=$(mktemp -d) || exit 1
tmp=$(mktemp "\${t%/*}/.fleet-get_url.XXXXXXXX") || { echo "fetch=nodest"; exit 0; }
trap 'rm -rf "$w" "$tmp"' EXIT
trap 'rm -rf "$w" "$tmp"; exit 129' HUP INT TERM PIPE
`;

/** Download on the host into $tmp: fetch=ok, or unreachable (the controller may try), notool, failed. */
function download(p: GetUrlSh): string {
  return (
    `if command -v curl >/dev/null 2>&1; then\n` +
    `  curl -K - -o "$tmp" > "$w/out" 2> "$w/err" <<'FLEET_CURL_CONFIG'\n${curlConfig(p)}\nFLEET_CURL_CONFIG\n` +
    `  rc=$?; case $rc in 0) echo fetch=ok;; 5|6|7|28) echo fetch=unreachable;; *) echo fetch=failed;; esac\n` +
    `  sed -n 's/^status=/status=/p' "$w/out"\n` +
    `elif command -v wget >/dev/null 2>&1; then\n` +
    `  umask 077; cat > "$w/wgetrc" <<'FLEET_WGET_CONFIG'\n${wgetConfig(p)}\nFLEET_WGET_CONFIG\n  umask 022\n` +
    `  wget -q --config="$w/wgetrc" -O "$tmp" -- ${q(withoutUserinfo(p.url).url)} 2> "$w/err"\n` +
    `  rc=$?; case $rc in 0) echo fetch=ok;; 4) echo fetch=unreachable;; *) echo fetch=failed;; esac\n` +
    (wgetHasCredentials(p) ? `  if [ $rc = 8 ]; then echo ${q(WGET_NO_REDIRECT)} >> "$w/err"; fi\n` : '') +
    `else echo fetch=notool; exit 0; fi\n` +
    `echo rc=$rc; printf 'err_b64='; base64 -w0 < "$w/err"; echo\n` +
    `[ $rc = 0 ] || exit 0\n`
  );
}

/** $tmp holds the new content: verify the checksum, compare, and (not in check mode) install. */
function install(p: GetUrlSh, want: string | undefined, check: boolean): string {
  let s = `echo "size=$(stat -c %s "$tmp")"; echo "sha1=$(sha1sum < "$tmp" | cut -d' ' -f1)"\n`;
  if (p.algo && want)
    s += `got=$(${p.algo}sum < "$tmp" | cut -d' ' -f1); if [ "$got" != ${q(want)} ]; then echo "mismatch=$got"; exit 0; fi\n`;
  s += `if [ -f "$t" ]; then echo "sha1_dest=$(sha1sum < "$t" | cut -d' ' -f1)"; fi\n`;
  s += `if [ -f "$t" ] && cmp -s -- "$tmp" "$t"; then echo result=same; same=1; else echo result=changed; same=0; fi\n`;
  if (check) return s;
  s += `if [ $same = 0 ]; then\n  if [ -e "$t" ]; then chown --reference="$t" "$tmp"; chmod --reference="$t" "$tmp"; else chmod 0644 "$tmp"; fi\n  mv -f -- "$tmp" "$t" || exit 1\nfi\n`;
  s += setAttrs(p);
  return s;
}

/** owner/group/mode on $t; attrs=1 when that changed them. */
export function setAttrs(p: GetUrlSh): string {
  if (!hasAttrs(p)) return '';
  const own = p.owner !== undefined ? `${p.owner}${p.group !== undefined ? `:${p.group}` : ''}` : undefined;
  let s = `before=$(stat -c '%a %u %g' -- "$t")\n`;
  if (own !== undefined) s += `chown -- ${q(own)} "$t" || exit 1\n`;
  else if (p.group !== undefined) s += `chgrp -- ${q(String(p.group))} "$t" || exit 1\n`;
  if (p.mode !== undefined) s += `chmod ${q(p.mode)} "$t" || exit 1\n`;
  return s + `[ "$before" = "$(stat -c '%a %u %g' -- "$t")" ] && echo attrs=0 || echo attrs=1\n`;
}

/** Download on the host, then verify, compare and (apply) install. */
export function getUrlFetchSh(p: GetUrlSh, want: string | undefined, check: boolean): string {
  return `(\n${target(p)}${scratch}${download(p)}${install(p, want, check)})\n`;
}

/** The controller's download, already uploaded to `uploaded` on the host: verify, compare, install. */
export function getUrlInstallSh(p: GetUrlSh, uploaded: string, want: string | undefined, check: boolean): string {
  return `(\n${target(p)}tmp=${q(uploaded)}\ntrap 'rm -f "$tmp"' EXIT\n${install(p, want, check)})\n`;
}

/** Only owner/group/mode (dest is there with the right content). */
export function getUrlAttrsSh(p: GetUrlSh): string {
  return `(\n${target(p)}${setAttrs(p)})\n`;
}

/** A checksum file fetched on the host (checksum: sha256:URL): its text, base64. */
export function checksumFileSh(p: GetUrlSh, url: string): string {
  const sp: GetUrlSh = { ...p, url };
  return `(\nw=$(mktemp -d) || exit 1\ntmp="$w/sums"\ntrap 'rm -rf "$w"' EXIT\n${download(sp)}printf 'text_b64='; base64 -w0 < "$tmp"; echo\n)\n`;
}

/** dest's sha256 (the controller's download compared without uploading it: check mode). */
export function getUrlDigestSh(p: GetUrlSh): string {
  return `(\n${target(p)}if [ -f "$t" ]; then echo "sha256=$(sha256sum < "$t" | cut -d' ' -f1)"; fi\n)\n`;
}
