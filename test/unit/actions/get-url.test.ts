// get_url (Ansible's) against a real HTTP server, its scripts in a real shell: Ansible's rule
// (dest there, no force -> no download; a checksum that matches -> no download; a mismatch ->
// download), decided from the probe without a round trip of its own; check mode honest (never
// writes; compares when dest exists); the checksum verified (value or checksum file); curl and
// wget; the controller's download when the host cannot reach the URL, or has no tool; the
// password never in the scripts' command lines nor in results.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checksumFromFile, getUrl, parseChecksum, urlName } from '../../../src/actions/get-url.js';
import type { ActionContext, ActionPorts } from '../../../src/model/action.js';
import { fetchUrl } from '../../../src/transport/index.js';
import { runSh } from '../engine/local-session.js';
import { stubPorts } from './stub-ports.js';

const ajv = new Ajv({ useDefaults: true, strict: false, allErrors: true });
const validate = ajv.compile(getUrl.schema);
type P = Parameters<typeof getUrl.run>[0];
function params(raw: Record<string, unknown>): P {
  const p = structuredClone(raw);
  if (!validate(p)) throw new Error(ajv.errorsText(validate.errors));
  return p as P;
}
const sh = runSh;
const sha = (algo: string, s: string) => createHash(algo).update(s).digest('hex');

const BODY = 'release 1.2\n';
let dir: string;
let server: http.Server;
let base: string;
let seen: { url: string; auth?: string; header?: string }[] = [];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-get-url-'));
  server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization, header: req.headers['x-token'] as string | undefined });
    if (req.url === '/app.txt') return res.end(BODY);
    if (req.url === '/SHA256SUMS') return res.end(`${sha('sha256', 'other')}  other.txt\n${sha('sha256', BODY)} *app.txt\n`);
    if (req.url === '/moved') return res.writeHead(302, { location: '/app.txt' }).end();
    res.writeHead(404).end('no');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  seen = [];
  rmSync(join(dir, 'd'), { recursive: true, force: true });
  mkdirSync(join(dir, 'd'));
});

/** Ports that run scripts here (counting round trips); env decides which tools the "host" has. */
function local(env: NodeJS.ProcessEnv = process.env) {
  const ports: ActionPorts = stubPorts();
  const scripts: string[] = [];
  ports.runOn = (_h, script) => {
    scripts.push(script);
    return sh(script, env);
  };
  ports.fetchUrl = fetchUrl;
  ports.upload = async (file, dest) => writeFileSync(dest, readFileSync(file));
  return { ports, scripts };
}
/** The action as the engine runs it: its probe with the host's probes, then run(). */
async function run(raw: Record<string, unknown>, over: Partial<ActionContext> = {}, env?: NodeJS.ProcessEnv) {
  const p = params(raw);
  const probed = await sh(getUrl.probe!(p), env);
  const { ports, scripts } = local(env);
  const res = await getUrl.run(
    p,
    { host: 'h1', connection: {} as ActionContext['connection'], vars: {}, check: false, probed, ...over },
    ports,
  );
  return { res, scripts };
}
const dest = () => join(dir, 'd', 'app.txt');

describe("get_url: Ansible's rule", () => {
  it('downloads when dest is missing; then exists without force -> ok with no round trip and no request', async () => {
    const first = await run({ url: `${base}/app.txt`, dest: dest(), mode: '0640' });
    expect(first.res).toMatchObject({
      status: 'changed',
      registered: { dest: dest(), checksum_src: sha('sha1', BODY), size: BODY.length, status_code: 200 },
    });
    expect(readFileSync(dest(), 'utf8')).toBe(BODY);
    expect(statSync(dest()).mode & 0o777).toBe(0o640);
    seen = [];
    const again = await run({ url: `${base}/app.txt`, dest: dest(), mode: '0640' });
    expect(again.res).toMatchObject({ status: 'ok', registered: { msg: 'file already exists' } });
    expect(again.scripts).toEqual([]);
    expect(seen).toEqual([]);
  });

  it('without force an existing file is kept even when the URL has other content; only mode is made so', async () => {
    writeFileSync(dest(), 'old\n');
    chmodSync(dest(), 0o600);
    const r = await run({ url: `${base}/app.txt`, dest: dest(), mode: 'u=rw,g=r' });
    expect(r.res).toMatchObject({ status: 'changed', msg: `${dest()}: mode 600 -> 640` });
    expect(readFileSync(dest(), 'utf8')).toBe('old\n');
    expect(statSync(dest()).mode & 0o777).toBe(0o640);
    expect(seen).toEqual([]);
  });

  it('force: downloaded, replaced only when it differs (ok when the same)', async () => {
    writeFileSync(dest(), 'old\n');
    expect((await run({ url: `${base}/app.txt`, dest: dest(), force: true })).res.status).toBe('changed');
    expect(readFileSync(dest(), 'utf8')).toBe(BODY);
    const again = await run({ url: `${base}/app.txt`, dest: dest(), force: true });
    expect(again.res).toMatchObject({ status: 'ok', registered: { msg: 'file already exists' } });
  });

  it('checksum: a matching file is not downloaded; a mismatch downloads; a wrong digest fails and keeps dest', async () => {
    writeFileSync(dest(), BODY);
    expect((await run({ url: `${base}/app.txt`, dest: dest(), checksum: `sha256:${sha('sha256', BODY)}` })).res.status).toBe('ok');
    expect(seen).toEqual([]);
    writeFileSync(dest(), 'tampered\n');
    expect((await run({ url: `${base}/app.txt`, dest: dest(), checksum: `md5:${sha('md5', BODY)}` })).res.status).toBe('changed');
    expect(readFileSync(dest(), 'utf8')).toBe(BODY);
    writeFileSync(dest(), 'tampered\n');
    const bad = await run({ url: `${base}/app.txt`, dest: dest(), checksum: `sha1:${sha('sha1', 'x')}` });
    expect(bad.res).toMatchObject({
      status: 'failed',
      msg: `The checksum for ${dest()} did not match sha1:${sha('sha1', 'x')}; it was ${sha('sha1', BODY)}.`,
    });
    expect(readFileSync(dest(), 'utf8')).toBe('tampered\n');
  });

  it('checksum from a checksum file (sha256:URL), read on the host', async () => {
    const r = await run({ url: `${base}/app.txt`, dest: dest(), checksum: `sha256:${base}/SHA256SUMS` });
    expect(r.res.status).toBe('changed');
    expect(seen.map((s) => s.url)).toEqual(['/SHA256SUMS', '/app.txt']);
  });

  it("dest a directory: the URL's file name in it, redirects followed", async () => {
    const r = await run({ url: `${base}/moved`, dest: join(dir, 'd') });
    expect(r.res).toMatchObject({ status: 'changed', registered: { dest: join(dir, 'd', 'moved') } });
    expect(readFileSync(join(dir, 'd', 'moved'), 'utf8')).toBe(BODY);
  });

  it('a missing dest directory is named', async () => {
    const r = await run({ url: `${base}/app.txt`, dest: join(dir, 'nope', 'app.txt') });
    expect(r.res).toMatchObject({ status: 'failed', msg: `Destination dir ${join(dir, 'nope')} not writable or missing` });
  });

  it('HTTP 404: Request failed, nothing written', async () => {
    const r = await run({ url: `${base}/nope`, dest: dest() });
    expect(r.res.status).toBe('failed');
    expect(r.res.msg).toMatch(/^Request failed: .*404/);
    expect(existsSync(dest())).toBe(false);
  });
});

describe('get_url: check mode', () => {
  it('missing dest: would download, no request; existing with force: compared, not written', async () => {
    const a = await run({ url: `${base}/app.txt`, dest: dest() }, { check: true });
    expect(a.res).toMatchObject({ status: 'changed', msg: `would download ${base}/app.txt to ${dest()}` });
    expect(seen).toEqual([]);
    writeFileSync(dest(), 'old\n');
    const b = await run({ url: `${base}/app.txt`, dest: dest(), force: true }, { check: true });
    expect(b.res.status).toBe('changed');
    expect(readFileSync(dest(), 'utf8')).toBe('old\n');
    writeFileSync(dest(), BODY);
    expect((await run({ url: `${base}/app.txt`, dest: dest(), force: true }, { check: true })).res.status).toBe('ok');
  });
});

describe('get_url: tools and the controller', () => {
  /** A PATH with the shell's tools but (per test) without curl or wget. */
  function pathWithout(...drop: string[]): NodeJS.ProcessEnv {
    const bin = join(dir, `bin-${drop.join('-')}`);
    if (!existsSync(bin)) {
      mkdirSync(bin);
      const tools = [
        'sh',
        'mktemp',
        'rm',
        'base64',
        'sed',
        'cat',
        'stat',
        'sha1sum',
        'sha256sum',
        'md5sum',
        'cut',
        'cmp',
        'chown',
        'chmod',
        'mv',
        'curl',
        'wget',
        'id',
        'getent',
      ];
      for (const t of tools.filter((x) => !drop.includes(x))) {
        const at = `/usr/bin/${t}`;
        symlinkSync(existsSync(at) ? at : `/bin/${t}`, join(bin, t));
      }
    }
    return { ...process.env, PATH: bin };
  }

  it('wget when there is no curl: headers and credentials in its config file, not its command line', async () => {
    const r = await run(
      { url: `${base}/app.txt`, dest: dest(), headers: { 'X-Token': 't1' }, url_username: 'u', url_password: 's3cret' },
      {},
      pathWithout('curl'),
    );
    expect(r.res.status).toBe('changed');
    expect(seen[0]).toMatchObject({ header: 't1' });
    expect(r.scripts.join('\n')).not.toMatch(/wget [^\n]*s3cret/);
  });

  it('curl sends headers and basic credentials from its config on stdin', async () => {
    const r = await run({ url: `${base}/app.txt`, dest: dest(), headers: { 'X-Token': 't2' }, url_username: 'u', url_password: 's3cret' });
    expect(r.res.status).toBe('changed');
    expect(seen[0]).toEqual({ url: '/app.txt', header: 't2', auth: `Basic ${Buffer.from('u:s3cret').toString('base64')}` });
    expect(r.scripts.join('\n')).not.toMatch(/curl [^\n]*s3cret/);
    expect(JSON.stringify(r.res)).not.toContain('s3cret');
  });

  it('no curl nor wget on the host: the controller downloads and the host installs it (said in the message)', async () => {
    const r = await run({ url: `${base}/app.txt`, dest: dest(), mode: '0600' }, {}, pathWithout('curl', 'wget'));
    expect(r.res).toMatchObject({
      status: 'changed',
      msg: `downloaded ${base}/app.txt to ${dest()} (fetched on the controller: the host has neither curl nor wget)`,
    });
    expect(readFileSync(dest(), 'utf8')).toBe(BODY);
    expect(statSync(dest()).mode & 0o777).toBe(0o600);
    // fleet_get_url_via: host refuses the controller, naming what the host lacks.
    rmSync(dest());
    const h = await run({ url: `${base}/app.txt`, dest: dest() }, { vars: { fleet_get_url_via: 'host' } }, pathWithout('curl', 'wget'));
    expect(h.res).toMatchObject({ status: 'failed', msg: 'get_url: the host has neither curl nor wget, and fleet_get_url_via is host' });
  });

  it('the host cannot reach the URL: the controller fetches it; check mode compares by digest without uploading', async () => {
    // The "host" resolves nothing: curl fails to connect to a closed port like an offline host.
    const p = { url: `${base}/app.txt`, dest: dest() };
    writeFileSync(dest(), 'old\n');
    const probed = await sh(getUrl.probe!(params({ ...p, force: true })));
    const { ports } = local();
    let uploaded = 0;
    const up = ports.upload;
    ports.upload = async (f, d, o) => {
      uploaded++;
      return up(f, d, o);
    };
    ports.runOn = (_h, script) => sh(script.replace(`url = "${base}/app.txt"`, 'url = "http://127.0.0.1:1/app.txt"'));
    const c = { host: 'h1', connection: {} as ActionContext['connection'], vars: {}, probed };
    const check = await getUrl.run(params({ ...p, force: true }), { ...c, check: true }, ports);
    expect(check).toMatchObject({ status: 'changed' });
    expect(check.msg).toMatch(/^would download .* \(fetched on the controller: the host cannot reach 127\.0\.0\.1:\d+/);
    expect(uploaded).toBe(0);
    expect(readFileSync(dest(), 'utf8')).toBe('old\n');
    const apply = await getUrl.run(params({ ...p, force: true }), { ...c, check: false }, ports);
    expect(apply.status).toBe('changed');
    expect(uploaded).toBe(1);
    expect(readFileSync(dest(), 'utf8')).toBe(BODY);
  });
});

describe('get_url: parameters', () => {
  it('checksum forms as Ansible parses them', () => {
    expect(parseChecksum('sha256:AB:CD')).toEqual({ algo: 'sha256', value: 'abcd' });
    expect(parseChecksum('sha1:https://x/SUMS')).toEqual({ algo: 'sha1', url: 'https://x/SUMS' });
    expect(() => parseChecksum('abc')).toThrow('The checksum parameter has to be in format <algorithm>:<checksum>');
    expect(() => parseChecksum('sha256:xyz')).toThrow('The checksum format is invalid');
    expect(() => parseChecksum('crc32:ab')).toThrow('Unsupported hash algorithm crc32');
    expect(checksumFromFile('abc  ./a.tgz\ndef  b.tgz\n', 'a.tgz')).toBe('abc');
    expect(checksumFromFile('ABC\n', 'a.tgz')).toBe('abc');
    expect(urlName('https://x/dl/app%201.tgz?x=1')).toBe('app 1.tgz');
    expect(urlName('https://x/')).toBe('index.html');
  });

  it('schema: url scheme, absolute dest, header names; the password is a secret param', () => {
    expect(validate({ url: 'file:///etc/passwd', dest: '/x' })).toBe(false);
    expect(validate({ url: 'https://x/a', dest: 'rel' })).toBe(false);
    expect(validate({ url: 'https://x/a', dest: '/x', headers: { 'a b': 'c' } })).toBe(false);
    expect(validate({ url: 'https://x/a', dest: '/x', headers: { a: 'c\nd' } })).toBe(false);
    expect(getUrl.secretParams).toEqual(['url_password']);
  });
});
