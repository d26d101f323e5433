// Connection settings from a host's merged vars: fleet names or the ansible_* names.
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../model/errors.js';
import type { Connection, Source } from '../model/inventory.js';
import { CONNECTION_ALIASES } from '../model/connection-vars.js';

/** The winning definition of one variable, with its precedence rank (higher wins). */
export interface Winner {
  value: unknown;
  source: Source;
  baseDir: string;
  rank: number;
}

/** fleet name -> Ansible names accepted for it (shared with the inventory_var action). */
const ALIASES = CONNECTION_ALIASES;

export const DEFAULT_PORT = 22;
export const DEFAULT_USER = 'root';
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const KEEPALIVE_INTERVAL_MS = 15_000;

export function buildConnection(host: string, winners: Map<string, Winner>): Connection {
  // Between a fleet key and its Ansible alias, the higher-precedence definition wins;
  // on a tie (same file level) the fleet name wins.
  const pick = (key: string): Winner | undefined => {
    let best = winners.get(key);
    for (const alias of ALIASES[key] ?? []) {
      const w = winners.get(alias);
      if (w && (!best || w.rank > best.rank)) best = w;
    }
    return best;
  };
  const bad = (w: Winner, detail: string) =>
    new ConfigError(w.source.file, w.source.line, w.source.column, `host '${host}': ${detail}`);

  const str = (key: string): { value: string; w: Winner } | undefined => {
    const w = pick(key);
    if (!w || w.value === null || w.value === undefined || w.value === '') return undefined;
    if (typeof w.value !== 'string' && typeof w.value !== 'number') throw bad(w, `'${key}' must be a string`);
    return { value: String(w.value), w };
  };

  const address = str('address')?.value ?? host;

  let port = DEFAULT_PORT;
  const pw = pick('port');
  if (pw && pw.value !== null && pw.value !== undefined) {
    const n = typeof pw.value === 'string' && /^\d+$/.test(pw.value.trim()) ? Number(pw.value) : pw.value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) {
      throw bad(pw, `'port' must be a number from 1 to 65535, got ${JSON.stringify(pw.value)}`);
    }
    port = n;
  }

  const user = str('user')?.value ?? DEFAULT_USER;

  let becomeSet = false;
  const bw = pick('become');
  if (bw && bw.value !== null && bw.value !== undefined) {
    const b = toBool(bw.value);
    if (b === undefined) throw bad(bw, `'become' must be true or false, got ${JSON.stringify(bw.value)}`);
    becomeSet = b;
  }

  let connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS;
  const tw = pick('connect_timeout');
  if (tw && tw.value !== null && tw.value !== undefined) {
    const n = typeof tw.value === 'string' && tw.value.trim() !== '' ? Number(tw.value) : tw.value;
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) {
      throw bad(tw, `'connect_timeout' must be a number of seconds above 0, got ${JSON.stringify(tw.value)}`);
    }
    connectTimeoutMs = Math.round(n * 1000);
  }

  const conn: Connection = {
    address,
    port,
    user,
    // root needs no sudo; become only means something for another user.
    become: becomeSet && user !== 'root',
    connectTimeoutMs,
    keepaliveIntervalMs: KEEPALIVE_INTERVAL_MS,
  };

  const key = str('private_key_file');
  if (key) conn.privateKeyFile = resolvePath(key.value, key.w.baseDir);
  const env = str('become_password_env');
  if (env) conn.becomePasswordEnv = env.value;
  const pwFile = str('become_password_file');
  if (pwFile) conn.becomePasswordFile = resolvePath(pwFile.value, pwFile.w.baseDir);

  const jump = str('proxy_jump');
  if (jump) conn.proxyJump = jump.value;
  else {
    const common = winners.get('ansible_ssh_common_args');
    const j = typeof common?.value === 'string' ? proxyJumpFromSshArgs(common.value) : undefined;
    if (j) conn.proxyJump = j;
  }

  const socks = str('socks_proxy');
  if (socks) {
    const v = socks.value.replace(/^socks5h?:\/\//, '');
    if (!/^[^\s:]+:\d+$/.test(v)) throw bad(socks.w, `'socks_proxy' must be "host:port" (like 127.0.0.1:9050), got ${JSON.stringify(socks.value)}`);
    conn.socksProxy = v;
  }
  return conn;
}

/** "-J user@bastion:22" or "-o ProxyJump=user@bastion" in ansible_ssh_common_args. */
export function proxyJumpFromSshArgs(args: string): string | undefined {
  const m = /(?:^|\s)-J\s*(\S+)/.exec(args) ?? /-o\s*['"]?ProxyJump[= ]([^\s'"]+)/i.exec(args);
  return m?.[1];
}

/** Booleans as YAML 1.1 and Ansible's INI files write them. */
export function toBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['true', 'yes', 'on', '1', 'y'].includes(s)) return true;
    if (['false', 'no', 'off', '0', 'n'].includes(s)) return false;
  }
  return undefined;
}

export function resolvePath(p: string, baseDir: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return resolve(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(baseDir, p);
}
