// Which proxy a host is reached through, from the inventory: fleet's proxy_command and
// proxy_jump, else the ssh argument variables Ansible users write.
import { ConfigError } from '../model/errors.js';
import type { Winner } from './winner.js';
import { parseSshArgs, proxyCommandProblem } from './ssh-args.js';

/** Variables holding ssh arguments, in the order Ansible puts them on ssh's command line
 * (where the first ProxyCommand or ProxyJump wins, as in ssh). */
export const SSH_ARGS_VARS = ['ansible_ssh_args', 'ansible_ssh_common_args', 'ansible_ssh_extra_args'];

export interface Proxy {
  command?: string;
  jump?: string;
  /** What set it (a variable name), for messages and `fleet vars`. */
  from?: string;
  winner?: Winner;
  /** Set explicitly to none somewhere: nothing (not even ~/.ssh/config) may add a proxy. */
  none?: boolean;
  /** -o ServerAliveInterval in the ssh arguments (the first one, as ssh takes it). */
  keepaliveIntervalMs?: number;
  /** -F in the ssh arguments: the ssh config file to read. */
  configFile?: { value: string; w: Winner };
}

/** The proxy for a host: fleet's proxy_command / proxy_jump, else the ssh arguments. A proxy
 * setting that cannot be understood is an error naming where it was written: connecting
 * directly instead would be wrong, and on some networks a leak. */
export function pickProxy(_host: string, winners: Map<string, Winner>, bad: (w: Winner, d: string) => ConfigError): Proxy {
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
  let configFile: Proxy['configFile'];
  let keepaliveIntervalMs: number | undefined;
  for (const key of SSH_ARGS_VARS) {
    const a = text(key);
    if (!a) continue;
    const parsed = parseSshArgs(a.value);
    if (parsed.problem) throw bad(a.w, `${key}: ${parsed.problem}; fleet will not connect directly instead (fix it, or set proxy_command or proxy_jump)`);
    if (parsed.proxyCommand !== undefined) fromArgs.push({ command: parsed.proxyCommand, from: key, winner: a.w });
    else if (parsed.proxyJump !== undefined) fromArgs.push({ jump: parsed.proxyJump, from: key, winner: a.w });
    if (parsed.configFile && !configFile) configFile = { value: parsed.configFile, w: a.w };
    keepaliveIntervalMs ??= parsed.serverAliveIntervalMs;
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
    (cmd && { command: cmd.value, from: 'proxy_command', winner: cmd.w }) ?? (jump && { jump: jump.value, from: 'proxy_jump', winner: jump.w }) ?? fromArgs[0] ?? {};
  if (chosen.command === 'none' || chosen.jump === 'none') return { none: true, configFile, keepaliveIntervalMs };
  return { ...chosen, configFile, keepaliveIntervalMs };
}

