// ~/.ssh/config, as OpenSSH applies it to one connection: Host and Match blocks in order, the
// first value obtained for each keyword wins (IdentityFile adds up), Include pulls files in at
// its place. fleet reads what decides how a host is reached: HostName, User, Port,
// IdentityFile, ProxyJump, ProxyCommand. The text is parsed by the `ssh-config` package
// (quoting, `=` separators, multi-value keywords); the resolution is ours, because that
// package's compute() knows no line numbers, no Include, and runs `Match exec` commands.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse, type Line } from 'ssh-config';
import { ConfigError } from '../model/errors.js';
import type { Source } from '../model/inventory.js';

/** The keywords fleet applies, and two it must see to refuse them; every other keyword of
 * the file is ignored. */
const USED = ['hostname', 'user', 'port', 'identityfile', 'proxyjump', 'proxycommand', 'proxyusefdpass', 'canonicalizehostname'] as const;
type Used = (typeof USED)[number];
const MAX_INCLUDE_DEPTH = 16; // as OpenSSH's READCONF_MAX_DEPTH

interface Entry {
  key: string; // lower case
  value: string;
  source: Source;
  /** Blocks (Host or Match lines) that must all match for this entry to apply. */
  when: Block[];
}

interface Block {
  kind: 'host' | 'match';
  /** Host: patterns; Match: criteria [keyword, argument]. */
  patterns: string[];
  criteria: [string, string][];
  source: Source;
}

export interface SshConfigValue {
  value: string;
  source: Source;
}

/** What the file says for one host (only what it says). */
export type SshConfigResult = Partial<Record<Exclude<Used, 'identityfile'>, SshConfigValue>> & { identityfile?: SshConfigValue[] };

export class SshConfig {
  private constructor(
    readonly file: string,
    private readonly entries: Entry[],
  ) {}

  /** Read a config file (and what it includes). A missing file is an empty config. */
  static read(file: string): SshConfig {
    const entries: Entry[] = [];
    if (existsSync(file)) readInto(resolve(file), [], entries, 0);
    return new SshConfig(resolve(file), entries);
  }

  /** Apply the file to a connection to `host` (the name ssh would be given). `user` is the
   * remote user when the inventory sets one (it matches `Match user`). Throws ConfigError at
   * the line of a block fleet cannot evaluate, when that block could set what fleet uses. */
  lookup(host: string, user?: string): SshConfigResult {
    const out: SshConfigResult = {};
    const ctx = { original: host, host, user: user ?? localUser() };
    for (const e of this.entries) {
      const applies = e.when.every((b) => this.matches(b, ctx, e));
      if (!applies || !(USED as readonly string[]).includes(e.key)) continue;
      const key = e.key as Used;
      if (key === 'identityfile') {
        (out.identityfile ??= []).push({ value: e.value, source: e.source });
        continue;
      }
      if (out[key]) continue; // the first obtained value wins
      out[key] = { value: e.value, source: e.source };
      if (key === 'hostname') ctx.host = e.value.replace(/%h/g, ctx.original).replace(/%%/g, '%');
      if (key === 'user' && user === undefined) ctx.user = e.value;
    }
    return out;
  }

  private matches(b: Block, ctx: { original: string; host: string; user: string }, e: Entry): boolean {
    if (b.kind === 'host') return patternList(b.patterns, ctx.original);
    for (const [kw, arg] of b.criteria) {
      const negate = kw.startsWith('!');
      const k = negate ? kw.slice(1).toLowerCase() : kw.toLowerCase();
      let m: boolean;
      if (k === 'all') m = true;
      else if (k === 'host') m = patternList(arg.split(','), ctx.host);
      else if (k === 'originalhost') m = patternList(arg.split(','), ctx.original);
      else if (k === 'user') m = patternList(arg.split(','), ctx.user);
      else if (k === 'localuser') m = patternList(arg.split(','), localUser());
      else {
        // exec, canonical, final, tagged, localnetwork...: fleet does not evaluate them. That
        // only matters when the rest of the block matches (checked before this criterion
        // would) and the entry is one fleet uses.
        if (!(USED as readonly string[]).includes(e.key)) return false;
        const rest = b.criteria.filter(([x]) => x !== kw);
        if (rest.every(([x, a]) => this.matches({ ...b, criteria: [[x, a]] }, ctx, e))) {
          throw new ConfigError(b.source.file, b.source.line, b.source.column,
            `Match ${kw} is not supported by fleet, and this block may set ${e.key} (line ${e.source.line}) for host '${ctx.original}': fleet will not guess; move that setting to a Host block or into the inventory`);
        }
        return false;
      }
      if (negate ? m : !m) return false;
    }
    return true;
  }
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? '';
  }
}

/** ssh_config PATTERNS: `*` and `?` wildcards, `!` negation; a negated match vetoes. */
export function patternList(patterns: string[], text: string): boolean {
  let hit = false;
  for (const raw of patterns) {
    const p = raw.trim();
    if (!p) continue;
    const negate = p.startsWith('!');
    const re = new RegExp(`^${(negate ? p.slice(1) : p).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
    if (re.test(text)) {
      if (negate) return false;
      hit = true;
    }
  }
  return hit;
}

/** The value of a directive as text; ProxyCommand keeps its quotes and separators. */
function valueText(d: { param: string; value: unknown }): string {
  const v = d.value as string | { val: string; separator: string; quoted?: boolean }[];
  if (typeof v === 'string') return v;
  const command = /^(proxycommand|knownhostscommand)$/i.test(d.param);
  return v
    .map(({ val, separator, quoted }, i) => (i === 0 ? '' : command ? separator : ' ') + (command && quoted ? `"${val.replace(/"/g, '\\"')}"` : val))
    .join('')
    .trim();
}

function words(d: { value: unknown }): string[] {
  const v = d.value as string | { val: string }[];
  return typeof v === 'string' ? [v] : v.map((x) => x.val);
}

function readInto(file: string, outer: Block[], out: Entry[], depth: number): void {
  if (depth > MAX_INCLUDE_DEPTH) throw new ConfigError(file, undefined, undefined, `Include nested deeper than ${MAX_INCLUDE_DEPTH} files (a loop?)`);
  const text = readFileSync(file, 'utf8');
  let lines: Line[];
  try {
    lines = parse(text);
  } catch (e) {
    throw new ConfigError(file, undefined, undefined, `cannot read this ssh config: ${(e as Error).message}`);
  }
  // Line numbers: the parser keeps the whitespace before and after each line.
  let lineNo = 1;
  const nl = (s: string | undefined) => (s ?? '').split('\n').length - 1;
  const walk = (list: Line[], when: Block[]) => {
    for (const l of list) {
      lineNo += nl(l.before);
      const source: Source = { file, line: lineNo, column: (l.before ?? '').split('\n').pop()!.length + 1 };
      lineNo += nl(l.after);
      if (l.type !== 1) continue;
      const d = l as Line & { param: string; value: unknown; config?: Line[]; criteria?: Record<string, unknown> };
      const key = d.param.toLowerCase();
      if (key === 'host' || key === 'match') {
        const block: Block =
          key === 'host'
            ? { kind: 'host', patterns: words(d), criteria: [], source }
            : { kind: 'match', patterns: [], criteria: Object.entries(d.criteria ?? {}).map(([k, a]) => [k, Array.isArray(a) ? a.map((x: { val: string }) => x.val).join(',') : String(a)]), source };
        walk(d.config ?? [], [...outer, block]);
      } else if (key === 'include') {
        for (const pattern of words(d)) for (const f of includeFiles(pattern, file, source)) readInto(f, when, out, depth + 1);
      } else {
        out.push({ key, value: valueText(d), source, when });
      }
    }
  };
  walk(lines, outer);
}

/** Include: `~` and relative paths (from the including file's directory, which for
 * ~/.ssh/config is ~/.ssh as in OpenSSH); wildcards in the last path component, in lexical order. */
function includeFiles(pattern: string, from: string, source: Source): string[] {
  let p = pattern.startsWith('~/') ? join(homedir(), pattern.slice(2)) : pattern;
  if (!isAbsolute(p)) p = join(dirname(from), p);
  if (/[*?[]/.test(dirname(p))) {
    throw new ConfigError(source.file, source.line, source.column, `Include ${pattern}: fleet expands wildcards in the file name only, not in directories`);
  }
  if (!/[*?]/.test(basename(p))) return existsSync(p) ? [p] : [];
  const dir = dirname(p);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => patternList([basename(p)], f) && statSync(join(dir, f)).isFile())
    .sort()
    .map((f) => join(dir, f));
}

const cache = new Map<string, { mtimeMs: number; config: SshConfig }>();

/** Read (once per change) the ssh config at `file`. */
export function sshConfigAt(file: string): SshConfig {
  const mtimeMs = existsSync(file) ? statSync(file).mtimeMs : -1;
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === mtimeMs) return hit.config;
  const config = SshConfig.read(file);
  cache.set(file, { mtimeMs, config });
  return config;
}

/** Which file: FLEET_SSH_CONFIG (a path, or "none"), else ~/.ssh/config. */
export function defaultSshConfigFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = env.FLEET_SSH_CONFIG;
  if (v !== undefined) return v === '' || v === 'none' ? undefined : v;
  return join(homedir(), '.ssh', 'config');
}
