// Jinja expressions under Ansible: literals, operators with Python's semantics, how values
// print, Python methods, globals and StrictUndefined. Examples from Jinja's template
// designer documentation ("Literals", "Math", "Comparisons", "Logic", "Other Operators")
// and Ansible's playbook guide, cited where they are used.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderString } from '../../../src/template/index.js';
import { j, jinjaError, jv } from './jinja.js';

describe('literals', () => {
  it('strings, numbers, lists, tuples, dicts, booleans and none', () => {
    // "Literals": "Hello World", 42 / 123_456, 42.23 / 42.1e2, ['list', 'of', 'objects'],
    // ('tuple', 'of', 'values'), {'dict': 'of', 'key': 'and', 'value': 'pairs'}, true / false.
    expect(jv('{{ "Hello World" }}')).toBe('Hello World');
    expect(jv('{{ 123_456 }}')).toBe(123456);
    expect(jv('{{ 42.1e2 }}')).toBe(4210);
    expect(jv("{{ ['list', 'of', 'objects'] }}")).toEqual(['list', 'of', 'objects']);
    expect(jv("{{ ('tuple', 'of', 'values') }}")).toEqual(['tuple', 'of', 'values']);
    expect(jv("{{ {'dict': 'of', 'key': 'and', 'value': 'pairs'} }}")).toEqual({ dict: 'of', key: 'and', value: 'pairs' });
    expect(jv('{{ true }} {{ True }} {{ none }}')).toBe('True True ');
    expect(jv('{{ 0x1F }} {{ 0o17 }} {{ 0b101 }}')).toBe('31 15 5');
    expect(jv("{{ 'a' 'b' }}")).toBe('ab');
  });

  it("string escapes are Python's; an unknown escape keeps its backslash (regexes)", () => {
    expect(jv("{{ 'a\\tb\\n' }}")).toBe('a\tb\n');
    expect(jv("{{ '\\d+\\.' }}")).toBe('\\d+\\.');
    expect(jv("{{ '\\u00e9\\x41' }}")).toBe('éA');
  });
});

describe('operators', () => {
  it('math: / is a float, // floors, % and ** as in Python', () => {
    // "Math": {{ 1 + 1 }} is 2, {{ 3 - 2 }} is 1, {{ 1 / 2 }} is 0.5, {{ 20 // 7 }} is 2,
    // {{ 11 % 7 }} is 4, {{ 2 * 2 }} is 4, {{ 2**3 }} is 8.
    expect(j('{{ 1 + 1 }} {{ 3 - 2 }} {{ 1 / 2 }} {{ 20 // 7 }} {{ 11 % 7 }} {{ 2 * 2 }} {{ 2**3 }}')).toBe('2 1 0.5 2 4 4 8');
    expect(j('{{ 4 / 2 }} {{ 1.0 }} {{ 2 * 1.5 }} {{ 7.0 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** -1 }}')).toBe(
      '2.0 1.0 3.0 3.0 -4 2 0.5',
    );
    expect(jv('{{ 4 / 2 }}')).toBe(2);
    expect(jinjaError('{{ 1 / 0 }}').message).toContain('division by zero');
  });

  it('+ joins strings and lists, * repeats, ~ converts to strings', () => {
    // "Other Operators": {{ "Hello " ~ name ~ "!" }} -> Hello John!
    expect(j('{{ "Hello " ~ name ~ "!" }}', { name: 'John' })).toBe('Hello John!');
    expect(jv('{{ [1] + [2, 3] }}')).toEqual([1, 2, 3]);
    expect(j("{{ '=' * 5 }} {{ [0] * 3 }} {{ 1 ~ true ~ none }}")).toBe('===== [0, 0, 0] 1TrueNone');
    expect(jinjaError("{{ 'a' + 1 }}").message).toContain("cannot apply '+' to string and int");
    expect(jinjaError('{{ [1] + 1 }}').message).toContain("cannot apply '+' to list and int");
  });

  it("'%' formats strings, as Python's printf-style formatting", () => {
    expect(j("{{ '%s-%05d-%.2f-%x' % ('a', 42, 3.14159, 255) }}")).toBe('a-00042-3.14-ff');
    expect(j("{{ '%(h)s:%(p)d' % {'h': 'x', 'p': 22} }}")).toBe('x:22');
  });

  it('comparisons: == by value (2 == 2.0, True == 1), ordering of a string with a number is an error', () => {
    // "Comparisons": ==, !=, >, >=, <, <=; chained like Python.
    expect(jv('{{ 2 == 2.0 and 1 == True and [1, {"a": 2}] == [1, {"a": 2}] and "22" != 22 }}')).toBe(true);
    expect(jv('{{ 1 < 2 < 3 and not (1 < 3 < 2) and "abc" < "abd" and [1, 2] < [1, 3] }}')).toBe(true);
    const e = jinjaError('{{ port > "1024" }}', { port: 22 });
    expect(e.message).toContain('cannot compare int > string (use |int or |string to convert)');
    expect(jinjaError('{{ none < 1 }}').message).toContain('cannot compare none < int');
  });

  it('in / not in on lists, strings and mapping keys', () => {
    expect(jv("{{ 2 in [1, 2] and 'ell' in 'hello' and 'k' in {'k': 1} and 'v' not in {'k': 'v'} }}")).toBe(true);
  });

  it('and / or return the deciding operand; not; the conditional expression', () => {
    // "Logic", and "If Expression": {{ "[{}]".format(page.title) if page.title }}
    expect(jv("{{ '' or 'fallback' }}")).toBe('fallback');
    expect(jv('{{ 0 and x }}')).toBe(0);
    expect(j("{{ 'yes' if on else 'no' }} {{ 'a' if 0 else 'b' if 1 else 'c' }}", { on: true })).toBe('yes b');
    // Without else the result is undefined, and strict templates refuse to print it.
    expect(jinjaError('[{{ "[{}]".format(page.title) if page.title }}]', { page: { title: '' } }).message).toContain(
      'the inline if-expression evaluated to false and has no else section',
    );
    expect(j('{{ ("x" if false) | default("d") }}')).toBe('d');
    expect(j('{{ "[{}]".format(page.title) if page.title }}', { page: { title: 'T' } })).toBe('[T]');
  });

  it('precedence: filters bind tighter than unary minus; ~ tighter than + and -', () => {
    expect(jv('{{ -3 | abs }}'.replace('abs', 'string'))).toBe('-3');
    expect(jinjaError('{{ 1 + 2 ~ 3 }}').message).toContain("cannot apply '+' to int and string");
    expect(jv('{{ not 1 == 2 }}')).toBe(true);
  });

  it('indexes, negative indexes, slices and attribute access on data only', () => {
    const ctx = { l: [10, 20, 30, 40], s: 'hello', m: { 'x-y': 1, k: { n: 2 } } };
    expect(jv('{{ l[-1] }} {{ l.1 }} {{ l[1:3] }} {{ l[::-1] }} {{ s[1:] }} {{ s[-3:] }} {{ m["x-y"] }} {{ m.k.n }}', ctx)).toBe(
      '40 20 [20, 30] [40, 30, 20, 10] ello llo 1 2',
    );
    expect(jinjaError('{{ l[9] }}', ctx).variable).toBe('l[9]');
  });
});

describe('how values print (Ansible renders them as Python does)', () => {
  it('True/False, None as nothing, lists and dicts as Python repr', () => {
    const ctx = { t: true, f: false, n: null, l: ['a', 1, true, null, 1.5], d: { k: "it's", q: 'say "hi"' } };
    expect(j('{{ t }} {{ f }} [{{ n }}] {{ l }} {{ d }}', ctx)).toBe(
      `True False [] ['a', 1, True, None, 1.5] {'k': "it's", 'q': 'say "hi"'}`,
    );
  });

  it('a lone expression keeps its type; anything more is text', () => {
    expect(jv('{{ l }}', { l: [1, 2] })).toEqual([1, 2]);
    expect(jv(' {{ l }}', { l: [1, 2] })).toBe(' [1, 2]');
    expect(jv('{{ n }}', { n: null })).toBeNull();
    expect(jv('{{ b }}', { b: false })).toBe(false);
  });
});

describe('StrictUndefined', () => {
  it('using an undefined value is an error naming it, its path, and the position', () => {
    const e = jinjaError('x\n  {{ a.b.c }}', { a: {} });
    expect(e.variable).toBe('a.b.c');
    expect(e.message).toContain("undefined variable 'a.b.c'");
    expect(e.line).toBe(11);
    expect(jinjaError('{{ missing | upper }}').variable).toBe('missing');
    expect(jinjaError('{% for x in missing %}{% endfor %}').variable).toBe('missing');
    expect(jinjaError('{{ missing ~ "x" }}').variable).toBe('missing');
  });

  it('is defined, default and the tests on types see it without failing', () => {
    expect(j('{{ a.b.c is defined }} {{ a is undefined }} {{ a.b | default("d") }} {{ a is none }} {{ a is string }}')).toBe(
      'False True d False False',
    );
  });
});

describe('Python methods', () => {
  it('on strings', () => {
    expect(
      j(
        "{{ ' Ab '.strip() }}|{{ 'xxAbxx'.strip('x') }}|{{ 'Ab'.lower() }}{{ 'Ab'.upper() }}|{{ 'a,b,,c'.split(',') }}|{{ 'a b  c'.split() }}|{{ 'a=b=c'.split('=', 1) }}",
      ),
    ).toBe("Ab|Ab|abAB|['a', 'b', '', 'c']|['a', 'b', 'c']|['a', 'b=c']");
    expect(
      j(
        "{{ 'abc'.startswith('a') }} {{ 'abc'.endswith(('x', 'c')) }} {{ 'aaa'.replace('a', 'b', 2) }} {{ '-'.join(['a', 'b']) }} {{ 'abcb'.find('b') }} {{ 'abcb'.count('b') }}",
      ),
    ).toBe('True True bba a-b 1 2');
    expect(
      j(
        "{{ '{}:{}'.format('h', 22) }} {{ '{0}-{name}'.format('a', name='n') }} {{ '7'.zfill(3) }} {{ 'a b'.title() }} {{ '12'.isdigit() }} {{ 'k=v'.partition('=') }}",
      ),
    ).toBe("h:22 a-n 007 A B True ['k', '=', 'v']");
    expect(j("{{ 'a\\nb\\n'.splitlines() }} {{ 'a.b.c'.rsplit('.', 1) }}")).toBe("['a', 'b'] ['a.b', 'c']");
  });

  it('on lists and mappings', () => {
    const ctx = { d: { a: 1, b: 2 }, l: ['x', 'y', 'x'] };
    expect(
      j(
        '{{ d.items() }} {{ d.keys() }} {{ d.values() }} {{ d.get("a") }} {{ d.get("z", 0) }} {{ d.get("z") }}|{{ l.index("y") }} {{ l.count("x") }}',
        ctx,
      ),
    ).toBe("[['a', 1], ['b', 2]] ['a', 'b'] [1, 2] 1 0 |1 2");
  });

  it('append and update work on what the template built, never on the variables', () => {
    expect(j('{% set out = [] %}{% for x in l %}{% set _ = out.append(x * 2) %}{% endfor %}{{ out }}', { l: [1, 2] })).toBe('[2, 4]');
    expect(j('{% set d = {} %}{% set _ = d.update({"a": 1}) %}{{ d }}')).toBe("{'a': 1}");
    expect(jinjaError('{% set _ = l.append(1) %}', { l: [] }).message).toContain('.append() changes a value that comes from the variables');
  });

  it('anything else is an error naming the method', () => {
    expect(jinjaError("{{ 'a'.encode('utf-8') }}").message).toContain('unsupported method .encode() on a string (supported: ');
    expect(jinjaError('{{ l.sort() }}', { l: [] }).message).toContain('unsupported method .sort() on a list');
    expect(jinjaError('{{ n.bit_length() }}', { n: 1 }).message).toContain('unsupported method .bit_length() on a int');
  });
});

describe('globals', () => {
  it('range, dict, namespace', () => {
    // "List of Global Functions": range([start, ]stop[, step]), dict(**items).
    expect(jv('{{ range(3) }}')).toEqual([0, 1, 2]);
    expect(jv('{{ range(10, 0, -3) }}')).toEqual([10, 7, 4, 1]);
    expect(jv('{{ dict(a=1, b="x") }}')).toEqual({ a: 1, b: 'x' });
    expect(jv('{{ dict([["a", 1]]) }}')).toEqual({ a: 1 });
    expect(jinjaError('{{ range(1000000) }}').message).toContain('range() of more than');
  });

  it("lookup('env'), lookup('file'), lookup('template'), lookup('vars'), query", () => {
    process.env.FLEET_TEST_LOOKUP = 'from-env';
    // Ansible: {{ lookup('ansible.builtin.env', 'HOME') }}
    expect(j("{{ lookup('env', 'FLEET_TEST_LOOKUP') }} [{{ lookup('ansible.builtin.env', 'FLEET_TEST_UNSET_X') }}]")).toBe('from-env []');
    const dir = mkdtempSync(join(tmpdir(), 'fleet-lookup-'));
    mkdirSync(join(dir, 'files'));
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'files', 'key.pub'), 'ssh-ed25519 AAAA x\n\n');
    writeFileSync(join(dir, 'templates', 't.j2'), 'hello {{ who }}\n');
    const o = { file: join(dir, 'tasks.yml'), line: 1 };
    expect(
      renderString(
        "{{ lookup('file', 'key.pub') }}|{{ lookup('template', 't.j2') }}|{{ query('env', 'FLEET_TEST_LOOKUP') }}",
        { who: 'w' },
        o,
      ),
    ).toBe("ssh-ed25519 AAAA x|hello w\n|['from-env']");
    expect(j("{{ lookup('vars', 'a' ~ 'b') }} {{ lookup('vars', 'zz', default=0) }}", { ab: 5 })).toBe('5 0');
    expect(jinjaError("{{ lookup('file', 'nope.txt') }}").message).toContain("lookup('file'): could not find 'nope.txt'");
  });

  it("lookup('pipe') and other controller-side plugins are refused loudly", () => {
    expect(jinjaError("{{ lookup('pipe', 'id') }}").message).toContain("lookup('pipe') runs a command on the controller: not supported");
    expect(jinjaError("{{ lookup('password', '/tmp/x') }}").message).toContain("lookup('password') keeps state on the controller");
    expect(jinjaError("{{ lookup('nosuch', 'x') }}").message).toContain("unsupported lookup plugin 'nosuch' (supported: ");
  });

  it('omit drops a mapping entry of a value (a module parameter)', () => {
    // Ansible: mode: "{{ item.mode | default(omit) }}"
    expect(jv({ path: '/x', mode: '{{ item.mode | default(omit) }}' }, { item: {} })).toEqual({ path: '/x' });
    expect(jv({ path: '/x', mode: '{{ item.mode | default(omit) }}' }, { item: { mode: '0644' } })).toEqual({ path: '/x', mode: '0644' });
    expect(jv([{ a: '{{ omit }}', b: 1 }])).toEqual([{ b: 1 }]);
  });

  it('vars[name] reads a variable by a computed name', () => {
    expect(j("{{ vars['port_' ~ proto] }}", { proto: 'ssh', port_ssh: 22 })).toBe('22');
  });
});
