// The floor: the least any SSH tool can do for a no-change run. A bare ssh2 client connects
// to every host at once, checks the host key, and sends the probe script once on `sh -s`.
// fleet's no-change run should cost little more than this.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'ssh2';

export interface FloorHost {
  name: string;
  address: string;
  port?: number;
}

export interface FloorHostResult {
  name: string;
  connectMs: number;
  execMs: number;
  rc: number;
  stdoutBytes: number;
  error?: string;
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

function runOne(h: FloorHost, privateKey: Buffer, knownHosts: string, script: string): Promise<FloorHostResult> {
  const t0 = performance.now();
  const pinned = pinnedKeys(knownHosts, h.address, h.port);
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
      const t1 = performance.now();
      c.exec('sh -s', (err, ch) => {
        if (err) return done({ execMs: 0, rc: -1, stdoutBytes: 0, error: err.message });
        let bytes = 0;
        ch.on('data', (b: Buffer) => (bytes += b.length));
        ch.stderr.on('data', () => undefined);
        ch.on('exit', (code: number | null) => {
          ch.on('close', () => done({ execMs: performance.now() - t1, rc: code ?? -1, stdoutBytes: bytes }));
        });
        ch.end(script);
      });
    });
    c.connect({
      host: h.address,
      port: h.port ?? 22,
      username: 'root',
      privateKey,
      readyTimeout: 30_000,
      hostVerifier: (key: Buffer) => pinned.some((k) => k.equals(key)),
    });
  });
}

export async function runFloor(hosts: FloorHost[], keyFile: string, knownHostsFile: string, script: string, limit = hosts.length): Promise<FloorHostResult[]> {
  const privateKey = readFileSync(keyFile);
  const knownHosts = readFileSync(knownHostsFile, 'utf8');
  const results: FloorHostResult[] = new Array(hosts.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < hosts.length) {
      const i = next++;
      results[i] = await runOne(hosts[i], privateKey, knownHosts, script);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, hosts.length)) }, worker));
  return results;
}
