// ssh command-line arguments as Ansible users write them in ansible_ssh_common_args,
// ansible_ssh_extra_args and ansible_ssh_args: fleet does not run the ssh binary, so it reads
// what decides where the connection goes (ProxyCommand, ProxyJump, -J, -F) and names the rest,
// which it does not apply. A proxy setting it cannot read is a problem, never ignored: going
// direct instead of through the proxy would be wrong, and on some networks a leak.
import { shlexSplit, ShlexError } from './shlex.js';

export interface SshArgs {
  /** ProxyCommand, as written (tokens like %h not expanded); "none" when explicitly none. */
  proxyCommand?: string;
  /** ProxyJump / -J, as written; "none" when explicitly none. */
  proxyJump?: string;
  /** -F: an ssh_config file to read instead of ~/.ssh/config. */
  configFile?: string;
  /** -o ServerAliveInterval=N (seconds): how often fleet's keepalives go, so a cut link is
   * noticed after about 3 of them (ssh's ServerAliveCountMax default). */
  serverAliveIntervalMs?: number;
  /** Options fleet does not apply (for a warning). */
  ignored: string[];
  /** Why a proxy setting could not be understood (refuse to connect). */
  problem?: string;
}

/** ssh flags that take no argument. */
const FLAGS = new Set('46AaCfGgKkMNnqsTtVvXxYy'.split(''));
/** ssh flags whose argument fleet does not apply. */
const WITH_ARG = new Set('BbcDEeIiLlmOoPpQRSw'.split('').filter((c) => c !== 'o'));
/** The tokens ssh expands in ProxyCommand (ssh_config(5) TOKENS) that fleet expands too. */
export const PROXY_COMMAND_TOKENS = ['%%', '%h', '%p', '%r', '%n', '%d', '%u', '%l'];

/** `-o Key=Value` / `-o "Key Value"`: ssh_config syntax, one keyword and its arguments. */
export function splitOption(text: string): { key: string; value: string } | undefined {
  const m = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)([\s\S]*)$/.exec(text);
  if (!m) return undefined;
  let value = m[2].trim();
  // '-o ProxyCommand="ssh -W %h:%p bastion"' inside single quotes keeps the double quotes.
  if (/^"[^"]*"$/.test(value)) value = value.slice(1, -1);
  return { key: m[1], value };
}

/** A ProxyCommand's %-tokens are ones fleet expands; undefined when so, else the problem. */
export function proxyCommandProblem(cmd: string): string | undefined {
  if (cmd.trim() === '') return 'ProxyCommand is empty';
  for (const t of cmd.match(/%./g) ?? []) {
    if (!PROXY_COMMAND_TOKENS.includes(t)) return `ProxyCommand token ${t} is not one fleet expands (${PROXY_COMMAND_TOKENS.join(' ')})`;
  }
  return undefined;
}

export function parseSshArgs(text: string): SshArgs {
  const out: SshArgs = { ignored: [] };
  const proxyish = /proxy|(?:^|\s)-[A-Za-z]*[JW]/i.test(text);
  let words: string[];
  try {
    // Ansible splits these with shlex.split (no comments).
    words = shlexSplit(text, { comments: false }).map((w) => w.text);
  } catch (e) {
    const why = `cannot split the arguments like a shell: ${(e as ShlexError).message}`;
    if (proxyish) out.problem = why;
    else out.ignored.push(why);
    return out;
  }
  const setProxy = (kind: 'command' | 'jump', value: string, as: string) => {
    // ssh: ProxyCommand and ProxyJump compete; whichever comes first wins.
    if (out.proxyCommand !== undefined || out.proxyJump !== undefined) return;
    if (value === '') {
      out.problem ??= `${as} has no value`;
      return;
    }
    if (kind === 'command') {
      const p = value === 'none' ? undefined : proxyCommandProblem(value);
      if (p) out.problem ??= p;
      else out.proxyCommand = value;
    } else {
      if (value !== 'none' && value.includes(',')) out.problem ??= `ProxyJump ${value} has several hops; fleet supports one (user@host:port)`;
      else out.proxyJump = value;
    }
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const m = /^-([A-Za-z])(.*)$/s.exec(w);
    if (!m) {
      // ssh would take a stray word for the destination: most often the rest of an unquoted
      // ProxyCommand (-o ProxyCommand=nc %h %p).
      if (proxyish) out.problem ??= `unexpected word ${JSON.stringify(w)} (a ProxyCommand with spaces must be quoted: -o 'ProxyCommand=...')`;
      else out.ignored.push(w);
      continue;
    }
    const [, flag, attached] = m;
    const arg = (): string | undefined => (attached !== '' ? attached : words[++i]);
    if (flag === 'o') {
      const o = arg();
      const kv = o === undefined ? undefined : splitOption(o);
      if (!kv) {
        if (/proxy/i.test(o ?? '')) out.problem ??= `cannot read the ssh option ${JSON.stringify(o)}`;
        else out.ignored.push(`-o ${o ?? ''}`.trim());
        continue;
      }
      const key = kv.key.toLowerCase();
      if (key === 'proxycommand') setProxy('command', kv.value, 'ProxyCommand');
      else if (key === 'proxyjump') setProxy('jump', kv.value, 'ProxyJump');
      else if (key.startsWith('proxy')) out.problem ??= `ssh option ${kv.key} is not supported by fleet`;
      else if (key === 'serveraliveinterval' && /^[1-9][0-9]{0,4}$/.test(kv.value)) out.serverAliveIntervalMs ??= Number(kv.value) * 1000;
      else out.ignored.push(`-o ${kv.key}=${kv.value}`);
    } else if (flag === 'J') {
      setProxy('jump', arg() ?? '', '-J');
    } else if (flag === 'F') {
      const f = arg();
      if (f) out.configFile = f;
    } else if (flag === 'W') {
      out.problem ??= '-W belongs in the ProxyCommand of the bastion, not in the arguments of the connection';
    } else if (FLAGS.has(flag)) {
      // Flags may be grouped (-qC): none of them changes where the connection goes.
      out.ignored.push(w);
    } else if (WITH_ARG.has(flag)) {
      out.ignored.push(`-${flag} ${arg() ?? ''}`.trim());
    } else {
      out.ignored.push(w);
    }
  }
  return out;
}
