// What ~/.ssh/config contributes to one host's connection: HostName, User, Port,
// IdentityFile, ProxyCommand, ProxyJump (a jump host's own alias resolved through the same
// file), each with the file:line it came from. Values fleet cannot apply are refused there.
import { existsSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { ConfigError } from '../model/errors.js';
import type { Source } from '../model/inventory.js';
import { proxyCommandProblem } from './ssh-args.js';
import { sshConfigAt, type SshConfigValue } from './ssh-config.js';

interface Contribution<T> {
  value: T;
  source: Source;
  setting: string;
}

export interface SshConfigContribution {
  address?: Contribution<string>;
  port?: Contribution<number>;
  user?: Contribution<string>;
  privateKeyFile?: Contribution<string>;
  proxyCommand?: Contribution<string>;
  proxyJump?: Contribution<string>;
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? '';
  }
}

const fail = (host: string, v: SshConfigValue, detail: string) =>
  new ConfigError(v.source.file, v.source.line, v.source.column, `host '${host}': ${detail}`);

/** Expand ssh_config tokens in a value; a token fleet does not know is refused. */
function expand(host: string, v: SshConfigValue, keyword: string, tokens: Record<string, string>): string {
  let out = v.value.replace(/%(.)/g, (_all, c: string) => {
    if (c in tokens) return tokens[c];
    throw fail(host, v, `${keyword} ${v.value}: token %${c} is not one fleet expands here (${Object.keys(tokens).map((k) => `%${k}`).join(' ')})`);
  });
  if (out === '~' || out.startsWith('~/')) out = homedir() + out.slice(1);
  return out;
}

export function applySshConfig(file: string, name: string, user: string | undefined): SshConfigContribution {
  const config = sshConfigAt(file);
  const r = config.lookup(name, user);
  const out: SshConfigContribution = {};
  // Both would change the connection in ways fleet does not follow: refuse, never ignore.
  if (r.canonicalizehostname && /^(yes|always)$/i.test(r.canonicalizehostname.value)) {
    throw fail(name, r.canonicalizehostname, 'CanonicalizeHostname is not supported by fleet (it would change which Host blocks apply); set HostName instead');
  }
  if (r.proxyusefdpass && /^yes$/i.test(r.proxyusefdpass.value) && r.proxycommand) {
    throw fail(name, r.proxyusefdpass, 'ProxyUseFdpass is not supported by fleet: its ProxyCommand must carry the connection on stdin/stdout');
  }
  const put = <K extends keyof SshConfigContribution>(k: K, v: SshConfigValue, setting: string, value: NonNullable<SshConfigContribution[K]>['value']) => {
    out[k] = { value, source: v.source, setting } as SshConfigContribution[K];
  };
  if (r.hostname) put('address', r.hostname, 'HostName', expand(name, r.hostname, 'HostName', { h: name, '%': '%' }));
  if (r.port) {
    const n = /^\d+$/.test(r.port.value) ? Number(r.port.value) : NaN;
    if (!(n >= 1 && n <= 65535)) throw fail(name, r.port, `Port must be a number from 1 to 65535, got ${JSON.stringify(r.port.value)}`);
    put('port', r.port, 'Port', n);
  }
  if (r.user) put('user', r.user, 'User', r.user.value);
  const remoteHost = out.address?.value ?? name;
  const remoteUser = user ?? out.user?.value ?? 'root';
  if (r.identityfile?.length) {
    // OpenSSH offers every IdentityFile; fleet uses one key per host: the first that exists.
    const tokens = { d: homedir(), u: localUser(), h: remoteHost, r: remoteUser, l: hostname(), '%': '%' };
    const files = r.identityfile.map((v) => ({ v, path: expand(name, v, 'IdentityFile', tokens) }));
    const chosen = files.find((f) => existsSync(f.path)) ?? files[0];
    put('privateKeyFile', chosen.v, 'IdentityFile', chosen.path);
  }
  if (r.proxycommand && r.proxycommand.value !== 'none') {
    const p = proxyCommandProblem(r.proxycommand.value);
    if (p) throw fail(name, r.proxycommand, `${p}; fleet will not connect directly instead`);
    put('proxyCommand', r.proxycommand, 'ProxyCommand', r.proxycommand.value);
  } else if (r.proxyjump && r.proxyjump.value !== 'none') {
    put('proxyJump', r.proxyjump, 'ProxyJump', resolveJump(file, name, r.proxyjump));
  }
  return out;
}

/** ProxyJump names a jump host the way ssh is given one: its alias resolves through the
 * same file (HostName, User, Port), as ssh does for the jump connection. */
function resolveJump(file: string, host: string, v: SshConfigValue): string {
  const spec = v.value.replace(/^ssh:\/\//, '');
  if (spec.includes(',')) throw fail(host, v, `ProxyJump ${v.value} has several hops; fleet supports one`);
  const m = /^(?:([^@]+)@)?([^@:\s]+|\[[^\]]+\])(?::(\d+))?$/.exec(spec);
  if (!m) throw fail(host, v, `ProxyJump ${v.value}: expected [user@]host[:port]`);
  const [, u, alias, p] = m;
  const j = sshConfigAt(file).lookup(alias, u);
  if (j.proxycommand || j.proxyjump) {
    throw fail(host, v, `ProxyJump ${alias}: that jump host is itself reached through a proxy (${(j.proxycommand ?? j.proxyjump)!.source.file}:${(j.proxycommand ?? j.proxyjump)!.source.line}); fleet supports one hop`);
  }
  const jumpHost = j.hostname ? expand(alias, j.hostname, 'HostName', { h: alias, '%': '%' }) : alias;
  const jumpUser = u ?? j.user?.value;
  const jumpPort = p ?? j.port?.value;
  return `${jumpUser ? `${jumpUser}@` : ''}${jumpHost}${jumpPort ? `:${jumpPort}` : ''}`;
}
