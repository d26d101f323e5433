// Ansible's INI inventory format -> RawInventory.
//   host lines before any section are ungrouped; [g] host lines with inline key=value;
//   [g:vars] key=value lines; [g:children] group names; comments start with # or ;.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../model/errors.js';
import { expandHostRange } from './host-range.js';
import { setVar } from './inventory-raw.js';
import type { RawGroup, RawInventory } from './inventory-raw.js';

interface Token {
  text: string;
  column: number; // 1-based
}

export function readIniInventory(file: string, raw: RawInventory): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, undefined, undefined, `cannot read file: ${(e as Error).message}`);
  }
  parseIniInventory(file, text, raw);
}

export function parseIniInventory(file: string, text: string, raw: RawInventory): void {
  const baseDir = dirname(file);
  let section: { group: RawGroup; kind: 'hosts' | 'vars' | 'children' } = {
    group: raw.group('all', { file, line: 1, column: 1 }),
    kind: 'hosts',
  };
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
      section = { group: raw.group(name, at(indent + 2)), kind: (suffix as 'vars' | 'children') ?? 'hosts' };
      return;
    }

    if (section.kind === 'vars') {
      const eq = trimmed.indexOf('=');
      if (eq <= 0) throw fail(indent + 1, `expected key=value in [${section.group.name}:vars], got ${JSON.stringify(trimmed)}`);
      const key = trimmed.slice(0, eq).trim();
      setVar(section.group.inline, key, { value: parseIniValue(trimmed.slice(eq + 1).trim()), source: at(indent + 1), baseDir });
      return;
    }

    const tokens = tokenize(rawLine, fail);
    if (tokens.length === 0) return;
    if (section.kind === 'children') {
      if (tokens.length > 1) throw fail(tokens[1].column, `expected one group name per line in [${section.group.name}:children]`);
      raw.addChild(section.group, tokens[0].text, at(tokens[0].column));
      raw.group(tokens[0].text, at(tokens[0].column));
      return;
    }

    // A host line: NAME[:PORT] key=value ...
    let name = tokens[0].text;
    const extra: [string, unknown, number][] = [];
    const hp = /^([^:]+):(\d+)$/.exec(name);
    if (hp) {
      name = hp[1];
      extra.push(['ansible_port', Number(hp[2]), tokens[0].column]);
    }
    for (const t of tokens.slice(1)) {
      const eq = t.text.indexOf('=');
      if (eq <= 0) throw fail(t.column, `expected key=value after the host name, got ${JSON.stringify(t.text)}`);
      extra.push([t.text.slice(0, eq), parseIniValue(t.text.slice(eq + 1)), t.column]);
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
}

/** Ansible reads INI values as Python literals: numbers, True/False, quoted strings. */
export function parseIniValue(v: string): unknown {
  if (/^-?\d+$/.test(v)) return Number(v);
  if (/^-?\d+\.\d+$/.test(v)) return Number(v);
  if (/^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  const q = /^(['"])(.*)\1$/.exec(v);
  if (q) return q[2];
  return v;
}

/** Split a host line like a shell would (quotes kept around values), stopping at a # comment. */
function tokenize(line: string, fail: (col: number, detail: string) => Error): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length || line[i] === '#' || line[i] === ';') break;
    const start = i;
    let text = '';
    while (i < line.length && !/\s/.test(line[i])) {
      const c = line[i];
      if (c === '"' || c === "'") {
        const end = line.indexOf(c, i + 1);
        if (end < 0) throw fail(i + 1, `unterminated ${c} quote`);
        text += line.slice(i, end + 1); // keep quotes so parseIniValue sees a string literal
        i = end + 1;
      } else if (c === '\\' && i + 1 < line.length) {
        text += line[i + 1];
        i += 2;
      } else {
        text += c;
        i++;
      }
    }
    out.push({ text, column: start + 1 });
  }
  return out;
}
