// Connection settings from a host's merged vars: fleet names or the ansible_* names.
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../model/errors.js';
import type { Connection, ConnectionSources, Source } from '../model/inventory.js';
import { CONNECTION_ALIASES } from '../model/connection-vars.js';
import { pickProxy } from './connection-proxy.js';
import { applySshConfig } from './connection-ssh-config.js';
import { defaultSshConfigFile } from './ssh-config.js';

import type { Winner } from './winner.js';
export type { Winner } from './winner.js';

/** fleet name -> Ansible names accepted for it (shared with the inventory_var action). */
const ALIASES = CONNECTION_ALIASES;

export const DEFAULT_PORT = 22;
export const DEFAULT_USER = 'root';
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Over a proxy the handshake crosses two hops (a bastion's own handshake, a ProxyCommand's
 * start); over SOCKS it may cross Tor, whose circuits take seconds to build. Defaults only:
 * connect_timeout set anywhere wins. */
export const DEFAULT_CONNECT_TIMEOUT_PROXY_MS = 20_000;
export const DEFAULT_CONNECT_TIMEOUT_SOCKS_MS = 30_000;
export const KEEPALIVE_INTERVAL_MS = 15_000;

export function buildConnection(host: string, winners: Map<string, Winner>, sources: ConnectionSources = {}): Connection {
  // Between a fleet key and its Ansible alias, the higher-precedence definition wins;
  // on a tie (same file level) the fleet name wins.
  const pick = (key: string): (Winner & { name: string }) | undefined => {
    let best = winners.get(key) && { ...winners.get(key)!, name: key };
    for (const alias of ALIASES[key] ?? []) {
      const w = winners.get(alias);
      if (w && (!best || w.rank > best.rank)) best = { ...w, name: alias };
    }
    // Ansible renders `ansible_user: "{{ admin }}"`; fleet reads connection settings before any
    // template, so the text itself would be used: logging in as "{{ admin }}", or an address
    // refused for its spaces. Refused here, where it is written.
    if (best && typeof best.value === 'string' && /\{\{|\{%/.test(best.value)) {
      throw bad(best, `'${best.name}' is a template (${JSON.stringify(best.value)}); fleet reads connection settings before any template is rendered. Write the value itself`);
    }
    return best;
  };
  const bad = (w: Winner, detail: string) =>
    new ConfigError(w.source.file, w.source.line, w.source.column, `host '${host}': ${detail}`);

  const str = (key: string): { value: string; w: Winner & { name: string } } | undefined => {
    const w = pick(key);
    if (!w || w.value === null || w.value === undefined || w.value === '') return undefined;
    if (typeof w.value !== 'string' && typeof w.value !== 'number') throw bad(w, `'${key}' must be a string`);
    return { value: String(w.value), w };
  };
  const from = (field: keyof ConnectionSources, w: Winner & { name: string }) => (sources[field] = { source: w.source, setting: w.name });

  const addressE = str('address');
  let address = addressE?.value ?? host;
  if (addressE) from('address', addressE.w);

  let port: number | undefined;
  const pw = pick('port');
  if (pw && pw.value !== null && pw.value !== undefined) {
    port = portNumber(pw.value);
    if (port === undefined) throw bad(pw, `'port' must be a number from 1 to 65535, got ${JSON.stringify(pw.value)}`);
    from('port', pw);
  }

  const userE = str('user');
  let user = userE?.value;
  if (userE) from('user', userE.w);

  let becomeSet = false;
  const bw = pick('become');
  if (bw && bw.value !== null && bw.value !== undefined) {
    const b = toBool(bw.value);
    if (b === undefined) throw bad(bw, `'become' must be true or false, got ${JSON.stringify(bw.value)}`);
    becomeSet = b;
  }

  let connectTimeoutMs: number | undefined;
  const tw = pick('connect_timeout');
  if (tw && tw.value !== null && tw.value !== undefined) {
    const n = typeof tw.value === 'string' && tw.value.trim() !== '' ? Number(tw.value) : tw.value;
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) {
      throw bad(tw, `'connect_timeout' must be a number of seconds above 0, got ${JSON.stringify(tw.value)}`);
    }
    connectTimeoutMs = Math.round(n * 1000);
  }

  const keyE = str('private_key_file');
  let privateKeyFile = keyE ? resolvePath(keyE.value, keyE.w.baseDir) : undefined;
  if (keyE) from('privateKeyFile', keyE.w);

  const proxy = pickProxy(host, winners, bad);
  let proxyCommand = proxy.command;
  let proxyJump = proxy.jump;
  if (proxy.winner) from(proxyCommand ? 'proxyCommand' : 'proxyJump', { ...proxy.winner, name: proxy.from! });
  const socks = str('socks_proxy');

  // ~/.ssh/config fills what the inventory leaves unset, as ssh does with Ansible's
  // command line: Host blocks match the name ssh would be given (ansible_host, else the host).
  const cfgFile = sshConfigFile(pick('ssh_config_file'), proxy.configFile, bad);
  if (cfgFile) {
    const c = applySshConfig(cfgFile, addressE?.value ?? host, user);
    const cfg = (field: keyof ConnectionSources, v: { source: Source; setting: string }) => (sources[field] = { source: v.source, setting: v.setting });
    if (!addressE && c.address) {
      address = c.address.value;
      cfg('address', c.address);
    }
    if (port === undefined && c.port) {
      port = c.port.value;
      cfg('port', c.port);
    }
    if (user === undefined && c.user) {
      user = c.user.value;
      cfg('user', c.user);
    }
    if (!privateKeyFile && c.privateKeyFile) {
      privateKeyFile = c.privateKeyFile.value;
      cfg('privateKeyFile', c.privateKeyFile);
    }
    // Any proxy the inventory sets (or turns off, or a SOCKS proxy) beats the file's.
    if (!proxyCommand && !proxyJump && !proxy.none && !socks) {
      if (c.proxyCommand) {
        proxyCommand = c.proxyCommand.value;
        cfg('proxyCommand', c.proxyCommand);
      } else if (c.proxyJump) {
        proxyJump = c.proxyJump.value;
        cfg('proxyJump', c.proxyJump);
      }
    }
  }

  const finalUser = user ?? DEFAULT_USER;
  const conn: Connection = {
    address,
    port: port ?? DEFAULT_PORT,
    user: finalUser,
    // root needs no sudo; become only means something for another user.
    become: becomeSet && finalUser !== 'root',
    connectTimeoutMs: connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    keepaliveIntervalMs: proxy.keepaliveIntervalMs ?? KEEPALIVE_INTERVAL_MS,
  };
  if (privateKeyFile) conn.privateKeyFile = privateKeyFile;
  const env = str('become_password_env');
  if (env) conn.becomePasswordEnv = env.value;
  const pwFile = str('become_password_file');
  if (pwFile) conn.becomePasswordFile = resolvePath(pwFile.value, pwFile.w.baseDir);
  if (proxyCommand) conn.proxyCommand = proxyCommand;
  if (proxyJump) conn.proxyJump = proxyJump;

  if (socks) {
    const v = socks.value.replace(/^socks5h?:\/\//, '');
    if (!/^[^\s:]+:\d+$/.test(v)) throw bad(socks.w, `'socks_proxy' must be "host:port" (like 127.0.0.1:9050), got ${JSON.stringify(socks.value)}`);
    conn.socksProxy = v;
    if (conn.proxyCommand) {
      throw bad(socks.w, `'socks_proxy' and a ProxyCommand (${proxy.from}) are both set: the ProxyCommand carries the connection itself; set one of them`);
    }
  }
  if (connectTimeoutMs === undefined) {
    if (conn.socksProxy) conn.connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_SOCKS_MS;
    else if (conn.proxyCommand || conn.proxyJump) conn.connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_PROXY_MS;
  }
  return conn;
}

export function portNumber(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

/** The ssh config to read: ssh_config_file (inventory), else -F in the ssh arguments, else
 * FLEET_SSH_CONFIG, else ~/.ssh/config; "none" reads none. */
function sshConfigFile(
  v: (Winner & { name: string }) | undefined,
  fromArgs: { value: string; w: Winner } | undefined,
  bad: (w: Winner, d: string) => ConfigError,
): string | undefined {
  const chosen = v && v.value !== null && v.value !== undefined && v.value !== '' ? { value: v.value, w: v as Winner } : fromArgs;
  if (!chosen) return defaultSshConfigFile();
  if (typeof chosen.value !== 'string') throw bad(chosen.w, `'ssh_config_file' must be a path or none, got ${JSON.stringify(chosen.value)}`);
  return chosen.value === 'none' ? undefined : resolvePath(chosen.value, chosen.w.baseDir);
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
