// Every test (x is t), against Jinja's "List of Builtin Tests" and Ansible's "Tests"
// guide (cited by section).
import { describe, expect, it } from 'vitest';
import { j, jinjaError, jv } from './jinja.js';

const t = (expr: string, ctx: Record<string, unknown> = {}) => jv(`{{ ${expr} }}`, ctx);

describe('tests', () => {
  it('defined / undefined, through missing parents', () => {
    expect(t('a is defined and a.b is defined and a.c is not defined and nope.x[0] is undefined', { a: { b: null } })).toBe(true);
  });

  it('none, true, false, boolean, string, number, integer, float, mapping, sequence, iterable', () => {
    expect(t('n is none and x is not none', { n: null, x: 0 })).toBe(true);
    expect(t('true is true and false is false and 1 is not true and true is boolean and 1 is not boolean')).toBe(true);
    expect(
      t("'a' is string and 1 is number and 1.5 is number and 1 is integer and 1.5 is float and 2.0 is float and 2.0 is not integer"),
    ).toBe(true);
    expect(t("{} is mapping and [] is sequence and 'x' is sequence and {} is iterable and 1 is not mapping")).toBe(true);
    // A type test of an undefined value is false, as in Jinja.
    expect(t('u is none or u is string or u is mapping')).toBe(false);
  });

  it('eq, ne, lt, le, gt, ge (and, for select(), their operator spellings), sameas', () => {
    // Jinja "eq", "sameas": {% if foo.attribute is sameas false %}
    expect(
      t(
        "1 is eq 1 and [1, 2] | select('==', 1) | list == [1] and 1 is ne 2 and 1 is lt 2 and 2 is le 2 and 3 is gt 2 and 3 is ge 3 and 'a' is equalto 'a'",
      ),
    ).toBe(true);
    expect(t('foo is sameas false and foo is not sameas 0', { foo: false })).toBe(true);
    expect(jinjaError('{{ 1 is lt "a" }}').message).toContain('cannot compare int < string');
  });

  it('odd, even, divisibleby', () => {
    // Jinja "divisibleby": {% if loop.index is divisibleby 3 %}
    expect(j('{% for x in range(1, 7) %}{% if loop.index is divisibleby 3 %}{{ x }}{% endif %}{% endfor %}')).toBe('36');
    expect(t('3 is odd and 4 is even and 9 is divisibleby(3) and 10 is not divisibleby 3')).toBe(true);
  });

  it('in, contains, subset, superset', () => {
    // Ansible "Testing if a list contains a value": {{ 'a' in list }} / is contains.
    expect(t("'a' is in ['a', 'b'] and ['a', 'b'] is contains('b') and 'ell' is in 'hello'")).toBe(true);
    // Ansible "Testing if a list value is True/subset/superset".
    expect(t('a is subset(b) and b is superset(a) and b is not subset(a)', { a: [1, 2], b: [1, 2, 3] })).toBe(true);
  });

  it('lower, upper', () => {
    expect(t("'abc' is lower and 'ABC' is upper and 'aBc' is not lower")).toBe(true);
  });

  it('match, search, regex (Python syntax, ignorecase, multiline)', () => {
    // Ansible "Testing strings": url is match("https://example.com/users/.*/resources"),
    // url is search("users/.*/resources/.*"), url is regex("example\.com/\w+/foo").
    const url = 'https://example.com/users/foo/resources/bar';
    expect(t('url is match("https://example.com/users/.*/resources")', { url })).toBe(true);
    expect(t('url is search("users/.*/resources/.*")', { url })).toBe(true);
    expect(t('url is search("users")', { url })).toBe(true);
    expect(t('url is not match("users")', { url })).toBe(true);
    expect(t('url is regex("example\\\\.com/\\\\w+/foo")', { url })).toBe(true);
    expect(t("'FOO' is match('f', ignorecase=true) and 'a\\nb' is search('^b', multiline=true) and 'a\\nb' is not search('^b')")).toBe(
      true,
    );
    expect(t("'x1' is regex('^x', match_type='match') and '9.2p1' is match('^9\\\\.')")).toBe(true);
    expect(jinjaError('{{ 5 is match("5") }}').message).toContain("test 'match' expects a string, got int");
  });

  it('version (loose by default, strict, semver)', () => {
    // Ansible "Comparing versions": {{ ansible_facts['distribution_version'] is version('12.04', '>=') }},
    // {{ sample_version_var is version('1.0', operator='lt', strict=True) }}
    expect(t("v is version('12.04', '>=')", { v: '22.04' })).toBe(true);
    expect(t("'0.9' is version('1.0', operator='lt', strict=True)")).toBe(true);
    expect(t("'1.2.10' is version('1.2.9', 'gt') and '1.2' is version('1.2.0', 'lt') and '9.2p1' is version('9.0', '>=')")).toBe(true);
    expect(
      t("'2.14.0-rc1' is version('2.14.0', 'lt', version_type='semver') and '1.0.0' is version('1.0.0', '==', version_type='semantic')"),
    ).toBe(true);
    expect(jinjaError("{{ '1.0' is version('1.0', 'bigger') }}").message).toContain("invalid version operator 'bigger'");
    expect(jinjaError("{{ '1.0a' is version('1.0', 'lt', strict=true) }}").message).toContain('invalid version number');
  });

  it('truthy, falsy', () => {
    expect(t("'x' is truthy and '' is falsy and 'no' is truthy and 'no' is falsy(convert_bool=true)")).toBe(true);
  });

  it('registered results: failed, succeeded, changed, skipped, reachable (and aliases)', () => {
    const ctx = { r: { failed: true, changed: false }, s: { failed: false, changed: true, skipped: false } };
    expect(
      t(
        'r is failed and r is not succeeded and s is success and s is successful and s is changed and s is change and s is not skipped and s is not skip and r is failure and s is reachable',
        ctx,
      ),
    ).toBe(true);
    expect(jinjaError('{{ 1 is failed }}').message).toContain("test 'failed' expects a registered task result, got int");
  });

  it('unknown tests and wrong arguments are errors', () => {
    expect(jinjaError('{{ 1 is frob }}').message).toMatch(/unknown test 'frob' \(tests: .*defined/);
    expect(jinjaError('{{ 1 is defined(2) }}').message).toContain("'defined' takes no arguments");
    expect(jinjaError('{{ "a" is match }}').message).toContain("'match' needs its 'pattern' argument");
    expect(t('1 is ansible.builtin.number')).toBe(true);
  });
});
