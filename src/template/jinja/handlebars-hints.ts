// Handlebars syntax written where Jinja is expected ({{#if x}}, {{/if}}, {{else}},
// {{helper arg}}, {{this}}, {{a.[0]}}, \{{): found before parsing, and reported with the
// Jinja that does the same, so a role written for the old syntax fails loudly.
import { JinjaError } from './undefined.js';

const HELPERS: Record<string, (args: string[]) => string> = {
  default: ([a, b]) => `{{ ${a} | default(${b ?? "''"}) }}`,
  eq: ([a, b]) => `{{ ${a} == ${b} }}`,
  ne: ([a, b]) => `{{ ${a} != ${b} }}`,
  and: (a) => `{{ ${a.join(' and ')} }}`,
  or: (a) => `{{ ${a.join(' or ')} }}`,
  join: ([a, b]) => `{{ ${a} | join(${b ?? "','"}) }}`,
  json: ([a]) => `{{ ${a} | to_json }}`,
  indent: ([n, a]) => `{{ ${a} | indent(${n}) }}`,
  upper: ([a]) => `{{ ${a} | upper }}`,
  lower: ([a]) => `{{ ${a} | lower }}`,
  quote: ([a]) => `{{ ${a} | quote }}`,
  b64: ([a]) => `{{ ${a} | b64encode }}`,
  first: ([a]) => `{{ ${a} | first }}`,
  last: ([a]) => `{{ ${a} | last }}`,
  lookup: ([a, b]) => `{{ ${a}[${b}] }}`,
  includes: ([a, b]) => `{{ ${b} in ${a} }}`,
};

const BLOCKS: Record<string, (arg: string) => string> = {
  if: (a) => `{% if ${a} %}`,
  unless: (a) => `{% if not ${/\s/.test(a) ? `(${a})` : a} %}`,
  each: (a) => `{% for item in ${a} %}`,
  with: (a) => `read ${a}.field directly`,
  raw: () => '{% raw %}',
  indent: (a) => `{% filter indent(${a}, first=true) %}`,
};
const ENDS: Record<string, string> = {
  if: '{% endif %}',
  unless: '{% endif %}',
  each: '{% endfor %}',
  with: '(nothing)',
  raw: '{% endraw %}',
  indent: '{% endfilter %}',
};

/** A helper call as a Jinja expression (inside a block's condition): (eq a b) -> a == b. */
const EXPRESSIONS: Record<string, (a: string[]) => string> = {
  eq: ([a, b]) => `${a} == ${b}`,
  ne: ([a, b]) => `${a} != ${b}`,
  and: (a) => a.join(' and '),
  or: (a) => a.join(' or '),
  not: ([a]) => `not ${a}`,
  default: ([a, b]) => `${a} | default(${b ?? "''"})`,
  includes: ([a, b]) => `${b} in ${a}`,
  lookup: ([a, b]) => `${a}[${b}]`,
};

/** Handlebars paths and subexpressions inside arguments: a.[0] -> a[0], (eq a "x") -> a == "x". */
function arg(a: string): string {
  let out = a.replace(/\.\[(\d+)\]/g, '[$1]').replace(/\.\[([^\]]+)\]/g, "['$1']");
  // Innermost first; a result used inside another call is parenthesised:
  // (not (and a b)) -> (not «a and b») -> not (a and b).
  // (Parentheses made here are ‹›, so that the next pass does not read them as a call. The
  // regexes name « » ‹ › by code point: a regex literal keeps its characters in the bundle,
  // which start-up reads faster when it is all ASCII, scripts/launcher.cjs.)
  const inner = (x: string) => x.replace(/\u00ab([^\u00ab\u00bb]*)\u00bb/g, (_m, e: string) => (/\s/.test(e) ? `‹${e}›` : e));
  for (let i = 0; i < 10; i++) {
    const next = out.replace(/\((\w+)\s+([^()]*)\)/g, (m, h: string, rest: string) => {
      const w = (rest.match(/\u00ab[^\u00ab\u00bb]*\u00bb|"[^"]*"|'[^']*'|\S+/g) ?? []).map(inner);
      if (Object.prototype.hasOwnProperty.call(EXPRESSIONS, h)) return `«${EXPRESSIONS[h](w)}»`;
      return Object.prototype.hasOwnProperty.call(HELPERS, h)
        ? `«${w[0]} | ${h === 'json' ? 'to_json' : h === 'b64' ? 'b64encode' : h}»`
        : m;
    });
    if (next === out) break;
    out = next;
  }
  return out
    .replace(/\u00ab([^\u00ab\u00bb]*)\u00bb/g, '$1')
    .replace(/\u2039/g, '(')
    .replace(/\u203a/g, ')');
}

function words(s: string): string[] {
  return (s.match(/"[^"]*"|'[^']*'|\([^)]*\)|\S+/g) ?? []).map(arg);
}

function hint(inner: string): string | undefined {
  const body = inner.trim();
  let m: RegExpExecArray | null;
  if ((m = /^#\s*(\w+)\s*(.*)$/.exec(body))) {
    const fix = BLOCKS[m[1]];
    return fix
      ? `handlebars block {{#${m[1]}}} in a Jinja template: write ${fix(arg(m[2].trim()))}`
      : `handlebars section {{#${m[1]}}} in a Jinja template: write {% if ${m[1]} %} or {% for item in ${m[1]} %}`;
  }
  if ((m = /^\/\s*(\w+)\s*$/.exec(body)))
    return `handlebars {{/${m[1]}}} in a Jinja template: write ${ENDS[m[1]] ?? '{% endif %} / {% endfor %}'}`;
  if ((m = /^\^\s*(.*)$/.exec(body))) return `handlebars {{^${m[1]}}} in a Jinja template: write {% if not ${arg(m[1])} %}`;
  if (/^>/.test(body)) return "handlebars partial {{> name}} in a Jinja template: write {% include 'name' %}";
  if (/^!/.test(body)) return 'handlebars comment {{! ... }} in a Jinja template: write {# ... #}';
  if (/^else$/.test(body)) return 'handlebars {{else}} in a Jinja template: write {% else %}';
  if ((m = /^else\s+if\s+(.*)$/.exec(body))) return `handlebars {{else if}} in a Jinja template: write {% elif ${arg(m[1])} %}`;
  if (/^this(\.|$)/.test(body))
    return `handlebars {{${body}}} in a Jinja template: write {{ ${body.replace(/^this/, 'item')} }} inside {% for item in ... %}`;
  if (/^@(index|first|last|key)$/.test(body))
    return `handlebars {{${body}}} in a Jinja template: write {{ ${{ '@index': 'loop.index0', '@first': 'loop.first', '@last': 'loop.last', '@key': 'key' }[body]} }}`;
  if (/^\.\.\//.test(body)) return `handlebars parent path {{${body}}} in a Jinja template: write {{ ${body.replace(/^(\.\.\/)+/, '')} }}`;
  if (/\.\[/.test(body) && !/['"]/.test(body)) return `handlebars path {{${body}}} in a Jinja template: write {{ ${arg(body)} }}`;
  const w = words(body);
  if (
    w.length >= 2 &&
    Object.prototype.hasOwnProperty.call(HELPERS, w[0]) &&
    !/^(\||\(|==|!=|<|>|\+|-|\*|\/|%|~|is$|in$|and$|or$|if$|not$)/.test(w[1])
  ) {
    return `handlebars helper call {{${body}}} in a Jinja template: write ${HELPERS[w[0]](w.slice(1))}`;
  }
  return undefined;
}

/** Throws on the first handlebars construct in a text meant for Jinja. */
export function rejectHandlebars(text: string): void {
  if (!text.includes('{{')) return;
  // {% raw %} bodies are literal text in Jinja: whatever they hold is meant.
  const raws: [number, number][] = [];
  for (const m of text.matchAll(/\{%-?\s*raw\s*-?%\}[\s\S]*?\{%-?\s*endraw\s*-?%\}/g)) raws.push([m.index, m.index + m[0].length]);
  for (const m of text.matchAll(/\{\{(\{?)([^{}]*?)\}?\}\}/g)) {
    const pos = m.index;
    if (raws.some(([a, b]) => pos >= a && pos < b)) continue;
    if (m[1] === '{')
      throw new JinjaError(`handlebars triple braces {{{${m[2].trim()}}}} in a Jinja template: write {{ ${m[2].trim()} }}`, pos);
    if (pos > 0 && text[pos - 1] === '\\') {
      throw new JinjaError(
        "handlebars escape \\{{ in a Jinja template: write {{ '{{' }} for literal braces, or wrap the text in {% raw %}...{% endraw %}",
        pos - 1,
      );
    }
    const h = hint(m[2]);
    if (h) throw new JinjaError(h, pos);
  }
}

/** The handlebars explanation for a text that failed to parse as Jinja, if there is one. */
export function handlebarsHint(text: string): JinjaError | undefined {
  try {
    rejectHandlebars(text);
  } catch (e) {
    if (e instanceof JinjaError) return e;
  }
  return undefined;
}
