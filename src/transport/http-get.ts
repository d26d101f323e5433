// An HTTP(S) GET on the controller, streamed into a temporary file: get_url's way to a host
// that cannot reach the URL itself. Redirects are followed (at most 10, as Ansible's 'safe':
// GET only), credentials are sent to the first host only, the timeout is the socket's
// inactivity (Ansible's timeout).
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FetchedUrl, UrlRequest } from '../model/action.js';

const MAX_REDIRECTS = 10;

export class UrlError extends Error {}

export async function fetchUrl(req: UrlRequest): Promise<FetchedUrl> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-get_url-'));
  const file = join(dir, 'body');
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    let url = new URL(req.url);
    const firstHost = url.host;
    for (let hop = 0; ; hop++) {
      const res = await get(url, req, url.host === firstHost);
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

function get(url: URL, req: UrlRequest, withAuth: boolean): Promise<http.IncomingMessage> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return Promise.reject(new UrlError(`the controller fetches http and https URLs only, not ${url.protocol}`));
  const headers: Record<string, string> = { 'User-Agent': 'ansible-httpget', ...(req.headers ?? {}) };
  if (withAuth && req.username !== undefined)
    headers.Authorization = `Basic ${Buffer.from(`${req.username}:${req.password ?? ''}`).toString('base64')}`;
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const r = mod.get(url, { headers, rejectUnauthorized: req.validateCerts !== false, timeout: req.timeoutMs ?? 10_000 }, resolve);
    r.on('timeout', () => r.destroy(new UrlError(`Request failed: timed out after ${(req.timeoutMs ?? 10_000) / 1000} s without data`)));
    r.on('error', (e) => reject(e instanceof UrlError ? e : new UrlError(`Request failed: ${e.message}`)));
  });
}
