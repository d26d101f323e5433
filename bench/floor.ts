// The floor: the least any SSH tool can do for a no-change run. A bare ssh2 client connects
// to every host at once, checks the host key, and sends the probe script once on `sh -s`.
// fleet's no-change run should cost little more than this.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, type ParsedKey, type PublicKeyAuthMethod } from 'ssh2';
import { loadPrivateKey } from '../src/transport/private-keys.js';

export interface FloorHost {
  name: string;
  address: string;
  port?: number;
}


/** Keys pinned for address:port, from plain or hashed (|1|salt|hash) known_hosts lines. */
export function pinnedKeys(knownHosts: string, address: string, port = 22): Buffer[] {
  const token = port === 22 ? address : `[${address}]:${port}`;
  const keys: Buffer[] = [];
  for (const raw of knownHosts.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('@')) continue;
    const [hosts, , b64] = line.split(/\s+/);
    if (!b64) continue;
    const match = hosts.split(',').some((h) => {
      if (!h.startsWith('|1|')) return h === token;
      const [, , salt, hash] = h.split('|');
      return createHmac('sha1', Buffer.from(salt, 'base64')).update(token).digest('base64') === hash;
    });
    if (match) keys.push(Buffer.from(b64, 'base64'));
  }
  return keys;
}

/** CPU the host used during one exec over the already-open connection, idle use subtracted. */
export interface ExecCpu {
  /** 'bare' (`true`), 'probe' (fleet's probe script), 'minimal' (the minimal probe). */
  label: string;
  hostCpuMs: number;
  execMs: number;
  rc: number;
}

export interface FloorHostResult {
  name: string;
  connectMs: number;
  execMs: number;
  rc: number;
  stdoutBytes: number;
  error?: string;
  /** Host CPU from before connecting to the end of the first exec (login + probe), idle use
   * subtracted; present when a meter was given. */
  firstHostCpuMs?: number;
  /** The measured execs that followed on the same connection, in order. */
  execs?: ExecCpu[];
}

/** Reads a host's CPU counter (microseconds) and its idle rate (microseconds per ms). */
export interface CpuMeter {
  usec(host: string): number | undefined;
  idleRate(host: string): number;
}

function exec(c: Client, script: string): Promise<{ rc: number; bytes: number; error?: string }> {
  return new Promise((resolve) => {
    c.exec('sh -s', (err, ch) => {
      if (err) return resolve({ rc: -1, bytes: 0, error: err.message });
      let bytes = 0;
      ch.on('data', (b: Buffer) => (bytes += b.length));
      ch.stderr.on('data', () => undefined);
      ch.on('exit', (code: number | null) => {
        ch.on('close', () => resolve({ rc: code ?? -1, bytes }));
      });
      ch.end(script);
    });
  });
}

function runOne(h: FloorHost, privateKey: ParsedKey, knownHosts: string, script: string, extra: { label: string; script: string }[], meter?: CpuMeter): Promise<FloorHostResult> {
  const t0 = performance.now();
  const cpu0 = meter?.usec(h.name);
  const pinned = pinnedKeys(knownHosts, h.address, h.port);
  // CPU the host used since `from`, minus what it uses idle over the same time.
  const since = (from: number | undefined, at: number): number | undefined => {
    const now = meter?.usec(h.name);
    if (from === undefined || now === undefined || !meter) return undefined;
    return Math.max(0, (now - from - meter.idleRate(h.name) * (performance.now() - at)) / 1000);
  };
  return new Promise((resolve) => {
    const c = new Client();
    let connectMs = 0;
    const done = (r: Omit<FloorHostResult, 'name' | 'connectMs'>): void => {
      c.end();
      resolve({ name: h.name, connectMs, ...r });
    };
    c.on('error', (e) => done({ execMs: 0, rc: -1, stdoutBytes: 0, error: e.message }));
    c.on('ready', () => {
      connectMs = performance.now() - t0;
      void (async () => {
        const t1 = performance.now();
        const first = await exec(c, script);
        const execMs = performance.now() - t1;
        const firstHostCpuMs = since(cpu0, t0);
        if (first.rc !== 0) return done({ execMs, rc: first.rc, stdoutBytes: first.bytes, error: first.error, firstHostCpuMs });
        // The same connection, already logged in: what each script costs the host on its own.
        const execs: ExecCpu[] = [];
        for (const x of extra) {
          const a = meter?.usec(h.name);
          const ta = performance.now();
          const r = await exec(c, x.script);
          execs.push({ label: x.label, hostCpuMs: since(a, ta) ?? NaN, execMs: performance.now() - ta, rc: r.rc });
        }
        done({ execMs, rc: first.rc, stdoutBytes: first.bytes, firstHostCpuMs, execs });
      })();
    });
    c.connect({
      host: h.address,
      port: h.port ?? 22,
      username: 'root',
      // A parsed key goes through the auth handler, as fleet's does (ssh2's privateKey option
      // takes only text or bytes, which it parses again for every connection).
      authHandler: [{ type: 'publickey', username: 'root', key: privateKey } as PublicKeyAuthMethod],
      readyTimeout: 30_000,
      hostVerifier: (key: Buffer) => pinned.some((k) => k.equals(key)),
    });
  });
}

/** extra: scripts run after the first one over the same connection, each measured alone. */
export async function runFloor(
  hosts: FloorHost[],
  keyFile: string,
  knownHostsFile: string,
  script: string,
  extra: { label: string; script: string }[] = [],
  meter?: CpuMeter,
  limit = hosts.length,
): Promise<FloorHostResult[]> {
  // Parsed once and signing from one KeyObject, as fleet does (src/transport/private-keys.ts):
  // the floor stays the least an SSH client can do.
  const privateKey = loadPrivateKey(keyFile);
  const knownHosts = readFileSync(knownHostsFile, 'utf8');
  const results: FloorHostResult[] = new Array(hosts.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < hosts.length) {
      const i = next++;
      results[i] = await runOne(hosts[i], privateKey, knownHosts, script, extra, meter);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, hosts.length)) }, worker));
  return results;
}
