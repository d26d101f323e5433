// Jinja statements and whitespace control, against the examples of Jinja's template
// designer documentation (cited by section), with Ansible's settings (trim_blocks on,
// lstrip_blocks off, trailing newline kept).
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderString, renderTemplateFile } from '../../../src/template/index.js';
import { templateError } from './hbs.js';
import { j, jinjaError } from './jinja.js';

describe('whitespace control', () => {
  it('trim_blocks drops the newline after a block tag, as Ansible sets it', () => {
    // "Whitespace Control": with trim_blocks the first newline after a block is removed.
    const t = '<div>\n    {% if True %}\n        yay\n    {% endif %}\n</div>\n';
    expect(j(t)).toBe('<div>\n            yay\n    </div>\n');
  });

  it('a minus strips the whitespace on its side, newlines included', () => {
    // "Whitespace Control": {%- if %} / -%} strip before/after.
    expect(j('{% for item in seq -%}\n    {{ item }}\n{%- endfor %}', { seq: [1, 2, 3, 4, 5, 6, 7, 8, 9] })).toBe('123456789');
    expect(j('a   {{- x -}}   b', { x: 1 })).toBe('a1b');
  });

  it('a plus keeps what trim_blocks / lstrip_blocks would remove', () => {
    expect(j('{% if True +%}\nx{% endif %}')).toBe('\nx');
  });

  it('comments are dropped, with trim_blocks after them', () => {
    expect(j('a{# note #}b\n{# whole line #}\nc')).toBe('ab\nc');
    expect(jinjaError('a {# open').message).toContain('missing end of comment tag');
  });

  it('the trailing newline of a text is kept (Ansible re-adds what Jinja strips)', () => {
    expect(j('x={{ v }}\n', { v: 1 })).toBe('x=1\n');
    // Even when trim_blocks ate it after a final block tag (Ansible's preserve_trailing_newlines).
    expect(j('{% if v %}a{% endif %}\n', { v: 1 })).toBe('a\n');
    expect(j('a\n{% if v %}b\n{% endif %}\n\n', { v: 0 })).toBe('a\n\n');
  });

  it('a #jinja2: header sets lstrip_blocks / trim_blocks for a template file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-j2-'));
    const f = join(dir, 'a.conf.j2');
    writeFileSync(f, '#jinja2: lstrip_blocks: True\n<ul>\n    {% for u in users %}\n  <li>{{ u }}</li>\n    {% endfor %}\n</ul>\n');
    expect(renderTemplateFile(f, { users: ['x'] })).toBe('<ul>\n  <li>x</li>\n</ul>\n');
  });
});

describe('if', () => {
  it('if / elif / else', () => {
    const t = '{% if kenny.sick %}Kenny is sick.{% elif kenny.dead %}You killed Kenny!{% else %}Kenny looks okay{% endif %}';
    expect(j(t, { kenny: { sick: false, dead: true } })).toBe('You killed Kenny!');
    expect(j(t, { kenny: { sick: false, dead: false } })).toBe('Kenny looks okay');
    expect(j(t, { kenny: { sick: 1, dead: true } })).toBe('Kenny is sick.');
  });

  it('uses Python truthiness, and an undefined test value is an error (StrictUndefined)', () => {
    expect(j('{% if [] %}a{% elif {} %}b{% elif "" %}c{% elif 0 %}d{% else %}e{% endif %}')).toBe('e');
    expect(j('{% if x is defined and x %}y{% endif %}')).toBe('');
    expect(jinjaError('{% if nope %}x{% endif %}').variable).toBe('nope');
  });

  it('an unclosed block names its opening tag', () => {
    const e = jinjaError('a\n{% if x %}\nb');
    expect(e.message).toContain('this {% if %} was never closed (expected {% elif %} or {% else %} or {% endif %})');
    expect(e.line).toBe(11);
  });
});

describe('for', () => {
  it('loops over lists, with loop.index/index0/revindex/revindex0/first/last/length', () => {
    const t =
      '{% for x in l %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}';
    expect(j(t, { l: ['a', 'b'] })).toBe('1021TrueFalse2;2110FalseTrue2;');
  });

  it('loop.cycle, loop.previtem and loop.nextitem', () => {
    // "For": {{ loop.cycle('odd', 'even') }}
    expect(j("{% for r in rows %}<li class=\"{{ loop.cycle('odd', 'even') }}\">{{ r }}</li>{% endfor %}", { rows: [1, 2, 3] })).toBe(
      '<li class="odd">1</li><li class="even">2</li><li class="odd">3</li>',
    );
    expect(
      j('{% for x in l %}{{ loop.previtem | default("-") }}{{ x }}{{ loop.nextitem | default("-") }} {% endfor %}', { l: [1, 2, 3] }),
    ).toBe('-12 123 23- ');
  });

  it('unpacks tuples: for key, value in my_dict.items()', () => {
    // "For": <dl>{% for key, value in my_dict.items() %}<dt>{{ key|e }}</dt><dd>{{ value|e }}</dd>{% endfor %}</dl>
    expect(
      j('{% for key, value in my_dict.items() %}<dt>{{ key|e }}</dt><dd>{{ value|e }}</dd>{% endfor %}', { my_dict: { a: '<1>', b: 2 } }),
    ).toBe('<dt>a</dt><dd>&lt;1&gt;</dd><dt>b</dt><dd>2</dd>');
    expect(
      j('{% for (a, b) in pairs %}{{ a }}={{ b }} {% endfor %}', {
        pairs: [
          [1, 2],
          ['x', 'y'],
        ],
      }),
    ).toBe('1=2 x=y ');
    expect(jinjaError('{% for a, b in l %}{% endfor %}', { l: [[1, 2, 3]] }).message).toContain(
      'too many values to unpack (expected 2, got 3)',
    );
  });

  it('else runs when nothing was iterated; an inline if filters (and loop counts what is left)', () => {
    // "For": {% for user in users %}...{% else %}<li><em>no users found</em></li>{% endfor %}
    expect(j('{% for user in users %}{{ user }}{% else %}no users found{% endfor %}', { users: [] })).toBe('no users found');
    // "For": {% for user in users if not user.hidden %}
    const users = [
      { n: 'a', hidden: false },
      { n: 'b', hidden: true },
      { n: 'c', hidden: false },
    ];
    expect(j('{% for user in users if not user.hidden %}{{ user.n }}{{ loop.index }}/{{ loop.length }} {% endfor %}', { users })).toBe(
      'a1/2 c2/2 ',
    );
  });

  it('iterates mappings by key and strings by character', () => {
    expect(j('{% for k in m %}{{ k }}{% endfor %}|{% for c in "ab" %}[{{ c }}]{% endfor %}', { m: { x: 1, y: 2 } })).toBe('xy|[a][b]');
    expect(jinjaError('{% for x in n %}{% endfor %}', { n: 5 }).message).toContain('cannot loop over int');
  });

  it('variables set in a loop do not leak out of it (Jinja scoping)', () => {
    expect(j('{% set x = 1 %}{% for i in [1, 2] %}{% set x = i %}{% endfor %}{{ x }}')).toBe('1');
  });

  it('nested loops, and loop of the outer loop kept in a variable', () => {
    expect(
      j('{% for a in [1,2] %}{% set outer = loop %}{% for b in "xy" %}{{ outer.index }}{{ b }}{{ loop.index }} {% endfor %}{% endfor %}'),
    ).toBe('1x1 1y2 2x1 2y2 ');
  });

  it('recursive loops are refused', () => {
    expect(jinjaError('{% for x in l recursive %}{% endfor %}', { l: [] }).message).toContain('recursive loops are not supported');
  });
});

describe('set', () => {
  it('assigns, unpacks, and assigns a block (with filters)', () => {
    expect(
      j(
        "{% set navigation = [('index.html', 'Index'), ('about.html', 'About')] %}{% for href, caption in navigation %}{{ caption }}@{{ href }} {% endfor %}",
      ),
    ).toBe('Index@index.html About@about.html ');
    expect(j('{% set key, value = call_result %}{{ key }}:{{ value }}', { call_result: ['k', 'v'] })).toBe('k:v');
    // "Block Assignments": {% set navigation %}...{% endset %} and {% set reply | wordcount %}
    expect(j('{% set navigation %}\n<li>{{ x }}</li>\n{% endset %}[{{ navigation }}]', { x: 1 })).toBe('[<li>1</li>\n]');
    expect(j('{% set reply | upper %}you wrote {{ x }}{% endset %}{{ reply }}', { x: 'hi' })).toBe('YOU WROTE HI');
  });

  it('namespace() carries a value out of a loop', () => {
    // "Assignments": the namespace example.
    const t =
      '{% set ns = namespace(found=false) %}{% for item in items %}{% if item.check %}{% set ns.found = true %}{% endif %}* {{ item.title }}\n{% endfor %}Found item having something: {{ ns.found }}';
    expect(
      j(t, {
        items: [
          { check: false, title: 'a' },
          { check: true, title: 'b' },
        ],
      }),
    ).toBe('* a\n* b\nFound item having something: True');
    expect(jinjaError('{% set d = {} %}{% set d.x = 1 %}').message).toContain("'d' is not a namespace()");
  });
});

describe('macro and call', () => {
  it('defines and calls macros with defaults and keyword arguments', () => {
    // "Macros": the input macro.
    const t =
      '{% macro input(name, value="", type="text", size=20) -%}\n<input type="{{ type }}" name="{{ name }}" value="{{ value|e }}" size="{{ size }}">\n{%- endmacro %}<p>{{ input("username") }}</p><p>{{ input("password", type="password") }}</p>';
    expect(j(t)).toBe(
      '<p><input type="text" name="username" value="" size="20"></p><p><input type="password" name="password" value="" size="20"></p>',
    );
    expect(jinjaError('{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}').message).toContain("macro 'm' takes 1 argument(s), got 2");
    expect(jinjaError('{% macro m(a) %}{% endmacro %}{{ m(b=1) }}').message).toContain("macro 'm' has no parameter 'b'");
    expect(jinjaError('{% macro m(a) %}{% endmacro %}{{ m }}').message).toContain('cannot print a macro');
  });

  it('a missing argument without a default is undefined inside the macro', () => {
    expect(j('{% macro m(a, b) %}{{ b is defined }}{% endmacro %}{{ m(1) }}')).toBe('False');
  });

  it('{% call %} passes a body the macro renders with caller()', () => {
    // "Call": the render_dialog example, and a call block with arguments.
    const t =
      '{% macro render_dialog(title) -%}<div><h2>{{ title }}</h2>{{ caller() }}</div>{%- endmacro %}{% call render_dialog("Hello World") %}This is a simple dialog.{% endcall %}';
    expect(j(t)).toBe('<div><h2>Hello World</h2>This is a simple dialog.</div>');
    const t2 =
      '{% macro dump_users(users) -%}{%- for user in users %}<li>{{ user.username|e }}{{ caller(user) }}</li>{%- endfor %}{%- endmacro %}{% call(user) dump_users(list_of_user) %}:{{ user.realname|e }}{% endcall %}';
    expect(
      j(t2, {
        list_of_user: [
          { username: 'a', realname: 'Ann' },
          { username: 'b', realname: 'Bob' },
        ],
      }),
    ).toBe('<li>a:Ann</li><li>b:Bob</li>');
  });
});

describe('filter and with blocks, raw', () => {
  it('{% filter %} applies filters to a block', () => {
    // "Filters": {% filter upper %}This text becomes uppercase{% endfilter %}
    expect(j('{% filter upper %}This text becomes uppercase{% endfilter %}')).toBe('THIS TEXT BECOMES UPPERCASE');
    expect(j('{% filter indent(2) | trim %}  a\nb{% endfilter %}')).toBe('a\n  b');
  });

  it('{% with %} scopes variables to its body', () => {
    // "With Statement": {% with foo = 42 %}{{ foo }}{% endwith %}
    expect(j('{% with foo = 42 %}{{ foo }}{% endwith %}{{ foo is defined }}')).toBe('42False');
    expect(j('{% with %}{% set foo = 42 %}{{ foo }}{% endwith %}{{ foo is defined }}')).toBe('42False');
  });

  it('{% raw %} passes its body through untouched', () => {
    // "Escaping": {% raw %}<ul>{% for item in seq %}<li>{{ item }}</li>{% endfor %}</ul>{% endraw %}
    expect(j('{% raw %}<ul>{% for item in seq %}<li>{{ item }}</li>{% endfor %}</ul>{% endraw %}')).toBe(
      '<ul>{% for item in seq %}<li>{{ item }}</li>{% endfor %}</ul>',
    );
    expect(j("docker ps --format '{% raw %}{{.Names}}{% endraw %}' {{ '{{' }}x")).toBe("docker ps --format '{{.Names}}' {{x");
    expect(jinjaError('{% raw %}x').message).toContain('missing {% endraw %}');
  });

  it('tags fleet does not support are errors that say what to do instead', () => {
    expect(jinjaError('{% extends "base.j2" %}').message).toContain('template inheritance');
    expect(jinjaError('{% import "m.j2" as m %}').message).toContain('{% import %} is not supported');
    expect(jinjaError('{% for x in l %}{% break %}{% endfor %}', { l: [1] }).message).toContain("loop controls ('break') are not enabled");
    expect(jinjaError('{% do l.append(1) %}').message).toContain("the 'do' extension is not enabled");
    expect(jinjaError('{% frob %}').message).toContain("unknown tag 'frob'");
    expect(jinjaError('{% endif %}').message).toContain('there is no open block it could close');
  });
});

describe('include', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-inc-'));
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'templates', 'header.j2'), '# {{ title }} for {{ who }}\n');
  writeFileSync(join(dir, 'templates', 'item.j2'), '- {{ item }} ({{ loop.index }})\n');
  writeFileSync(
    join(dir, 'templates', 'main.j2'),
    "{% set who = 'ops' %}{% include 'header.j2' %}{% for item in items %}{% include 'item.j2' %}{% endfor %}{% include 'missing.j2' ignore missing %}end\n",
  );
  writeFileSync(join(dir, 'templates', 'bad.j2'), 'ok\n{{ nope }}\n');
  writeFileSync(join(dir, 'templates', 'uses-bad.j2'), "{% include 'bad.j2' %}");
  writeFileSync(join(dir, 'templates', 'self.j2'), "{% include 'self.j2' %}");

  it("includes templates from the including template's directory, with its context and loop", () => {
    expect(renderTemplateFile(join(dir, 'templates', 'main.j2'), { title: 'T', items: ['a', 'b'] })).toBe(
      '# T for ops\n- a (1)\n- b (2)\nend\n',
    );
  });

  it("an included template from a YAML value is found in the role's templates/", () => {
    expect(renderString("{% include 'header.j2' %}", { title: 'x', who: 'y' }, { file: join(dir, 'tasks.yml'), line: 3 })).toBe(
      '# x for y\n',
    );
  });

  it('errors inside an included file name that file; a missing include and a loop of includes are errors', () => {
    const e = templateError(() => renderTemplateFile(join(dir, 'templates', 'uses-bad.j2'), {}));
    expect(e.file).toBe(join(dir, 'templates', 'bad.j2'));
    expect(e.line).toBe(2);
    expect(templateError(() => renderTemplateFile(join(dir, 'templates', 'self.j2'), {})).message).toContain('includes nest deeper');
    expect(jinjaError("{% include 'nowhere.j2' %}").message).toContain("included template 'nowhere.j2' not found");
  });
});

describe('error positions inside a template', () => {
  it('point at the line and column of the failing expression', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-pos-'));
    const f = join(dir, 'app.conf.j2');
    writeFileSync(f, 'a = 1\n{% if on %}\n  b = {{ 1 + "x" }}\n{% endif %}\n');
    const e = templateError(() => renderTemplateFile(f, { on: true }));
    expect(e.message).toBe(`${f}:3:12: cannot apply '+' to int and string`);
    writeFileSync(f, 'x\n{% for a in l %}\n{{ a.missing }}\n{% endfor %}');
    expect(templateError(() => renderTemplateFile(f, { l: [{}] })).message).toBe(`${f}:3:4: undefined variable 'a.missing'`);
    writeFileSync(f, 'x\n\n  {{ a b }}');
    expect(templateError(() => renderTemplateFile(f, {})).message).toBe(`${f}:3:8: expected '}}', found 'b'`);
  });
});
