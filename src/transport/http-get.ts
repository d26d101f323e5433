// An HTTP(S) GET on the controller, streamed into a temporary file: get_url's way to a host
// that cannot reach the URL itself. Redirects are followed (at most 10, as Ansible's 'safe':
// GET only); the credentials (basic, and the Authorization, Proxy-Authorization and Cookie
// headers) go to the first URL's origin only, as curl does: a redirect to another scheme,
// host or port gets none. A URL that is not on the controller's own loopback or link-local
// addresses may not redirect to them (a server cannot point the controller at its own
// services or a cloud metadata address). The timeout is the socket's inactivity (Ansible's).
import { createHash } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FetchedUrl, UrlRequest } from '../model/action.js';

const MAX_REDIRECTS = 10;
/** Headers that carry credentials: sent to the first URL's origin only. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

export class UrlError extends Error {}

/** Loopback, link-local or unspecified: an address of the controller itself (or its cloud's
 * metadata service), IPv4, IPv6 or IPv4-mapped. */
export function isInternalAddress(address: string): boolean {
  let a = address.replace(/^\[|\]$/g, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) a = mapped[1];
  if (isIP(a) === 4) return /^(127|0)\./.test(a) || a.startsWith('169.254.');
  if (isIP(a) === 6) return a === '::1' || a === '::' || /^fe[89ab][0-9a-f]:/.test(a);
  return false;
}

export async function fetchUrl(req: UrlRequest): Promise<FetchedUrl> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-get_url-'));
  const file = join(dir, 'body');
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    let url = new URL(req.url);
    const first = url.origin;
    // Decided by where the first request went: a URL on the controller's own addresses was named by the user.
    let internalFirst: boolean | undefined;
    for (let hop = 0; ; hop++) {
      const res = await get(url, req, url.origin === first, internalFirst === false);
      internalFirst ??= isInternalAddress(res.socket.remoteAddress ?? '');
      const loc = res.headers.location;
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && loc) {
        res.resume();
        if (hop >= MAX_REDIRECTS) throw new UrlError(`Request failed: more than ${MAX_REDIRECTS} redirects`);
        url = new URL(loc, url);
        continue;
      }
      if (!res.statusCode || res.statusCode >= 400) {
        res.resume();
        throw new UrlError(`Request failed: HTTP Error ${res.statusCode}: ${res.statusMessage ?? ''}`.trim());
      }
      const sha256 = createHash('sha256');
      const sha1 = createHash('sha1');
      let size = 0;
      await new Promise<void>((resolve, reject) => {
        const out = createWriteStream(file, { mode: 0o600 });
        res.on('data', (c: Buffer) => {
          sha256.update(c);
          sha1.update(c);
          size += c.length;
        });
        res.on('error', reject);
        out.on('error', reject);
        out.on('finish', resolve);
        res.pipe(out);
      });
      return { file, status: res.statusCode, size, sha256: sha256.digest('hex'), sha1: sha1.digest('hex'), remove };
    }
  } catch (e) {
    await remove();
    throw e;
  }
}

const refusedHop = (host: string, address: string) =>
  new UrlError(
    `Request failed: a redirect to ${host} (${address}) is refused: that is the controller's own loopback or link-local address, and the URL was not`,
  );

/** dns.lookup, refusing the controller's own addresses. */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, options, (err, address, family) => {
    if (err) return callback(err, address as string, family);
    const all = Array.isArray(address) ? address : [{ address, family }];
    const bad = all.find((x) => isInternalAddress(x.address));
    if (bad) return callback(refusedHop(hostname, bad.address) as NodeJS.ErrnoException, '', 0);
    callback(null, address as string, family);
  });
};

function get(url: URL, req: UrlRequest, sameOrigin: boolean, guard: boolean): Promise<http.IncomingMessage> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return Promise.reject(new UrlError(`the controller fetches http and https URLs only, not ${url.protocol}`));
  if (guard && isInternalAddress(url.hostname)) return Promise.reject(refusedHop(url.hostname, url.hostname));
  const headers: Record<string, string> = { 'User-Agent': 'ansible-httpget' };
  for (const [k, v] of Object.entries(req.headers ?? {})) if (sameOrigin || !CREDENTIAL_HEADERS.has(k.toLowerCase())) headers[k] = v;
  if (sameOrigin && req.username !== undefined)
    headers.Authorization = `Basic ${Buffer.from(`${req.username}:${req.password ?? ''}`).toString('base64')}`;
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const r = mod.get(
      url,
      {
        headers,
        rejectUnauthorized: req.validateCerts !== false,
        timeout: req.timeoutMs ?? 10_000,
        ...(guard ? { lookup: guardedLookup } : {}),
      },
      resolve,
    );
    r.on('timeout', () => r.destroy(new UrlError(`Request failed: timed out after ${(req.timeoutMs ?? 10_000) / 1000} s without data`)));
    r.on('error', (e) => reject(e instanceof UrlError ? e : new UrlError(`Request failed: ${e.message}`)));
  });
}
