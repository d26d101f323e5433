// get_url as an attacker sees it: credentials (the URL's user:password, url_password, the
// Authorization and Cookie headers) never in output, results, errors or the scripts' trace
// (after redaction), and never sent to another origin when a server redirects (the
// controller's fetch drops them, as curl does; wget, which would forward them, follows no
// redirect with credentials); a file name from the URL that decodes to a path (..%2f) is
// refused; the controller's fetch follows no redirect into its own loopback or link-local
// addresses when the URL was not one.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getUrl, urlName } from '../../../src/actions/get-url.js';
import type { ActionContext, ActionPorts } from '../../../src/model/action.js';
import { Redactor } from '../../../src/report/index.js';
import { fetchUrl } from '../../../src/transport/index.js';
import { isInternalAddress } from '../../../src/transport/http-get.js';
import { runSh } from '../engine/local-session.js';
import { stubPorts } from './stub-ports.js';

const PASS = 'url-pa55-word';
const TOKEN = 'Bearer tok-9f8e7d6c5b';
const COOKIE = 'session=cookie-a1b2c3d4';
const SECRETS = [PASS, 'tok-9f8e7d6c5b', 'cookie-a1b2c3d4', 'pw-of-param'];

let dir: string;
const servers: http.Server[] = [];
let seen: { server: string; url: string; auth?: string; cookie?: string }[] = [];
let a: string;
let b: string;
async function serve(name: string, handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<string> {
  const s = http.createServer((req, res) => {
    seen.push({ server: name, url: req.url ?? '', auth: req.headers.authorization, cookie: req.headers.cookie });
    handler(req, res);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as { port: number }).port}`;
}
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-get-url-sec-'));
  b = await serve('b', (_req, res) => res.end('from b\n'));
  a = await serve('a', (req, res) => {
    if (req.url === '/app.txt') return res.end('from a\n');
    if (req.url === '/elsewhere') return res.writeHead(302, { location: `${b}/stolen` }).end();
    if (req.url?.startsWith('/..%2f')) return res.end('escaped\n');
    if (req.url === '/here') return res.writeHead(302, { location: '/app.txt' }).end();
    res.writeHead(404).end('no');
  });
});
afterAll(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  seen = [];
  rmSync(join(dir, 'd'), { recursive: true, force: true });
  mkdirSync(join(dir, 'd'));
});

function pathWithout(...drop: string[]): NodeJS.ProcessEnv {
  const bin = join(dir, `bin-${drop.join('-')}`);
  if (!existsSync(bin)) {
    mkdirSync(bin);
    for (const t of ['sh', 'mktemp', 'rm', 'cat', 'sed', 'base64', 'stat', 'sha1sum', 'sha256sum', 'cut', 'cmp', 'mv', 'chmod', 'chown', 'id', 'curl', 'wget', 'tr', 'head', 'env']) {
      if (drop.includes(t)) continue;
      const at = ['/usr/bin', '/bin'].map((d) => `${d}/${t}`).find((p) => existsSync(p));
      if (at) symlinkSync(at, join(bin, t));
    }
  }
  return { ...process.env, PATH: bin };
}

/** The action as the engine runs it (probe, then run); secrets registered through ports.secret
 * into a Redactor, which then masks the result and every script as a trace would show them. */
async function run(raw: Record<string, unknown>, vars: Record<string, unknown> = {}, env?: NodeJS.ProcessEnv) {
  const p = raw as Parameters<typeof getUrl.run>[0];
  const full = { force: false, timeout: 10, headers: {}, validate_certs: true, ...p } as typeof p;
  const redactor = new Redactor({ isolated: true });
  for (const k of getUrl.secretParams ?? []) if (typeof (full as Record<string, unknown>)[k] === 'string') redactor.add((full as Record<string, unknown>)[k]);
  const probed = await runSh(getUrl.probe!(full), env);
  const ports: ActionPorts = stubPorts();
  const scripts: string[] = [];
  ports.runOn = (_h, script) => {
    scripts.push(script);
    return runSh(script, env);
  };
  ports.secret = (v) => redactor.add(v);
  ports.fetchUrl = fetchUrl;
  ports.upload = async (file, dest) => {
    const { copyFileSync } = await import('node:fs');
    copyFileSync(file, dest);
  };
  const ctx = { host: 'h1', connection: {} as ActionContext['connection'], vars, check: false, probed } as ActionContext;
  const res = await getUrl.run(full, ctx, ports);
  const shown = redactor.redact(JSON.stringify(res)) + '\n' + scripts.map((s) => redactor.redact(s)).join('\n');
  return { res, shown, scripts };
}

describe('get_url: credentials are secrets', () => {
  for (const [how, env] of [
    ['curl on the host', undefined],
    ['wget on the host', 'wget'],
    ['the controller', 'controller'],
  ] as const)
    it(`the URL's password, url_password, Authorization and Cookie never shown (${how}), success and failure`, async () => {
      const e = env === 'wget' ? pathWithout('curl') : undefined;
      const vars = env === 'controller' ? { fleet_get_url_via: 'controller' } : {};
      const creds = `user:${PASS}@`;
      for (const path of ['/app.txt', '/missing']) {
        const r = await run(
          { url: a.replace('//', `//${creds}`) + path, dest: join(dir, 'd', `f${path.slice(1)}`), headers: { Authorization: TOKEN, Cookie: COOKIE }, url_password: 'pw-of-param', url_username: 'u' },
          vars,
          e,
        );
        for (const s of SECRETS) expect(r.shown, `${how} ${path}`).not.toContain(s);
        expect(r.res.status, JSON.stringify(r.res)).toBe(path === '/app.txt' ? 'changed' : 'failed');
      }
    });
});

describe('get_url: credentials stay with the origin they were given for', () => {
  it('the controller: a redirect to another origin gets neither the Authorization, the Cookie nor the basic credentials', async () => {
    const got = await fetchUrl({ url: `${a}/elsewhere`, headers: { Authorization: TOKEN, Cookie: COOKIE, 'X-Other': 'kept' }, username: 'u', password: 'pw' });
    await got.remove();
    expect(seen.map((s) => s.server)).toEqual(['a', 'b']);
    expect(seen[0]).toMatchObject({ auth: `Basic ${Buffer.from('u:pw').toString('base64')}`, cookie: COOKIE });
    expect(seen[1]).toEqual({ server: 'b', url: '/stolen', auth: undefined, cookie: undefined });
  });

  it('the controller: a redirect within the origin keeps them', async () => {
    const got = await fetchUrl({ url: `${a}/here`, headers: { Cookie: COOKIE }, username: 'u', password: 'pw' });
    await got.remove();
    expect(seen.map((s) => [s.server, s.url, s.cookie, s.auth])).toEqual([
      ['a', '/here', COOKIE, `Basic ${Buffer.from('u:pw').toString('base64')}`],
      ['a', '/app.txt', COOKIE, `Basic ${Buffer.from('u:pw').toString('base64')}`],
    ]);
  });

  it('curl on the host: the other origin gets neither header', async () => {
    const r = await run({ url: `${a}/elsewhere`, dest: join(dir, 'd', 'f.txt'), headers: { Authorization: TOKEN, Cookie: COOKIE } });
    expect(r.res.status, JSON.stringify(r.res)).toBe('changed');
    expect(seen.find((s) => s.server === 'b')).toEqual({ server: 'b', url: '/stolen', auth: undefined, cookie: undefined });
  });

  it('wget on the host (CVE-2021-31879: it would forward them): with credentials it follows no redirect', async () => {
    if (!existsSync('/usr/bin/wget')) return;
    const r = await run({ url: `${a}/elsewhere`, dest: join(dir, 'd', 'f.txt'), headers: { Authorization: TOKEN, Cookie: COOKIE } }, {}, pathWithout('curl'));
    expect(seen.filter((s) => s.server === 'b')).toEqual([]);
    expect(r.res.status).toBe('failed');
    expect(r.res.msg).toMatch(/redirect/i);
    expect(existsSync(join(dir, 'd', 'f.txt'))).toBe(false);
    // Without credentials it follows redirects as before.
    const plain = await run({ url: `${a}/elsewhere`, dest: join(dir, 'd', 'g.txt') }, {}, pathWithout('curl'));
    expect(plain.res.status, JSON.stringify(plain.res)).toBe('changed');
  });
});

describe("get_url: the controller's upload beside dest", () => {
  it('goes to a name that cannot be guessed from the content (two runs, the same file: two names)', async () => {
    const names: string[] = [];
    for (let i = 0; i < 2; i++) {
      rmSync(join(dir, 'd', 'f.txt'), { force: true });
      const probedEnv = pathWithout('curl', 'wget');
      const p = { url: `${a}/app.txt`, dest: join(dir, 'd', 'f.txt'), force: false, timeout: 10, headers: {}, validate_certs: true } as Parameters<typeof getUrl.run>[0];
      const probed = await runSh(getUrl.probe!(p), probedEnv);
      const ports: ActionPorts = stubPorts();
      ports.runOn = (_h, script) => runSh(script, probedEnv);
      ports.fetchUrl = fetchUrl;
      ports.upload = async (file, dest) => {
        names.push(dest);
        const { copyFileSync } = await import('node:fs');
        copyFileSync(file, dest);
      };
      const res = await getUrl.run(p, { host: 'h1', connection: {} as ActionContext['connection'], vars: {}, check: false, probed } as ActionContext, ports);
      expect(res.status, JSON.stringify(res)).toBe('changed');
    }
    expect(names).toHaveLength(2);
    expect(names[0]).not.toBe(names[1]);
    expect(names[0]).toMatch(/\/\.fleet-get_url\.[0-9a-f]{16}$/);
  });
});

describe('get_url: a file name from the URL is a name, not a path', () => {
  for (const url of ['http://h/x/..%2f..%2fescape.txt', 'http://h/x/%2e%2e%2fescape.txt', 'http://h/x/a%2fb', 'http://h/x/..%5cwin', 'http://h/x/a%0ab', 'http://h/%E0%A4%A']) {
    it(`${url}: refused`, () => {
      expect(() => urlName(url)).toThrow(/file name/);
    });
  }

  it('dest a directory and a URL ending in ..%2f: nothing written outside dest', async () => {
    const dest = join(dir, 'd', 'sub');
    mkdirSync(dest);
    const r = await run({ url: `${a}/..%2fescape.txt`, dest }).catch((e: Error) => ({ res: { status: 'failed', msg: e.message } }));
    expect(readdirSync(join(dir, 'd'))).toEqual(['sub']);
    expect(r.res.status).toBe('failed');
    expect(r.res.msg).toMatch(/file name/);
    expect(urlName('http://h/x/r%C3%A9sum%C3%A9.pdf')).toBe('résumé.pdf');
    expect(urlName('http://h/x/')).toBe('index.html');
  });
});

describe("get_url: the controller's fetch and its own services", () => {
  it('loopback, link-local and unspecified addresses are the controller\'s own', () => {
    for (const ip of ['127.0.0.1', '127.1.2.3', '::1', '169.254.169.254', 'fe80::1', '0.0.0.0', '::', '::ffff:127.0.0.1', '::ffff:169.254.169.254', '[::1]'])
      expect(isInternalAddress(ip), ip).toBe(true);
    for (const ip of ['10.0.0.1', '192.0.2.7', '8.8.8.8', '2001:db8::1', '::ffff:10.0.0.1', 'fec0::1'])
      expect(isInternalAddress(ip), ip).toBe(false);
  });

  it('a URL on the loopback itself may redirect within it (the user named it)', async () => {
    const got = await fetchUrl({ url: `${a}/elsewhere` });
    await got.remove();
    expect(got.status).toBe(200);
  });
});
