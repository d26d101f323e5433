// Ansible's `key=value` module arguments (`package: name=iptables state=present`) and the
// free-form form of command/shell, where known keys (creates=, chdir=...) are taken out of the
// command text and the rest is the command as written (Ansible's parse_kv / split_args).

export interface KvArgs {
  params: Record<string, string>;
  /** What is left when the keys are taken out (the command of a free-form module). */
  rest: string;
}

/** Split on whitespace outside quotes and {{ }} / {% %}, keeping each token's text as written. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const two = text.slice(i, i + 2);
    if (!quote && (two === '{{' || two === '{%')) {
      depth++;
      cur += two;
      i++;
      continue;
    }
    if (!quote && depth > 0 && (two === '}}' || two === '%}')) {
      depth--;
      cur += two;
      i++;
      continue;
    }
    if (quote) {
      if (c === '\\' && i + 1 < text.length) {
        cur += c + text[++i];
        continue;
      }
      if (c === quote) quote = '';
      cur += c;
      continue;
    }
    if ((c === '"' || c === "'") && depth === 0) {
      quote = c;
      cur += c;
      continue;
    }
    if (/\s/.test(c) && depth === 0) {
      if (cur) out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (quote) throw new Error(`unterminated ${quote} quote in ${JSON.stringify(text)}`);
  if (cur) out.push(cur);
  return out;
}

function unquote(v: string): string {
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) return v.slice(1, -1);
  return v;
}

/** `name=x state=present`: every token must be key=value unless `freeForm` keys are given, in
 * which case only those keys are taken out and the rest is the command. */
export function parseKv(text: string, freeFormKeys?: readonly string[]): KvArgs {
  const params: Record<string, string> = {};
  const rest: string[] = [];
  for (const tok of splitArgs(text)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(tok);
    if (m && (!freeFormKeys || freeFormKeys.includes(m[1]))) params[m[1]] = unquote(m[2]);
    else if (freeFormKeys) rest.push(tok);
    else throw new Error(`expected key=value, got ${JSON.stringify(tok)}`);
  }
  return { params, rest: rest.join(' ') };
}
