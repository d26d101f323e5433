// Python's regular expressions (what Ansible's regex filters and tests use) carried over
// to JavaScript: (?P<name>...) and (?P=name) groups, \A and \Z, `$` before a final newline,
// leading inline flags (?imsx), and Python's replacement syntax (\1, \g<name>). Here in model/
// because the Jinja filters and the replace module (Ansible's replace) both read Python's.

/** A pattern or replacement Python would read but fleet cannot carry over (or Python rejects). */
export class PyRegexError extends Error {}

export interface PyRegexFlags {
  ignorecase?: boolean;
  multiline?: boolean;
  dotall?: boolean;
}

const cache = new Map<string, RegExp>();

/** Compile a Python pattern; `global` for replace/findall. */
export function pyRegex(pattern: string, flags: PyRegexFlags = {}, global = false): RegExp {
  const key = `${pattern}\0${flags.ignorecase ? 'i' : ''}${flags.multiline ? 'm' : ''}${flags.dotall ? 's' : ''}${global ? 'g' : ''}`;
  let re = cache.get(key);
  if (!re) {
    re = compile(pattern, flags, global);
    if (cache.size > 2000) cache.clear();
    cache.set(key, re);
  }
  re.lastIndex = 0;
  return re;
}

function compile(pattern: string, flags: PyRegexFlags, global: boolean): RegExp {
  let src = pattern;
  let i = !!flags.ignorecase;
  let m = !!flags.multiline;
  let s = !!flags.dotall;
  let x = false;
  for (let lead = /^\(\?([aiLmsux]+)\)/.exec(src); lead; lead = /^\(\?([aiLmsux]+)\)/.exec(src)) {
    for (const f of lead[1]) {
      if (f === 'i') i = true;
      else if (f === 'm') m = true;
      else if (f === 's') s = true;
      else if (f === 'x') x = true;
    }
    src = src.slice(lead[0].length);
  }
  const out = translate(src, m, x);
  try {
    return new RegExp(out, `${i ? 'i' : ''}${m ? 'm' : ''}${s ? 's' : ''}${global ? 'g' : ''}`);
  } catch (e) {
    throw new PyRegexError(`invalid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
}

function translate(src: string, multiline: boolean, verbose: boolean): string {
  let out = '';
  let inClass = false;
  for (let k = 0; k < src.length; k++) {
    const c = src[k];
    if (c === '\\') {
      const n = src[k + 1];
      if (!inClass && n === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && n === 'Z') out += '(?![\\s\\S])';
      else out += c + (n ?? '');
      k++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A leading ] or ^] is a literal in both dialects.
      if (src[k + 1] === '^') out += src[++k];
      if (src[k + 1] === ']') out += '\\' + src[++k];
      continue;
    }
    if (verbose && /\s/.test(c)) continue;
    if (verbose && c === '#') {
      while (k < src.length && src[k] !== '\n') k++;
      continue;
    }
    if (c === '(' && src[k + 1] === '?') {
      const rest = src.slice(k);
      let mm: RegExpExecArray | null;
      if ((mm = /^\(\?P<([A-Za-z_]\w*)>/.exec(rest))) {
        out += `(?<${mm[1]}>`;
        k += mm[0].length - 1;
        continue;
      }
      if ((mm = /^\(\?P=([A-Za-z_]\w*)\)/.exec(rest))) {
        out += `\\k<${mm[1]}>`;
        k += mm[0].length - 1;
        continue;
      }
      if ((mm = /^\(\?#[^)]*\)/.exec(rest))) {
        k += mm[0].length - 1;
        continue;
      }
      if (/^\(\?[aiLmsux-]+[:)]/.test(rest))
        throw new PyRegexError('inline regex flags are supported only at the start of the pattern, e.g. (?i)');
      if (/^\(\?\(/.test(rest)) throw new PyRegexError('conditional regex groups (?(...)...) are not supported');
    }
    // Python's $ (without MULTILINE) also matches before a final newline.
    if (c === '$' && !multiline) {
      out += '(?=\\n?(?![\\s\\S]))';
      continue;
    }
    out += c;
  }
  return out;
}

type Part = string | number | { name: string };

/** Python's replacement template: \1, \g<1>, \g<name>, \\ and character escapes. */
function replacementParts(repl: string): Part[] {
  const parts: Part[] = [];
  let lit = '';
  for (let k = 0; k < repl.length; k++) {
    const c = repl[k];
    if (c !== '\\' || k + 1 >= repl.length) {
      lit += c;
      continue;
    }
    const n = repl[k + 1];
    let mm: RegExpExecArray | null;
    if (n === 'g' && (mm = /^\\g<([^>]+)>/.exec(repl.slice(k)))) {
      if (lit) parts.push(lit);
      lit = '';
      parts.push(/^\d+$/.test(mm[1]) ? Number(mm[1]) : { name: mm[1] });
      k += mm[0].length - 1;
    } else if (/\d/.test(n)) {
      mm = /^\\(\d\d?)/.exec(repl.slice(k))!;
      if (lit) parts.push(lit);
      lit = '';
      parts.push(Number(mm[1]));
      k += mm[0].length - 1;
    } else {
      const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', a: '\x07', b: '\b', '\\': '\\' };
      lit += Object.prototype.hasOwnProperty.call(esc, n) ? esc[n] : '\\' + n;
      k++;
    }
  }
  if (lit) parts.push(lit);
  return parts;
}

/** A replacer function for String.replace from a Python replacement template. */
export function pyReplacer(repl: string): (...m: unknown[]) => string {
  const parts = replacementParts(repl);
  return (...args: unknown[]) => {
    const last = args[args.length - 1];
    const named = typeof last === 'object' && last !== null ? (last as Record<string, string | undefined>) : undefined;
    const groupsEnd = named ? args.length - 3 : args.length - 2;
    const groups = args.slice(0, groupsEnd) as (string | undefined)[];
    return parts
      .map((p) => {
        if (typeof p === 'string') return p;
        if (typeof p === 'number') {
          if (p >= groups.length) throw new PyRegexError(`invalid group reference ${p} in the replacement`);
          return groups[p] ?? '';
        }
        if (!named || !(p.name in named)) throw new PyRegexError(`unknown group name '${p.name}' in the replacement`);
        return named[p.name] ?? '';
      })
      .join('');
  };
}

/** Python's re.escape (3.7+): only characters special in a pattern. */
export function pyEscape(s: string): string {
  return s.replace(/[()[\]{}?*+\-|^$\\.&~# \t\n\r\v\f]/g, (c) => {
    const named: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\v': '\\v', '\f': '\\f' };
    return named[c] ?? '\\' + c;
  });
}
