// Split a line into words as Python's shlex.split(line, comments=True) does (POSIX mode):
// Ansible splits INI host lines and ssh arguments this way. Quotes are removed; inside double
// quotes a backslash escapes only " and \; a # outside quotes ends the line.

export interface Word {
  text: string;
  /** 1-based column where the word starts (its opening quote, if any). */
  column: number;
}

export class ShlexError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
  }
}

export function shlexSplit(line: string, opts: { comments?: boolean } = {}): Word[] {
  const comments = opts.comments ?? true;
  const out: Word[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && /\s/.test(line[i])) i++;
    if (i >= n || (comments && line[i] === '#')) return out;
    const start = i;
    let text = '';
    let quoted = false;
    let comment = false;
    while (i < n && !/\s/.test(line[i])) {
      const c = line[i];
      if (comments && c === '#') {
        comment = true;
        break;
      }
      if (c === "'") {
        const end = line.indexOf("'", i + 1);
        if (end < 0) throw new ShlexError("no closing quotation (')", i + 1);
        text += line.slice(i + 1, end);
        i = end + 1;
        quoted = true;
      } else if (c === '"') {
        let j = i + 1;
        for (; j < n && line[j] !== '"'; j++) {
          if (line[j] === '\\' && (line[j + 1] === '"' || line[j + 1] === '\\')) j++;
          text += line[j];
        }
        if (j >= n) throw new ShlexError('no closing quotation (")', i + 1);
        i = j + 1;
        quoted = true;
      } else if (c === '\\') {
        if (i + 1 >= n) throw new ShlexError('no escaped character after \\', i + 1);
        text += line[i + 1];
        i += 2;
      } else {
        text += c;
        i++;
      }
    }
    if (text || quoted) out.push({ text, column: start + 1 });
    if (comment) return out;
  }
}
