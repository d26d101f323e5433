// Ansible's regex filters, with Python's regex syntax (see ../regex.ts).
import { truthy } from '../../truthy.js';
import { pyStr } from '../../values/print.js';
import { pyEscape, pyReplacer, pyRegex } from '../regex.js';
import { own } from '../runtime.js';
import { bind, type Filter } from './bind.js';
import { defined } from '../undefined.js';
import { fail, int } from './util.js';

function flags(kw: Record<string, unknown>): { ignorecase: boolean; multiline: boolean } {
  return { ignorecase: truthy(kw.ignorecase ?? false), multiline: truthy(kw.multiline ?? false) };
}

export const regexFilters: Record<string, Filter> = {
  regex_replace: (v, args, kw, c) => {
    const [pattern, replacement, ignorecase, multiline, count, mandatoryCount] = bind(c, args, kw, [
      'pattern',
      'replacement',
      'ignorecase',
      'multiline',
      'count',
      'mandatory_count',
    ]);
    const s = pyStr(defined(v));
    const re = pyRegex(pyStr(pattern ?? ''), flags({ ignorecase, multiline }), true);
    const max = count === undefined ? 0 : int('regex_replace', count, 'count');
    const replace = pyReplacer(pyStr(replacement ?? ''));
    let n = 0;
    const out = s.replace(re, (...m: unknown[]) => {
      if (max > 0 && n >= max) return m[0] as string;
      n++;
      return replace(...m);
    });
    const need = mandatoryCount === undefined ? 0 : int('regex_replace', mandatoryCount, 'mandatory_count');
    if (need > 0 && n < need) fail('regex_replace', `expected at least ${need} replacement(s), made ${n}`);
    return out;
  },
  // regex_search('re') gives the match or None; regex_search('re', '\\1', '\\g<name>') the groups.
  regex_search: (v, args, kw) => {
    const [pattern, ...groups] = args.map(defined);
    const extra = Object.keys(kw).filter((k) => k !== 'ignorecase' && k !== 'multiline');
    if (extra.length) fail('regex_search', `has no parameter '${extra[0]}' (parameters: ignorecase, multiline)`);
    const m = pyRegex(pyStr(pattern ?? ''), flags(kw)).exec(pyStr(defined(v)));
    if (!m) return null;
    if (!groups.length) return m[0];
    return own(
      groups.map((g) => {
        const s = pyStr(g);
        const named = /^\\g<(\S+)>$/.exec(s);
        const num = /^\\(\d+)$/.exec(s);
        if (named) return /^\d+$/.test(named[1]) ? (m[Number(named[1])] ?? null) : (m.groups?.[named[1]] ?? null);
        if (num) return m[Number(num[1])] ?? null;
        return fail('regex_search', `unknown group argument '${s}' (use '\\\\1' or '\\\\g<name>')`);
      }),
    );
  },
  regex_findall: (v, args, kw, c) => {
    const [pattern, multiline, ignorecase] = bind(c, args, kw, ['regex', 'multiline', 'ignorecase']);
    const re = pyRegex(pyStr(pattern ?? ''), flags({ ignorecase, multiline }), true);
    const out: unknown[] = [];
    for (const m of pyStr(defined(v)).matchAll(re)) {
      if (m.length === 1) out.push(m[0]);
      else if (m.length === 2) out.push(m[1] ?? '');
      else out.push(own(m.slice(1).map((g) => g ?? '')));
    }
    return own(out);
  },
  regex_escape: (v, args, kw, c) => {
    const [reType] = bind(c, args, kw, ['re_type']);
    const s = pyStr(defined(v));
    if (reType === 'posix_basic') return s.replace(/[.[\]\\*^$]/g, (ch) => '\\' + ch);
    if (reType !== undefined && reType !== 'python') fail('regex_escape', `re_type must be python or posix_basic`);
    return pyEscape(s);
  },
};
