// Connection settings from a host's merged vars: fleet names or the ansible_* names.
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../model/errors.js';
import type { Connection, Source } from '../model/inventory.js';
import { parseSshArgs, proxyCommandProblem } from './ssh-args.js';

/** The winning definition of one variable, with its precedence rank (higher wins). */
export interface Winner {
  value: unknown;
  source: Source;
  baseDir: string;
  rank: number;
}

/** fleet name -> Ansible names accepted for it (the first is the documented one). */
const ALIASES: Record<string, string[]> = {
  address: ['ansible_host', 'ansible_ssh_host'],
  port: ['ansible_port', 'ansible_ssh_port'],
  user: ['ansible_user', 'ansible_ssh_user'],
  become: ['ansible_become'],
  private_key_file: ['ansible_ssh_private_key_file', 'ansible_private_key_file'],
  become_password_env: [],
  become_password_file: [],
  proxy_jump: [],
  proxy_command: [],
  socks_proxy: [],
  connect_timeout: ['ansible_ssh_timeout', 'ansible_timeout'],
};

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

  const proxy = pickProxy(host, winners, bad);
  if (proxy.command) conn.proxyCommand = proxy.command;
  if (proxy.jump) conn.proxyJump = proxy.jump;

  const socks = str('socks_proxy');
  if (socks) {
    const v = socks.value.replace(/^socks5h?:\/\//, '');
    if (!/^[^\s:]+:\d+$/.test(v)) throw bad(socks.w, `'socks_proxy' must be "host:port" (like 127.0.0.1:9050), got ${JSON.stringify(socks.value)}`);
    conn.socksProxy = v;
    if (conn.proxyCommand) {
      throw bad(socks.w, `'socks_proxy' and a ProxyCommand (${proxy.from}) are both set: the ProxyCommand carries the connection itself; set one of them`);
    }
  }
  return conn;
}

/** Variables holding ssh arguments, in the order Ansible puts them on ssh's command line
 * (where the first ProxyCommand or ProxyJump wins, as in ssh). */
export const SSH_ARGS_VARS = ['ansible_ssh_args', 'ansible_ssh_common_args', 'ansible_ssh_extra_args'];

interface Proxy {
  command?: string;
  jump?: string;
  /** What set it, for messages. */
  from?: string;
  /** Set explicitly to none somewhere: nothing (not even ~/.ssh/config) may add a proxy. */
  none?: boolean;
}

/** The proxy for a host: fleet's proxy_command / proxy_jump, else the ssh arguments. A proxy
 * setting that cannot be understood is an error naming where it was written: connecting
 * directly instead would be wrong, and on some networks a leak. */
function pickProxy(host: string, winners: Map<string, Winner>, bad: (w: Winner, d: string) => ConfigError): Proxy {
  const template = (w: Winner, what: string) => {
    if (typeof w.value === 'string' && /\{\{|\{%/.test(w.value)) {
      throw bad(w, `${what} is a template; fleet reads connection settings before any template is rendered, so it cannot know where the proxy is. Write the value itself; fleet will not connect directly instead`);
    }
  };
  const text = (key: string): { value: string; w: Winner } | undefined => {
    const w = winners.get(key);
    if (!w || w.value === null || w.value === undefined || w.value === '') return undefined;
    if (typeof w.value !== 'string') throw bad(w, `'${key}' must be a string, got ${JSON.stringify(w.value)}`);
    template(w, `'${key}'`);
    return { value: w.value.trim(), w };
  };
  // Every ssh-arguments variable is read, even when a fleet setting wins: a proxy in one that
  // fleet cannot read is refused rather than silently ignored.
  const fromArgs: Proxy[] = [];
  for (const key of SSH_ARGS_VARS) {
    const a = text(key);
    if (!a) continue;
    const parsed = parseSshArgs(a.value);
    if (parsed.problem) throw bad(a.w, `${key}: ${parsed.problem}; fleet will not connect directly instead (fix it, or set proxy_command or proxy_jump)`);
    if (parsed.proxyCommand !== undefined) fromArgs.push({ command: parsed.proxyCommand, from: key });
    else if (parsed.proxyJump !== undefined) fromArgs.push({ jump: parsed.proxyJump, from: key });
  }
  const cmd = text('proxy_command');
  const jump = text('proxy_jump');
  if (cmd && jump && cmd.value !== 'none' && jump.value !== 'none') {
    const later = cmd.w.rank >= jump.w.rank ? cmd.w : jump.w;
    throw bad(later, `'proxy_command' and 'proxy_jump' are both set: a connection goes through one of them`);
  }
  if (cmd) {
    const p = cmd.value === 'none' ? undefined : proxyCommandProblem(cmd.value);
    if (p) throw bad(cmd.w, `'proxy_command': ${p}; fleet will not connect directly instead`);
  }
  const chosen: Proxy =
    (cmd && { command: cmd.value, from: 'proxy_command' }) ?? (jump && { jump: jump.value, from: 'proxy_jump' }) ?? fromArgs[0] ?? {};
  if (chosen.command === 'none' || chosen.jump === 'none') return { none: true };
  return chosen;
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
