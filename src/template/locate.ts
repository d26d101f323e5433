// Positions in the files values came from. A template error knows its line and column
// inside the value's text; the value knows only where its task, play or variable starts.
// The text's failing line is looked for in the file from there, so an error on line 7 of
// a block scalar points at that line of the file, at the right column. When the text
// cannot be found as written (escapes in a quoted scalar), the start is the answer.
import { readFileSync } from 'node:fs';
import type { Source } from '../model/inventory.js';

const files = new Map<string, string[] | null>();

function linesOf(file: string): string[] | null {
  let l = files.get(file);
  if (l === undefined) {
    try {
      l = readFileSync(file, 'utf8').split(/\r?\n/);
    } catch {
      l = null;
    }
    if (files.size > 500) files.clear();
    files.set(file, l);
  }
  return l;
}

/** Forget cached file texts (a test rewrote a file). */
export function clearLocateCache(): void {
  files.clear();
}

/** The line of `key:` at or below `fromLine` (a variable in a play's or role's mapping). */
export function findKeySource(file: string, fromLine: number, key: string): Source | undefined {
  const lines = linesOf(file);
  if (!lines) return undefined;
  const esc = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^(\\s*(?:-\\s+)?)(["']?)${esc}\\2\\s*:(\\s|$)`);
  for (let i = Math.max(0, fromLine - 1); i < lines.length; i++) {
    const m = re.exec(lines[i]);
    if (m) return { file, line: i + 1, column: m[1].length + 1 };
  }
  return undefined;
}

/** Where (line, 1-based column) a position inside a value's text lies in its file. `line`
 * is 1-based and `column` 0-based inside the text. */
export function locateInFile(
  origin: Source,
  text: string,
  line: number | undefined,
  column: number | undefined,
): { line?: number; column?: number } {
  if (line === undefined) return { line: origin.line, column: origin.column };
  const textLines = text.split('\n');
  const wanted = textLines[line - 1] ?? '';
  const lines = origin.line !== undefined ? linesOf(origin.file) : null;
  if (lines && wanted.trim() !== '') {
    const found = search(lines, origin.line! - 1, textLines, line - 1);
    if (found) return { line: found.line + 1, column: column === undefined ? undefined : found.offset + column + 1 };
  }
  // A folded scalar (`when: >`) joins file lines: its text line is not in the file, but the
  // failing part is, from the column on (or at least its first word).
  if (lines && column !== undefined) {
    const rest = wanted.slice(column).trim();
    for (const part of [rest, rest.split(/\s/)[0]]) {
      if (part.length < 3) continue;
      const found = search(lines, origin.line! - 1, [part], 0);
      if (found) return { line: found.line + 1, column: found.offset + 1 };
    }
  }
  return offsetFrom(origin, line, column);
}

/** The first file line at or after `from` that contains text line `idx`, preferring one
 * whose neighbours also match the text's (the same line can appear twice in a task). */
function search(lines: string[], from: number, textLines: string[], idx: number): { line: number; offset: number } | undefined {
  const wanted = textLines[idx];
  let best: { line: number; offset: number; score: number } | undefined;
  // A value lies within a few hundred lines of where its task or variable starts.
  const end = Math.min(lines.length, from + 2000);
  for (let i = Math.max(0, from); i < end; i++) {
    const offset = lines[i].indexOf(wanted);
    if (offset < 0) continue;
    let score = 1;
    for (let d = 1; d <= 3 && idx - d >= 0 && i - d >= 0; d++) {
      const t = textLines[idx - d].trim();
      if (t === '' || lines[i - d].includes(t)) score++;
    }
    if (!best || score > best.score) best = { line: i, offset, score };
    if (score === Math.min(4, idx + 1)) break;
  }
  return best;
}

/** A position inside a text counted from where the text starts in its file (the first
 * line's column is offset by the text's own column). */
export function offsetFrom(origin: Source, line: number | undefined, column: number | undefined): { line?: number; column?: number } {
  if (line === undefined) return { line: origin.line, column: origin.column };
  const base = origin.line ?? 1;
  const absLine = base + line - 1;
  if (column === undefined) return { line: absLine };
  // On the text's first line the column is offset by where the text starts in the file.
  const absColumn = line === 1 && origin.column !== undefined ? origin.column + column : column + 1;
  return { line: absLine, column: absColumn };
}

/** Line (1-based) and column (0-based) of an offset in a text. */
export function lineCol(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      start = i + 1;
    }
  }
  return { line, column: pos - start };
}
