// Pure text edits behind `line` (like lineinfile) and `block` (like blockinfile). They work
// on lines; the trailing newline of the file is kept, and one is added when we append.

export interface Text {
  lines: string[];
  /** Did the original end with "\n"? */
  finalNewline: boolean;
}

export function splitText(content: string): Text {
  if (content === '') return { lines: [], finalNewline: true };
  const finalNewline = content.endsWith('\n');
  const lines = (finalNewline ? content.slice(0, -1) : content).split('\n');
  return { lines, finalNewline };
}

export function joinText(t: Text): string {
  if (!t.lines.length) return '';
  return t.lines.join('\n') + (t.finalNewline ? '\n' : '');
}

export function compile(re: string, what: string): RegExp {
  try {
    return new RegExp(re);
  } catch (e) {
    throw new Error(`${what} ${JSON.stringify(re)}: not a valid regular expression (${(e as Error).message})`, { cause: e });
  }
}

function lastIndex(lines: string[], re: RegExp): number {
  for (let i = lines.length - 1; i >= 0; i--) if (re.test(lines[i])) return i;
  return -1;
}

/** Index where new lines go, from insertafter / insertbefore (EOF, BOF or a regex; last match). */
export function insertionIndex(lines: string[], insertafter?: string, insertbefore?: string): number {
  if (insertbefore !== undefined) {
    if (insertbefore === 'BOF') return 0;
    const i = lastIndex(lines, compile(insertbefore, 'insertbefore'));
    return i >= 0 ? i : lines.length;
  }
  if (insertafter !== undefined && insertafter !== 'EOF') {
    if (insertafter === 'BOF') return 0;
    const i = lastIndex(lines, compile(insertafter, 'insertafter'));
    return i >= 0 ? i + 1 : lines.length;
  }
  return lines.length;
}

export interface LineEdit {
  line?: string;
  regexp?: string;
  state: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
}

/** New content for a lineinfile-style edit. */
export function editLine(content: string, e: LineEdit): string {
  const t = splitText(content);
  const re = e.regexp !== undefined ? compile(e.regexp, 'regexp') : undefined;
  if (e.state === 'absent') {
    t.lines = t.lines.filter((l) => (re ? !re.test(l) : l !== e.line));
    return joinText(t);
  }
  const line = e.line ?? '';
  if (re) {
    const i = lastIndex(t.lines, re);
    if (i >= 0) {
      t.lines[i] = line;
      return joinText(t);
    }
  }
  if (t.lines.includes(line)) return joinText(t);
  t.lines.splice(insertionIndex(t.lines, e.insertafter, e.insertbefore), 0, line);
  t.finalNewline = true;
  return joinText(t);
}

export interface BlockEdit {
  block: string;
  /** Marker template containing {mark}. */
  marker: string;
  markerBegin: string;
  markerEnd: string;
  state: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
}

/** New content for a blockinfile-style edit: the lines between the markers are ours. */
export function editBlock(content: string, e: BlockEdit): string {
  const t = splitText(content);
  const begin = e.marker.replace('{mark}', e.markerBegin);
  const end = e.marker.replace('{mark}', e.markerEnd);
  const b = t.lines.indexOf(begin);
  const en = b >= 0 ? t.lines.indexOf(end, b + 1) : -1;
  const body = e.block === '' ? [] : splitText(e.block).lines;
  // An empty block means "no block", as in Ansible.
  const wanted = e.state === 'present' && body.length ? [begin, ...body, end] : [];
  if (b >= 0 && en >= 0) {
    t.lines.splice(b, en - b + 1, ...wanted);
  } else if (wanted.length) {
    t.lines.splice(insertionIndex(t.lines, e.insertafter, e.insertbefore), 0, ...wanted);
    t.finalNewline = true;
  }
  return joinText(t);
}
