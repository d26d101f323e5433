// get_url (Ansible's): a file downloaded to dest. Ansible's rule first, from the probe sent
// with the host's other probes (no round trip of its own): dest exists, force is off and the
// checksum (when given) matches -> no download, only owner/group/mode. Otherwise the host
// downloads with curl or wget into a temporary file beside dest, the checksum is verified and
// dest replaced only when the content differs. A host that cannot reach the URL (or has
// neither tool) gets the file from the controller instead: downloaded there, uploaded, and
// installed the same way. The host variable fleet_get_url_via says host (never the
// controller), controller (always), or auto (the default).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Type } from '@sinclair/typebox';
import type { Action, ActionContext, ActionPorts, ActionResult, FetchedUrl } from '../model/action.js';
import type { Vars } from '../model/inventory.js';
import { paramsObject, rawSchema, withDefault, type Params } from '../model/params.js';
import {
  ALGOS,
  checksumFileSh,
  getUrlAttrsSh,
  getUrlDigestSh,
  getUrlFetchSh,
  getUrlInstallSh,
  getUrlProbe,
  type Algo,
  type GetUrlSh,
} from './lib/get-url-sh.js';
import { afterPending, failed } from './lib/result.js';

const account = rawSchema<string | number>({ type: ['string', 'integer'], minLength: 1, pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*\\$?$' });
const noNewline = (o: object = {}) => Type.String({ pattern: '^[^\\n\\r]*$', ...o });

const schema = paramsObject({
  url: noNewline({ pattern: '^(https?|ftp)://[^\\s]+$', description: 'http, https or ftp URL' }),
  dest: Type.String({ minLength: 1, pattern: '^/', description: 'absolute path' }),
  checksum: Type.Optional(Type.String({ minLength: 1 })),
  force: withDefault(Type.Boolean(), false),
  timeout: withDefault(Type.Integer({ minimum: 1 }), 10),
  // HTTP header names (tokens); values on one line.
  headers: withDefault(
    rawSchema<Record<string, string>>({
      type: 'object',
      propertyNames: { pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" },
      additionalProperties: { type: 'string', pattern: '^[^\\n\\r]*$' },
    }),
    {},
  ),
  url_username: Type.Optional(noNewline()),
  url_password: Type.Optional(noNewline()),
  validate_certs: withDefault(Type.Boolean(), true),
  owner: Type.Optional(account),
  group: Type.Optional(account),
  mode: Type.Optional(rawSchema<string | number>({ type: ['string', 'integer'], minLength: 1 })),
});
type GetUrlParams = Params<typeof schema>;

interface Checksum {
  algo: Algo;
  /** The hex digest, or the URL of a checksum file. */
  value?: string;
  url?: string;
}

/** Ansible's parsing: ALGO:VALUE; a URL value names a checksum file; other characters than
 * letters and digits are dropped from a value, which must be hex. */
export function parseChecksum(s: string): Checksum {
  const i = s.indexOf(':');
  if (i < 0) throw new Error('The checksum parameter has to be in format <algorithm>:<checksum>');
  const algo = s.slice(0, i).toLowerCase();
  const rest = s.slice(i + 1);
  if (!(ALGOS as readonly string[]).includes(algo)) throw new Error(`Unsupported hash algorithm ${algo}: use one of ${ALGOS.join(', ')}`);
  if (/^(https?|ftp|file):\/\//.test(rest)) return { algo: algo as Algo, url: rest };
  const value = rest.replace(/\W+/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(value)) throw new Error('The checksum format is invalid');
  return { algo: algo as Algo, value };
}

/** The digest for `name` in a checksum file (sha256sum's format, or a lone digest). */
export function checksumFromFile(text: string, name: string): string | undefined {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (const l of lines) {
    const [sum, file] = l.split(/\s+/, 2);
    if (file !== undefined && file.replace(/^\*/, '').replace(/^\.\//, '') === name) return sum.toLowerCase();
  }
  if (lines.length === 1 && !/\s/.test(lines[0])) return lines[0].toLowerCase();
  return undefined;
}

/** The URL's file name (dest is a directory), as Ansible's url_filename; one that decodes to a
 * path (..%2f, a%2fb), to . or .., or holds a control character is refused: it would be
 * written outside dest. */
export function urlName(url: string): string {
  const path = new URL(url).pathname;
  const raw = path.slice(path.lastIndexOf('/') + 1);
  let base: string;
  try {
    base = decodeURIComponent(raw);
  } catch {
    throw new Error(`get_url: the URL's file name '${raw}' is not valid percent-encoding: give dest a file name`);
  }
  if (base.includes('/') || base.includes('\\') || base === '.' || base === '..' || [...base].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f))
    throw new Error(`get_url: the URL's file name ${JSON.stringify(base)} is not a plain file name (it would be written outside dest): give dest a file name`);
  return base || 'index.html';
}

/** Every credential the task holds, to be masked wherever it would show: url_password, the
 * URL's user:password, and the values of headers that carry credentials (and their token
 * after "Bearer "/"Basic "). */
export function credentialsOf(p: { url: string; url_password?: string; headers: Record<string, string> }): string[] {
  const out: string[] = [];
  if (p.url_password !== undefined) out.push(p.url_password);
  try {
    const u = new URL(p.url);
    for (const v of [u.password, u.username]) if (v) out.push(v, safeDecode(v));
  } catch {
    // Not a URL: the schema refuses it.
  }
  for (const [k, v] of Object.entries(p.headers))
    if (/^(authorization|proxy-authorization|cookie)$/i.test(k) || isSecretHeader(k)) {
      out.push(v);
      const token = /^\S+\s+(\S.*)$/.exec(v)?.[1];
      if (token) out.push(token);
    }
  return out.filter((v) => v !== '');
}

const safeDecode = (v: string): string => {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
};

/** X-Api-Key, X-Auth-Token, Private-Token...: a header named like a secret. */
const isSecretHeader = (name: string): boolean => /(token|secret|password|passwd|api[-_]?key|auth)/i.test(name);

function shParams(p: GetUrlParams, c: Checksum | undefined): GetUrlSh {
  let mode: string | undefined;
  if (typeof p.mode === 'number') mode = p.mode.toString(8).padStart(4, '0');
  else if (p.mode !== undefined) mode = p.mode.replace(/^0[oO]/, '0');
  return {
    url: p.url,
    dest: p.dest,
    urlName: urlName(p.url),
    algo: c?.algo,
    owner: p.owner,
    group: p.group,
    mode,
    timeout: p.timeout,
    headers: p.headers,
    username: p.url_username,
    password: p.url_password,
    validateCerts: p.validate_certs,
  };
}

function kv(stdout: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of stdout.split('\n')) {
    const i = l.indexOf('=');
    if (i > 0) m.set(l.slice(0, i), l.slice(i + 1));
  }
  return m;
}
const b64 = (v: string | undefined) => (v === undefined ? '' : Buffer.from(v, 'base64').toString('utf8').trim());

type Via = 'auto' | 'host' | 'controller';
function via(ctx: ActionContext): Via {
  const v = ctx.vars.fleet_get_url_via ?? 'auto';
  if (v !== 'auto' && v !== 'host' && v !== 'controller')
    throw new Error(`fleet_get_url_via must be auto, host or controller, got ${JSON.stringify(v)}`);
  return v;
}

async function digestOf(file: string, algo: Algo): Promise<string> {
  const h = createHash(algo);
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

/** What the install script said, as the task's result. */
function installed(p: GetUrlParams, target: string, out: Map<string, string>, check: boolean, extra: Vars, note: string): ActionResult {
  const mismatch = out.get('mismatch');
  if (mismatch !== undefined) return failed(`The checksum for ${target} did not match ${p.checksum}; it was ${mismatch}.`);
  const result = out.get('result');
  if (result === undefined) return failed(`get_url: installing ${target} failed`);
  const changed = result === 'changed' || out.get('attrs') === '1';
  const registered: Vars = {
    url: p.url,
    dest: target,
    checksum_src: out.get('sha1') ?? '',
    ...(out.has('sha1_dest') ? { checksum_dest: out.get('sha1_dest') } : {}),
    size: Number(out.get('size') ?? 0),
    ...extra,
  };
  const what =
    result === 'changed'
      ? `${check ? 'would download' : 'downloaded'} ${p.url} to ${target}`
      : `${target} already has the content of ${p.url}`;
  return {
    status: changed ? 'changed' : 'ok',
    msg: `${what}${note}`,
    registered: { ...registered, msg: result === 'changed' ? 'OK' : 'file already exists' },
  };
}

async function viaController(
  p: GetUrlParams,
  sh: GetUrlSh,
  target: string,
  want: string | undefined,
  c: Checksum | undefined,
  ctx: ActionContext,
  ports: ActionPorts,
  why: string,
): Promise<ActionResult> {
  if (c?.url)
    return failed(
      `get_url: checksum ${p.checksum}: a checksum file is read by the host, which ${why}: give the digest itself (${c.algo}:HEX)`,
    );
  let got: FetchedUrl;
  try {
    got = await ports.fetchUrl({
      url: p.url,
      headers: p.headers,
      username: p.url_username,
      password: p.url_password,
      validateCerts: p.validate_certs,
      timeoutMs: p.timeout * 1000,
    });
  } catch (e) {
    return failed(`${(e as Error).message} (fetching ${p.url} on the controller: the host ${why})`);
  }
  try {
    const note = ` (fetched on the controller: the host ${why})`;
    if (c && want && (await digestOf(got.file, c.algo)) !== want)
      return failed(`The checksum for ${target} did not match ${p.checksum}; it was ${await digestOf(got.file, c.algo)}.`);
    if (ctx.check) {
      // Compared by digest: nothing is uploaded to say whether it would change.
      const r = await ports.runOn(ctx.host, getUrlDigestSh(sh));
      const now = kv(r.stdout).get('sha256');
      const same = now === got.sha256;
      return {
        status: same ? 'ok' : 'changed',
        msg: `${same ? `${target} already has the content of` : 'would download'} ${p.url}${same ? '' : ` to ${target}`}${note}`,
        registered: {
          url: p.url,
          dest: target,
          checksum_src: got.sha1,
          size: got.size,
          status_code: got.status,
          msg: same ? 'file already exists' : 'OK',
        },
      };
    }
    // Not derived from the content (a public download's digest is known): a user of the host
    // who can write beside dest cannot plant a link at the name in advance.
    const tmp = `${target.slice(0, target.lastIndexOf('/')) || '/'}/.fleet-get_url.${randomBytes(8).toString('hex')}`;
    try {
      await ports.upload(got.file, tmp, { mode: '0600' });
    } catch (e) {
      return failed(`uploading the controller's download to ${tmp} failed (is ${tmp.slice(0, tmp.lastIndexOf('/')) || '/'} there?): ${(e as Error).message}`);
    }
    const r = await ports.runOn(ctx.host, getUrlInstallSh(sh, tmp, want, ctx.check));
    if (r.rc !== 0) return failed(`get_url: installing ${target} failed`, { rc: r.rc, stderr: r.stderr });
    return installed(p, target, kv(r.stdout), ctx.check, { status_code: got.status }, note);
  } finally {
    await got.remove();
  }
}

export const getUrl: Action<typeof schema> = {
  name: 'get_url',
  schema,
  secretParams: ['url_password'],
  registers: () => ({ url: '', dest: '', checksum_src: '', checksum_dest: '', size: 0, status_code: 200, msg: '' }),
  probe(p) {
    let c: Checksum | undefined;
    try {
      c = p.checksum === undefined ? undefined : parseChecksum(p.checksum);
    } catch {
      c = undefined;
    }
    try {
      return getUrlProbe(shParams(p, c));
    } catch {
      // A URL whose file name is refused: run() says so; the probe reads dest as a file.
      return getUrlProbe({ ...shParams({ ...p, url: 'http://-/' }, c), url: p.url });
    }
  },
  async run(p, ctx, ports): Promise<ActionResult> {
    for (const v of credentialsOf(p)) ports.secret(v);
    let c: Checksum | undefined;
    let how: Via;
    let sh: GetUrlSh;
    try {
      c = p.checksum === undefined ? undefined : parseChecksum(p.checksum);
      how = via(ctx);
      sh = shParams(p, c);
    } catch (e) {
      return failed((e as Error).message);
    }
    const probed = ctx.probed && ctx.probed.rc === 0 ? kv(ctx.probed.stdout) : undefined;
    if (!probed)
      return (
        afterPending(ctx, `will download ${p.url} to ${p.dest}`) ??
        failed(`get_url: reading ${p.dest} on the host failed`, { stderr: ctx.probed?.stderr })
      );
    const dir = probed.get('dir') === '1';
    const target = dir ? `${p.dest.replace(/\/+$/, '')}/${sh.urlName}` : p.dest;
    if (probed.get('exists') === 'other') return failed(`${target} exists and is not a regular file`);
    const exists = probed.get('exists') === 'file';

    // A checksum file: read on the host first (Ansible reads it before anything else).
    let want = c?.value;
    if (c?.url) {
      if (how === 'controller')
        return failed(
          `get_url: checksum ${p.checksum}: a checksum file is read by the host, and fleet_get_url_via is controller: give the digest itself (${c.algo}:HEX)`,
        );
      const r = await ports.runOn(ctx.host, checksumFileSh(sh, c.url));
      const o = kv(r.stdout);
      if (o.get('fetch') !== 'ok') {
        const why =
          o.get('fetch') === 'notool'
            ? 'has neither curl nor wget'
            : o.get('fetch') === 'unreachable'
              ? 'cannot reach it'
              : `could not fetch it: ${b64(o.get('err_b64'))}`;
        return failed(
          `get_url: checksum ${p.checksum}: the checksum file is read on the host, which ${why}: give the digest itself (${c.algo}:HEX)`,
        );
      }
      want = checksumFromFile(b64(o.get('text_b64')), sh.urlName);
      if (want === undefined) return failed(`Unable to find a checksum for file '${sh.urlName}' in '${c.url}'`);
    }

    // Ansible's rule: an existing dest (not a directory) without force is not downloaded again
    // unless its checksum differs; only its attributes are made so.
    const mismatch = exists && want !== undefined && probed.get('sum') !== want;
    if (exists && !dir && !p.force && !mismatch) {
      const [mode, uid, gid] = (probed.get('attr_now') ?? '').split(' ');
      for (const [k, who] of [
        ['uid_want', p.owner],
        ['gid_want', p.group],
      ] as const)
        if (probed.get(k) === '?') return failed(`chown failed: failed to look up ${k === 'uid_want' ? 'user' : 'group'} ${String(who)}`);
      const differs: string[] = [];
      if (probed.has('mode_want') && Number.parseInt(probed.get('mode_want')!, 8) !== Number.parseInt(mode, 8))
        differs.push(`mode ${mode} -> ${probed.get('mode_want')}`);
      if (probed.has('uid_want') && probed.get('uid_want') !== uid) differs.push(`owner ${uid} -> ${String(p.owner)}`);
      if (probed.has('gid_want') && probed.get('gid_want') !== gid) differs.push(`group ${gid} -> ${String(p.group)}`);
      const registered = { url: p.url, dest: target, msg: 'file already exists' };
      if (!differs.length) return { status: 'ok', msg: `${target} exists (force: false)`, registered };
      const msg = `${target}: ${differs.join(', ')}`;
      if (ctx.check)
        return (
          afterPending(ctx, msg) ?? {
            status: 'changed',
            msg,
            registered: { ...registered, msg: 'file already exists but file attributes changed' },
          }
        );
      const r = await ports.runOn(ctx.host, getUrlAttrsSh(sh));
      if (r.rc !== 0) return failed(`get_url: setting owner/group/mode of ${target} failed`, { rc: r.rc, stderr: r.stderr });
      return { status: 'changed', msg, registered: { ...registered, msg: 'file already exists but file attributes changed' } };
    }

    const pending = afterPending(ctx, `will download ${p.url} to ${target}`);
    if (pending) return pending;
    // Check mode with nothing there yet: it would be downloaded; no need to fetch it to say so.
    if (ctx.check && !exists)
      return { status: 'changed', msg: `would download ${p.url} to ${target}`, registered: { url: p.url, dest: target, msg: 'OK' } };

    if (how === 'controller')
      return viaController(p, sh, target, want, c, ctx, ports, 'is set to get it from there (fleet_get_url_via: controller)');
    const started = Date.now();
    const r = await ports.runOn(ctx.host, getUrlFetchSh(sh, want, ctx.check));
    const out = kv(r.stdout);
    const fetch = out.get('fetch');
    if (fetch === 'notool' || fetch === 'unreachable') {
      const why =
        fetch === 'notool'
          ? 'has neither curl nor wget'
          : `cannot reach ${new URL(p.url).host} (${b64(out.get('err_b64')) || `exit ${out.get('rc')}`})`;
      if (how === 'host') return failed(`get_url: the host ${why}, and fleet_get_url_via is host`);
      return viaController(p, sh, target, want, c, ctx, ports, why);
    }
    // Ansible's words for a dest directory that is missing or not writable.
    if (fetch === 'nodest') return failed(`Destination dir ${target.slice(0, target.lastIndexOf('/')) || '/'} not writable or missing`);
    if (fetch !== 'ok') {
      const err = b64(out.get('err_b64'));
      return failed(`Request failed: ${err || `exit ${out.get('rc') ?? r.rc}`}`, { rc: r.rc, stderr: r.stderr });
    }
    if (r.rc !== 0) return failed(`get_url: installing ${target} failed`, { rc: r.rc, stderr: r.stderr });
    const status = Number(out.get('status') ?? 200);
    return installed(p, target, out, ctx.check, { status_code: status, elapsed: Math.round((Date.now() - started) / 1000) }, '');
  },
};
