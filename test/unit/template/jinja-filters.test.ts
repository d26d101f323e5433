// Every filter, against the examples of Jinja's "List of Builtin Filters" and Ansible's
// "Using filters to manipulate data" (cited by the filter's section), with the results
// those documents give.
import { describe, expect, it } from 'vitest';
import { j, jinjaError, jv } from './jinja.js';

describe('defaults, choices and conversions', () => {
  it('default: only an undefined value, or any falsy one with true', () => {
    // Ansible "Providing default values": {{ some_variable | default(5) }}
    expect(jv('{{ some_variable | default(5) }}')).toBe(5);
    expect(jv('{{ some_variable | default(5) }}', { some_variable: null })).toBeNull();
    expect(jv("{{ lookup('env', 'FLEET_UNSET_VAR') | default('admin', true) }}")).toBe('admin');
    expect(jv('{{ x | d("y") }} {{ a.b.c | default }}|')).toBe('y |');
    expect(jv('{{ x | default(y) }}', { x: 1 })).toBe(1); // an unused undefined fallback is fine
  });

  it('mandatory: an undefined value is an error naming it', () => {
    // Ansible "Making variables mandatory": {{ variable | mandatory }}
    const e = jinjaError('{{ variable | mandatory }}');
    expect(e.message).toContain("mandatory variable 'variable' not defined");
    expect(jinjaError("{{ v | mandatory('set v in group_vars') }}").message).toContain('set v in group_vars');
    expect(jv('{{ v | mandatory }}', { v: 0 })).toBe(0);
  });

  it('ternary', () => {
    // Ansible "Defining different values for true/false/null (ternary)".
    expect(jv("{{ (status == 'needs_restart') | ternary('restart', 'continue') }}", { status: 'needs_restart' })).toBe('restart');
    expect(jv("{{ enabled | ternary('no shutdown', 'shutdown', omit) }}", { enabled: null })).toBe('__omit_place_holder__fleet');
    expect(jv("{{ enabled | ternary('no shutdown', 'shutdown') }}", { enabled: false })).toBe('shutdown');
  });

  it('bool, int, float, string, list, type_debug', () => {
    expect(jv("{{ 'yes' | bool }} {{ 'On' | bool }} {{ 'no' | bool }} {{ 1 | bool }}")).toBe('True True False True');
    // Jinja "int": {{ '0x4d32' | int(0, 16) }} -> 19762; "42.23"|int -> 42.
    expect(jv("{{ '0x4d32' | int(0, 16) }}")).toBe(19762);
    expect(jv("{{ '42.23' | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ true | int }}")).toBe('42 0 7 1');
    expect(jv("{{ '1.5' | float }} {{ 2 | float }} {{ 'x' | float }}")).toBe('1.5 2.0 0.0');
    expect(jv('{{ 5 | string }}{{ none | string }}')).toBe('5None');
    expect(jv("{{ 'ab' | list }}")).toEqual(['a', 'b']);
    expect(
      jv(
        '{{ 1 | type_debug }} {{ 1.5 | type_debug }} {{ "a" | type_debug }} {{ [] | type_debug }} {{ {} | type_debug }} {{ none | type_debug }}',
      ),
    ).toBe('int float str list dict NoneType');
  });
});

describe('strings', () => {
  it('lower, upper, capitalize, title, trim', () => {
    expect(
      j(
        "{{ 'MiXed' | lower }} {{ 'MiXed' | upper }} {{ 'hello WORLD' | capitalize }} {{ 'hello world' | title }} [{{ '  x \\n' | trim }}] {{ 'xxaxx' | trim('x') }}",
      ),
    ).toBe('mixed MIXED Hello world Hello World [x] a');
    // Jinja converts the input to text first.
    expect(j('{{ false | lower }} {{ none | upper }}')).toBe('false NONE');
    expect(jinjaError('{{ 5 | basename }}').message).toContain("filter 'basename': expects a string, got int");
  });

  it('replace (with a count)', () => {
    // Jinja "replace": {{ "Hello World"|replace("Hello", "Goodbye") }} -> Goodbye World;
    // {{ "aaaaargh"|replace("a", "d'oh, ", 2) }} -> d'oh, d'oh, aaargh
    expect(j('{{ "Hello World"|replace("Hello", "Goodbye") }}')).toBe('Goodbye World');
    expect(j(`{{ "aaaaargh"|replace("a", "d'oh, ", 2) }}`)).toBe("d'oh, d'oh, aaargh");
  });

  it('split (Ansible 2.11+), join', () => {
    // Ansible "Splitting strings": {{ csv_string | split(",") }}
    expect(jv('{{ csv_string | split(",") }}', { csv_string: '1,2,3' })).toEqual(['1', '2', '3']);
    expect(jv("{{ ' a  b ' | split }}")).toEqual(['a', 'b']);
    // Jinja "join": {{ [1, 2, 3]|join('|') }} -> 1|2|3; {{ [1, 2, 3]|join }} -> 123;
    // {{ users|join(', ', attribute='username') }}
    expect(j("{{ [1, 2, 3]|join('|') }} {{ [1, 2, 3]|join }}")).toBe('1|2|3 123');
    expect(j("{{ users|join(', ', attribute='username') }}", { users: [{ username: 'a' }, { username: 'b' }] })).toBe('a, b');
  });

  it('indent, center, wordcount, format', () => {
    // Jinja "indent": width=4, first=False, blank=False.
    expect(j("{{ 'a\\nb\\n\\nc' | indent }}")).toBe('a\n    b\n\n    c');
    expect(j("{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb' | indent(2, blank=true) }}")).toBe('  a\n  b|a\n  \n  b');
    expect(j("[{{ 'ab' | center(6) }}] {{ 'one two, three' | wordcount }}")).toBe('[  ab  ] 3');
    // Jinja "format": {{ "%s, %s!"|format(greeting, name) }} -> Hello, World!
    expect(j('{{ "%s, %s!"|format(greeting, name) }}', { greeting: 'Hello', name: 'World' })).toBe('Hello, World!');
  });

  it('quote: shlex.quote, and (fleet) each item of a list, space separated', () => {
    // Ansible "Adding quotes for shell usage": echo {{ string_value | quote }}
    expect(j('echo {{ string_value | quote }}', { string_value: "it's $HOME" })).toBe(`echo 'it'"'"'s $HOME'`);
    expect(j("{{ 'plain-word_1.2/x' | quote }} {{ '' | quote }} {{ 5 | quote }}")).toBe("plain-word_1.2/x '' 5");
    expect(j('for a in {{ l | quote }}; do', { l: ['a b', 'c', "d'e"] })).toBe(`for a in 'a b' c 'd'"'"'e'; do`);
  });

  it('basename, dirname, splitext, path_join', () => {
    // Ansible "Managing file names and path names".
    expect(
      j(
        "{{ '/etc/asdf/foo.txt' | basename }} {{ '/etc/asdf/foo.txt' | dirname }} {{ '/etc/asdf/' | dirname }} [{{ '/etc/asdf/' | basename }}]",
      ),
    ).toBe('foo.txt /etc/asdf /etc/asdf []');
    expect(jv("{{ 'nginx.conf' | splitext }}")).toEqual(['nginx', '.conf']);
    expect(jv("{{ ('/etc', 'subdir', 'file.txt') | path_join }}")).toBe('/etc/subdir/file.txt');
  });

  it('b64encode, b64decode', () => {
    // Ansible "Encoding and decoding strings": {{ encoded | b64decode }}, {{ decoded | string | b64encode }}
    expect(j("{{ 'héllo\\n' | b64encode }}")).toBe(Buffer.from('héllo\n').toString('base64'));
    expect(j("{{ 'aMOpbGxvCg==' | b64decode }}")).toBe('héllo\n');
    expect(jinjaError("{{ 'not base64!' | b64decode }}").message).toContain('input is not base64');
  });

  it("to_uuid: a version 5 UUID in Ansible's namespace, or a given one (values from Python's uuid.uuid5)", () => {
    // Ansible "Generating UUIDs": {{ hostname | to_uuid }}
    expect(j("{{ 'www.example.com' | to_uuid }}")).toBe('69680a13-a686-5d20-a166-0e7b3b17ef84');
    expect(j("{{ 'example.org' | to_uuid(namespace='6ba7b810-9dad-11d1-80b4-00c04fd430c8') }}")).toBe(
      'aad03681-8b63-5304-89e0-8ca8f49461b5',
    );
  });

  it("truncate: Jinja's, at a word boundary, with a leeway of 5", () => {
    // Jinja "truncate": {{ "foo bar baz qux"|truncate(9) }} -> "foo...";
    // {{ "foo bar baz qux"|truncate(9, True) }} -> "foo ba..."; with leeway=0 "foo bar..."
    expect(j('{{ "foo bar baz qux" | truncate(9) }}')).toBe('foo...');
    expect(j('{{ "foo bar baz qux" | truncate(9, True) }}')).toBe('foo ba...');
    expect(j('{{ "foo bar baz qux" | truncate(11) }}')).toBe('foo bar baz qux');
    expect(j('{{ "foo bar baz qux" | truncate(11, False, "...", 0) }}')).toBe('foo bar...');
    expect(j("{{ 'abcdefghijklmnopqrstuvwxyz' | truncate(16, True, '') }}")).toBe('abcdefghijklmnop');
  });

  it('hash, checksum, md5, sha1, password_hash', () => {
    // Ansible "Hashing and encrypting strings and passwords".
    expect(j("{{ 'test1' | hash('sha1') }}")).toBe('b444ac06613fc8d63795be9ad0beaf55011936ac');
    expect(j("{{ 'test1' | hash('md5') }} {{ 'test2' | checksum }}")).toBe(
      '5a105e8b9d40e1329780d62ea2265d8a 109f4b3c50d7b0df729d299bc6f8e9ef9066971f',
    );
    // {{ 'passwordsaresecret' | password_hash('sha512', 'mysecretsalt') }}: the crypt(3) text
    // that glibc (and openssl passwd -6 -salt mysecretsalt) give.
    expect(j("{{ 'passwordsaresecret' | password_hash('sha512', 'mysecretsalt') }}")).toBe(
      '$6$mysecretsalt$i8PweECrAZzAqUN8NzUCrUIKhofQWIKCd2MKayt4Uu/ZE7CdF2fVODVdVBtC9mbe6n6MdlcRyAQuomIedgw2s1',
    );
    expect(j("{{ 'passwordsaresecret' | password_hash('sha256', 'mysecretsalt') }}")).toBe(
      '$5$mysecretsalt$x0QG9Y.ikLMcasTJ3qmfbpO2qA79xv0jf19FJLIQg1.',
    );
    expect(j("{{ 'x' | password_hash('sha512') }}")).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    expect(jinjaError("{{ 'x' | password_hash('md5') }}").message).toContain("unsupported scheme 'md5'");
  });

  it('urlencode, escape', () => {
    expect(j("{{ 'a b&c/d' | urlencode }} {{ {'k': 'v w'} | urlencode }} {{ '<a href=\"x\">' | e }}")).toBe(
      'a%20b%26c/d k=v%20w &lt;a href=&#34;x&#34;&gt;',
    );
  });
});

describe('regular expressions (Python syntax)', () => {
  it('regex_replace', () => {
    // Ansible "Searching strings with regular expressions".
    expect(j("{{ 'ansible' | regex_replace('^a.*i(.*)$', 'a\\\\1') }}")).toBe('able');
    expect(j("{{ 'foobar' | regex_replace('^f.*o(.*)$', '\\\\1') }}")).toBe('bar');
    expect(j("{{ 'localhost:80' | regex_replace('^(?P<host>.+):(?P<port>\\\\d+)$', '\\\\g<host>, \\\\g<port>') }}")).toBe('localhost, 80');
    expect(j("{{ 'localhost:80' | regex_replace(':80') }}")).toBe('localhost');
    expect(
      j(
        "{{ 'CamelCase' | regex_replace('c', 'k', ignorecase=true) }} {{ 'aaa' | regex_replace('a', 'b', count=2) }} {{ 'x$' | regex_replace('\\\\$', '$$') }}",
      ),
    ).toBe('kamelkase bba x$$');
    expect(j("{{ 'a\\nb' | regex_replace('^', '# ', multiline=true) }}")).toBe('# a\n# b');
  });

  it('regex_search and regex_findall', () => {
    expect(jv("{{ 'server1/database42' | regex_search('database[0-9]+') }}")).toBe('database42');
    expect(jv("{{ 'ansible' | regex_search('foobar') }}")).toBeNull();
    expect(jv("{{ 'server1/database42' | regex_search('server([0-9]+)/database([0-9]+)', '\\\\1', '\\\\2') }}")).toEqual(['1', '42']);
    expect(jv("{{ 'a=1' | regex_search('(?P<k>\\\\w)=(?P<v>\\\\d)', '\\\\g<v>') }}")).toEqual(['1']);
    expect(jv("{{ 'Some DNS servers are 8.8.8.8 and 8.8.4.4' | regex_findall('\\\\b(?:[0-9]{1,3}\\\\.){3}[0-9]{1,3}\\\\b') }}")).toEqual([
      '8.8.8.8',
      '8.8.4.4',
    ]);
    expect(jv("{{ 'k1=v1 k2=v2' | regex_findall('(\\\\w+)=(\\\\w+)') }}")).toEqual([
      ['k1', 'v1'],
      ['k2', 'v2'],
    ]);
  });

  it("regex_escape; Python's $, \\A, \\Z and inline flags", () => {
    expect(j("{{ '^f.*o(.*)$' | regex_escape() }}")).toBe('\\^f\\.\\*o\\(\\.\\*\\)\\$');
    expect(jv("{{ 'ab\\n' is search('b$') }} {{ 'AB' is match('(?i)ab') }} {{ 'x\\ny' is search('\\\\Ay\\\\Z') }}")).toBe(
      'True True False',
    );
    expect(jinjaError("{{ 'a' | regex_replace('(') }}").message).toContain('invalid regular expression');
  });
});

describe('lists', () => {
  it('length, count, first, last, min, max, sum', () => {
    expect(jv('{{ [1, 2] | length }} {{ "abc" | count }} {{ {"a": 1} | length }}')).toBe('2 3 1');
    expect(jv('{{ [3, 1, 2] | first }} {{ [3, 1, 2] | last }} {{ "xyz" | first }}')).toBe('3 2 x');
    // Jinja "max": {{ [1, 2, 3]|max }} -> 3; case-insensitive by default.
    expect(
      jv("{{ [1, 2, 3] | max }} {{ [1, 2, 3] | min }} {{ ['b', 'A', 'c'] | max }} {{ ['b', 'A', 'C'] | max(case_sensitive=true) }}"),
    ).toBe('3 1 c b');
    expect(jv("{{ users | max(attribute='age') }}", { users: [{ age: 3 }, { age: 9 }] })).toEqual({ age: 9 });
    expect(jv('{{ [1, 2.5] | sum }} {{ [] | sum }} {{ items | sum(attribute="n", start=10) }}', { items: [{ n: 1 }, { n: 2 }] })).toBe(
      '3.5 0 13',
    );
    expect(jinjaError('{{ [] | first }}').message).toContain('first of an empty list');
  });

  it('unique, sort, reverse, flatten', () => {
    // Jinja "unique": {{ ['foo', 'bar', 'foobar', 'FooBar']|unique|list }} -> ['foo', 'bar', 'foobar']
    expect(jv("{{ ['foo', 'bar', 'foobar', 'FooBar'] | unique | list }}")).toEqual(['foo', 'bar', 'foobar']);
    expect(
      jv('{{ [3, 1, 2] | sort }} {{ [3, 1, 2] | sort(reverse=true) }} {{ ["b", "A"] | sort }} {{ [1, 2] | reverse }} {{ "ab" | reverse }}'),
    ).toBe("[1, 2, 3] [3, 2, 1] ['A', 'b'] [2, 1] ba");
    // Jinja "sort": {% for user in users|sort(attribute="age,name") %}
    const users = [
      { name: 'b', age: 2 },
      { name: 'a', age: 2 },
      { name: 'c', age: 1 },
    ];
    expect(j('{% for u in users|sort(attribute="age,name") %}{{ u.name }}{% endfor %}', { users })).toBe('cab');
    expect(jinjaError('{{ [1, "a"] | sort }}').message).toContain('cannot compare');
    // Ansible "Flattening a list": {{ [3, [4, 2] ] | flatten }}, levels=1
    expect(jv('{{ [3, [4, 2]] | flatten }}')).toEqual([3, 4, 2]);
    expect(jv('{{ [3, [4, [2]]] | flatten(levels=1) }}')).toEqual([3, 4, [2]]);
  });

  it('map, select, reject, selectattr, rejectattr', () => {
    const users = [
      { name: 'a', active: true, email: null },
      { name: 'b', active: false, email: 'b@x' },
    ];
    // Jinja "map": {{ users|map(attribute='username')|join(', ') }}, {{ titles|map('lower')|join(', ') }}
    expect(
      j(
        "{{ users | map(attribute='name') | join(', ') }} {{ ['A', 'B'] | map('lower') | join(',') }} {{ ['a-b'] | map('replace', '-', '_') | list }}",
        { users },
      ),
    ).toBe("a, b a,b ['a_b']");
    expect(jv("{{ users | map(attribute='missing', default='?') | list }}", { users })).toEqual(['?', '?']);
    // Jinja "select": {{ numbers|select("odd") }}, {{ numbers|select("divisibleby", 3) }}; "reject".
    expect(
      jv(
        '{{ numbers | select("odd") | list }} {{ numbers | select("divisibleby", 3) | list }} {{ numbers | reject("odd") | list }} {{ [0, 1, ""] | select | list }}',
        { numbers: [1, 2, 3, 4, 5, 6] },
      ),
    ).toBe('[1, 3, 5] [3, 6] [2, 4, 6] [1]');
    // Jinja "selectattr": users|selectattr("is_active"), users|selectattr("email", "none").
    expect(
      j(
        '{{ users | selectattr("active") | map(attribute="name") | list }} {{ users | selectattr("email", "none") | map(attribute="name") | list }} {{ users | rejectattr("active") | map(attribute="name") | list }}',
        { users },
      ),
    ).toBe("['a'] ['a'] ['b']");
    expect(j('{{ users | selectattr("email", "equalto", "b@x") | map(attribute="name") | first }}', { users })).toBe('b');
    expect(j("{{ users | selectattr('missing', 'defined') | list | length }}", { users })).toBe('0');
  });

  it('union, intersect, difference, symmetric_difference, zip, batch', () => {
    // Ansible "Selecting from sets or lists (set theory)".
    const ctx = { list1: [1, 2, 5, 1, 3, 4, 10], list2: [1, 2, 3, 4, 5, 11, 99] };
    expect(jv('{{ list1 | unique }}', ctx)).toEqual([1, 2, 5, 3, 4, 10]);
    expect(jv('{{ list1 | union(list2) }}', ctx)).toEqual([1, 2, 5, 3, 4, 10, 11, 99]);
    expect(jv('{{ list1 | intersect(list2) }}', ctx)).toEqual([1, 2, 5, 3, 4]);
    expect(jv('{{ list1 | difference(list2) }}', ctx)).toEqual([10]);
    expect(jv('{{ list1 | symmetric_difference(list2) }}', ctx)).toEqual([10, 11, 99]);
    // Ansible "Combining items from multiple lists: zip": [1,2,3] | zip(['a','b','c','d']).
    expect(jv("{{ [1,2,3,4,5,6] | zip(['a','b','c','d','e','f']) | list }}")).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
      [4, 'd'],
      [5, 'e'],
      [6, 'f'],
    ]);
    expect(jv("{{ [1, 2] | zip_longest(['a'], fillvalue='x') | list }}")).toEqual([
      [1, 'a'],
      [2, 'x'],
    ]);
    expect(jv("{{ [1, 2, 3] | batch(2, 'x') | list }}")).toEqual([
      [1, 2],
      [3, 'x'],
    ]);
  });
});

describe('mappings', () => {
  it('dict2items, items2dict, items, dictsort', () => {
    // Ansible "Transforming dictionaries into lists": {{ dict | dict2items }}
    expect(jv('{{ tags | dict2items }}', { tags: { Application: 'payment', Environment: 'dev' } })).toEqual([
      { key: 'Application', value: 'payment' },
      { key: 'Environment', value: 'dev' },
    ]);
    expect(jv("{{ files | dict2items(key_name='file', value_name='path') }}", { files: { users: '/etc/passwd' } })).toEqual([
      { file: 'users', path: '/etc/passwd' },
    ]);
    // "Transforming lists into dictionaries": {{ tags | items2dict }}
    expect(
      jv('{{ tags | items2dict }}', {
        tags: [
          { key: 'Application', value: 'payment' },
          { key: 'Environment', value: 'dev' },
        ],
      }),
    ).toEqual({ Application: 'payment', Environment: 'dev' });
    expect(jv("{{ tags | items2dict(key_name='fruit', value_name='color') }}", { tags: [{ fruit: 'apple', color: 'red' }] })).toEqual({
      apple: 'red',
    });
    expect(jv('{{ {"b": 1, "a": 2} | items | list }} {{ {"b": 1, "a": 2} | dictsort }}')).toBe("[['b', 1], ['a', 2]] [['a', 2], ['b', 1]]");
  });

  it('combine, recursive, list_merge', () => {
    // Ansible "Combining hashes/dictionaries".
    expect(jv("{{ {'a':1, 'b':2} | combine({'b':3}) }}")).toEqual({ a: 1, b: 3 });
    expect(jv("{{ {'a':{'foo':1, 'bar':2}, 'b':2} | combine({'a':{'bar':3, 'baz':4}}, recursive=True) }}")).toEqual({
      a: { foo: 1, bar: 3, baz: 4 },
      b: 2,
    });
    expect(jv("{{ {'a':{'foo':1}} | combine({'a':{'bar':3}}) }}")).toEqual({ a: { bar: 3 } });
    expect(jv("{{ a | combine(b, list_merge='append') }}", { a: { x: [1, 2] }, b: { x: [3] } })).toEqual({ x: [1, 2, 3] });
    expect(jv("{{ a | combine(b, list_merge='prepend_rp') }}", { a: { x: [1, 2] }, b: { x: [2, 3] } })).toEqual({ x: [2, 3, 1] });
    expect(jv('{{ {"a": 1} | combine([{"b": 2}, {"a": 3}]) }}')).toEqual({ a: 3, b: 2 });
  });

  it("extract (map('extract', hostvars, 'x'))", () => {
    // Ansible "Combining values from a list and a dictionary": map('extract', ...)
    const hostvars = { h1: { ip: '10.0.0.1' }, h2: { ip: '10.0.0.2' } };
    expect(jv("{{ groups['x'] | map('extract', hostvars, 'ip') | list }}", { groups: { x: ['h1', 'h2'] }, hostvars })).toEqual([
      '10.0.0.1',
      '10.0.0.2',
    ]);
    expect(jv("{{ [0, 2] | map('extract', ['x', 'y', 'z']) | list }}")).toEqual(['x', 'z']);
  });
});

describe('serialisation', () => {
  it("to_json and to_nice_json print as Python's json.dumps", () => {
    // Ansible "Formatting data: YAML and JSON".
    expect(j("{{ {'b': 1, 'a': [1, 2.5, 'é'], 'n': none, 't': true} | to_json }}")).toBe(
      '{"b": 1, "a": [1, 2.5, "\\u00e9"], "n": null, "t": true}',
    );
    expect(j("{{ {'b': 1, 'a': [1, 2.5, 'é'], 'c': {}} | to_nice_json }}")).toBe(
      '{\n    "a": [\n        1,\n        2.5,\n        "\\u00e9"\n    ],\n    "b": 1,\n    "c": {}\n}',
    );
    expect(j("{{ {'a': 1} | to_nice_json(indent=2) }} {{ 4 / 2 | float }} {{ [4 / 2] | to_json }}")).toBe('{\n  "a": 1\n} 2.0 [2.0]');
  });

  it('from_json, to_yaml, to_nice_yaml, from_yaml, from_yaml_all', () => {
    expect(jv('{{ \'{"a": [1, true]}\' | from_json }}')).toEqual({ a: [1, true] });
    expect(j("{{ {'b': [1, 2], 'a': 'x'} | to_yaml }}")).toBe('a: x\nb: [1, 2]\n');
    // The layout of Python's yaml.dump(indent=4, default_flow_style=False).
    expect(j("{{ {'b': {'c': [1, 2]}, 'a': 'x', 'l': [{'k': 1, 'j': 2}], 'e': [], 's': 'yes'} | to_nice_yaml }}")).toBe(
      "a: x\nb:\n    c:\n    - 1\n    - 2\ne: []\nl:\n-   j: 2\n    k: 1\ns: 'yes'\n",
    );
    // Ansible reads YAML 1.1: yes is a boolean.
    expect(jv("{{ 'a: yes\\nb: [1, 2]' | from_yaml }}")).toEqual({ a: true, b: [1, 2] });
    expect(jv("{{ 'a: 1\\n---\\nb: 2' | from_yaml_all }}")).toEqual([{ a: 1 }, { b: 2 }]);
    expect(jinjaError("{{ '{' | from_json }}").message).toContain('from_json: invalid JSON');
  });
});

describe('filter names', () => {
  it('take the ansible.builtin. prefix; an unknown one is an error listing the known', () => {
    expect(j("{{ 'a b' | ansible.builtin.quote }}")).toBe("'a b'");
    expect(jinjaError('{{ x | frob }}', { x: 1 }).message).toMatch(/unknown filter 'frob' \(filters: .*combine.*default/);
    expect(jinjaError("{{ 'x' | replace('a') }}").message).toContain("'replace' needs its 'new' argument");
    expect(jinjaError("{{ 'x' | lower(1) }}").message).toContain("'lower' takes no arguments");
    expect(jinjaError("{{ [1] | join(sep=',') }}").message).toContain("'join' has no parameter 'sep' (parameters: d, attribute)");
  });
});

describe('comment', () => {
  it("Ansible's comment: the text as a comment block in the style asked for", () => {
    // Ansible "Adding comments to files": {{ "Plain style (default)" | comment }}
    expect(jv('{{ "Plain style (default)" | comment }}')).toBe('#\n# Plain style (default)\n#');
    expect(jv('{{ ansible_managed | comment }}', { ansible_managed: 'Ansible managed' })).toBe('#\n# Ansible managed\n#');
    expect(jv('{{ "a\nb" | comment("c") }}')).toBe('//\n// a\n// b\n//');
    expect(jv('{{ "C block style" | comment("cblock") }}')).toBe('/*\n *\n * C block style\n *\n */');
    expect(jv('{{ "x" | comment(decoration="! ", prefix_count=0) }}')).toBe('! x\n!');
    expect(jinjaError('{{ "x" | comment("cobol") }}').message).toContain("unknown style 'cobol'");
  });
});
