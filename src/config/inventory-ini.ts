// Ansible's INI inventory format -> RawInventory, as ansible-core's ini plugin reads it:
//   host lines before any section are ungrouped; [g] host lines, split like a shell (shlex),
//   with inline key=value; [g:vars] key=value lines; [g:children] group names; lines
//   starting with # or ; are comments. Every value is read as a Python literal.
import { dirname } from 'node:path';
import { ConfigError } from '../model/errors.js';
import { expandHostRange } from './host-range.js';
import { setVar } from './inventory-raw.js';
import type { RawGroup, RawInventory } from './inventory-raw.js';
import { pythonLiteral } from './python-literal.js';
import { shlexSplit, type ShlexError, type Word } from './shlex.js';

export function parseIniInventory(file: string, text: string, raw: RawInventory): void {
  const baseDir = dirname(file);
  let section: { group: RawGroup; kind: 'hosts' | 'vars' | 'children' } = {
    group: raw.group('all', { file, line: 1, column: 1 }),
    kind: 'hosts',
  };
  // As Ansible: [g] or [g:children] declares g; [g:vars] and a child named in [p:children]
  // must be declared somewhere in the same file (a typo there is an error, not a new group).
  const declared = new Set(['all', 'ungrouped']);
  const pending = new Map<string, { line: number; column: number; detail: string }>();
  const lines = text.split(/\r?\n/);
  lines.forEach((rawLine, i) => {
    const line = i + 1;
    const trimmed = rawLine.trim();
    if (!trimmed || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const indent = rawLine.length - rawLine.trimStart().length;
    const at = (column: number) => ({ file, line, column });
    const fail = (column: number, detail: string) => new ConfigError(file, line, column, detail);

    if (trimmed.startsWith('[')) {
      const m = /^\[([^\]:\s]+)(?::([^\]\s]+))?\]\s*(?:[#;].*)?$/.exec(trimmed);
      if (!m) throw fail(indent + 1, `expected a section header like [group], [group:vars] or [group:children], got ${JSON.stringify(trimmed)}`);
      const [, name, suffix] = m;
      if (suffix !== undefined && suffix !== 'vars' && suffix !== 'children') {
        throw fail(indent + 2 + name.length, `unknown section kind ':${suffix}' (allowed: :vars, :children)`);
      }
      const kind = (suffix as 'vars' | 'children') ?? 'hosts';
      section = { group: raw.group(name, at(indent + 2)), kind };
      if (kind !== 'vars') {
        declared.add(name);
        pending.delete(name);
      } else if (!declared.has(name) && !pending.has(name)) {
        pending.set(name, { line, column: indent + 2, detail: `[${name}:vars] is for group '${name}', which this file never declares: expected a [${name}] or [${name}:children] section` });
      }
      return;
    }

    if (section.kind === 'vars') {
      // Ansible takes everything after the first = as the value, comments included.
      const eq = trimmed.indexOf('=');
      if (eq <= 0) throw fail(indent + 1, `expected key=value in [${section.group.name}:vars], got ${JSON.stringify(trimmed)}`);
      const key = trimmed.slice(0, eq).trim();
      const text = trimmed.slice(eq + 1).trim();
      const value = parseIniValue(text);
      const where = `${file}:${line}`;
      if (typeof value === 'string' && /\s[#;]/.test(text)) {
        raw.warnings.push(`${where}: the value of ${key} includes the text after # or ; (${JSON.stringify(text)}): Ansible reads a [group:vars] value to the end of the line; put comments on their own line`);
      }
      warnStringBool(raw, where, key, value);
      setVar(section.group.inline, key, { value, source: at(indent + 1), baseDir });
      return;
    }

    let tokens: Word[];
    try {
      tokens = shlexSplit(rawLine);
    } catch (e) {
      throw fail((e as ShlexError).column ?? indent + 1, `cannot split this line into words: ${(e as Error).message}`);
    }
    if (tokens.length === 0) return;
    if (section.kind === 'children') {
      if (tokens.length > 1) throw fail(tokens[1].column, `expected one group name per line in [${section.group.name}:children]`);
      const child = tokens[0].text;
      raw.addChild(section.group, child, at(tokens[0].column));
      raw.group(child, at(tokens[0].column));
      if (!declared.has(child) && !pending.has(child)) {
        pending.set(child, { line, column: tokens[0].column, detail: `[${section.group.name}:children] names group '${child}', which this file never declares: expected a [${child}] or [${child}:children] section` });
      }
      return;
    }

    // A host line: NAME[:PORT] key=value ...
    let name = tokens[0].text;
    const extra: [string, unknown, number][] = [];
    const hp = /^(.*):(\d+)$/.exec(name);
    if (hp && !/\[[^\]]*$/.test(hp[1])) {
      name = hp[1];
      extra.push(['ansible_port', Number(hp[2]), tokens[0].column]);
    }
    if (name.endsWith(':')) throw fail(tokens[0].column, `host '${name}': a host name cannot end with ':' (it is reserved for a port)`);
    if (name === '---') throw fail(tokens[0].column, "'---' is not a host name: this file looks like YAML");
    for (const t of tokens.slice(1)) {
      const eq = t.text.indexOf('=');
      if (eq <= 0) throw fail(t.column, `expected key=value after the host name, got ${JSON.stringify(t.text)}`);
      const key = t.text.slice(0, eq);
      const value = parseIniValue(t.text.slice(eq + 1));
      warnStringBool(raw, `${file}:${line}`, key, value);
      extra.push([key, value, t.column]);
    }
    let names: string[];
    try {
      names = expandHostRange(name);
    } catch (e) {
      throw fail(tokens[0].column, (e as Error).message);
    }
    for (const n of names) {
      const h = raw.host(n, at(tokens[0].column));
      raw.addHostToGroup(n, section.group);
      for (const [k, v, col] of extra) setVar(h.inline, k, { value: v, source: at(col), baseDir });
    }
  });
  const first = [...pending.values()].sort((a, b) => a.line - b.line)[0];
  if (first) throw new ConfigError(file, first.line, first.column, first.detail);
}

/** Ansible reads INI values as Python literals (ast.literal_eval): numbers, 'quoted' strings,
 * True/False/None, lists, dicts. Anything else stays text: `no` and `true` are strings. */
export function parseIniValue(v: string): unknown {
  const lit = pythonLiteral(v);
  return lit ? lit.value : v;
}

/** Booleans fleet reads from any spelling itself (connection settings). */
const READ_AS_BOOL = new Set(['become', 'ansible_become']);

/** `enable_tls=no` is the string "no" in an INI inventory, which a `when:` finds true. */
function warnStringBool(raw: RawInventory, where: string, key: string, value: unknown): void {
  if (typeof value !== 'string' || READ_AS_BOOL.has(key) || !/^(?:yes|no|on|off|true|false)$/i.test(value)) return;
  raw.warnings.push(
    `${where}: ${key}=${value} is the string "${value}" in an INI inventory (Ansible reads INI values as Python literals: only True and False are booleans), and a non-empty string is true in a condition; write ${/^(?:yes|on|true)$/i.test(value) ? 'True' : 'False'}, or use it as "${key} | bool"`,
  );
}
