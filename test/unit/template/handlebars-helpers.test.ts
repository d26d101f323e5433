// The handlebars helpers of .hbs templates (fleet's own roles).
import { describe, expect, it } from 'vitest';
import { TemplateError } from '../../../src/template/index.js';
import { hbs as r } from './hbs.js';

describe('handlebars helpers (.hbs files)', () => {
  it('default: undefined or null take the fallback, other values stay', () => {
    expect(r('{{default x "fallback"}}')).toBe('fallback');
    expect(r('{{default x "fallback"}}', { x: null })).toBe('fallback');
    expect(r('{{default x "fallback"}}', { x: 'set' })).toBe('set');
    expect(r('{{default x "fallback"}}', { x: 0 })).toBe('0');
    expect(r('{{default x "fallback"}}', { x: '' })).toBe('');
    expect(r('{{default a.b.c 7}}')).toBe('7');
    expect(r('{{default x y}}', { y: [1] })).toBe('[1]');
  });

  it('eq / ne compare by value and type', () => {
    expect(r('{{eq a "x"}}', { a: 'x' })).toBe('true');
    expect(r('{{eq a 22}}', { a: '22' })).toBe('false');
    expect(r('{{eq a b}}', { a: [1, { k: 2 }], b: [1, { k: 2 }] })).toBe('true');
    expect(r('{{ne a "x"}}', { a: 'y' })).toBe('true');
    expect(r('{{ne a "x"}}', { a: 'x' })).toBe('false');
    expect(r('{{#if (eq missing "x")}}yes{{else}}no{{/if}}')).toBe('no');
  });

  it('and / or return the deciding operand, not negates', () => {
    expect(r('{{and a b}}', { a: 1, b: 'two' })).toBe('two');
    expect(r('{{and a b c}}', { a: 1, b: '', c: 3 })).toBe('');
    expect(r('{{or a b}}', { a: '', b: 'fallback' })).toBe('fallback');
    expect(r('{{or a b}}', { a: 'first', b: 'x' })).toBe('first');
    expect(r('{{or a b}}', { a: 0, b: [] })).toBe('[]');
    expect(r('{{not a}}', { a: [] })).toBe('true');
    expect(r('{{not a}}', { a: 'x' })).toBe('false');
    expect(r('{{not missing}}')).toBe('true');
    expect(r('{{#if (and x (not y))}}on{{/if}}', { x: true, y: false })).toBe('on');
  });

  it('join joins a list with a separator', () => {
    expect(r('{{join l ", "}}', { l: ['a', 'b', 3] })).toBe('a, b, 3');
    expect(r('{{join l}}', { l: ['a', 'b'] })).toBe('a,b');
    expect(() => r('{{join s ","}}', { s: 'abc' })).toThrow(/helper 'join': expected a list, got string/);
  });

  it('json stringifies, optionally indented', () => {
    expect(r('{{json m}}', { m: { a: [1, 'x'], b: null } })).toBe('{"a":[1,"x"],"b":null}');
    expect(r('{{json s}}', { s: 'say "hi"' })).toBe('"say \\"hi\\""');
    expect(r('{{json m 2}}', { m: { a: 1 } })).toBe('{\n  "a": 1\n}');
  });

  it('indent indents lines after the first (Jinja), or all of a block', () => {
    const ctx = { cert: '-----BEGIN-----\nAAAA\n\n-----END-----' };
    expect(r('key: |\n  {{indent 2 cert}}', ctx)).toBe('key: |\n  -----BEGIN-----\n  AAAA\n\n  -----END-----');
    expect(r('{{indent 2 cert first=true}}', { cert: 'a\nb' })).toBe('  a\n  b');
    expect(r('{{indent cert 3}}', { cert: 'a\nb' })).toBe('a\n   b');
    expect(r('{{#indent 4}}x\ny{{/indent}}')).toBe('    x\n    y');
    expect(() => r('{{indent "x" "y"}}')).toThrow(/expected a number of spaces/);
  });

  it('upper / lower', () => {
    expect(r('{{upper s}} {{lower s}}', { s: 'MiXed' })).toBe('MIXED mixed');
  });

  it('quote single-quotes for POSIX sh, each item of a list', () => {
    expect(r('{{quote s}}', { s: "it's a $HOME `x`" })).toBe(`'it'\\''s a $HOME \`x\`'`);
    expect(r('{{quote n}}', { n: 5 })).toBe("'5'");
    expect(r('{{quote l}}', { l: ['a b', "c'd"] })).toBe(`'a b' 'c'\\''d'`);
    expect(r('{{quote e}}', { e: '' })).toBe("''");
  });

  it('b64 encodes UTF-8', () => {
    expect(r('{{b64 s}}', { s: 'héllo\n' })).toBe(Buffer.from('héllo\n').toString('base64'));
  });

  it('first / last of lists and strings', () => {
    expect(r('{{first l}}', { l: [{ a: 1 }, 2] })).toBe('{"a":1}');
    expect(r('{{last l}}', { l: [1, 2, 3] })).toBe('3');
    expect(r('{{first s}}{{last s}}', { s: 'abc' })).toBe('ac');
    expect(() => r('{{first n}}', { n: 3 })).toThrow(/expected a list or string, got int/);
  });

  it('lookup reads a dynamic key', () => {
    const ctx = { hostvars: { lab1: { ip: '10.0.0.1' } }, h: 'lab1' };
    expect(r('{{lookup (lookup hostvars h) "ip"}}', ctx)).toBe('10.0.0.1');
    expect(r('{{lookup l 1}}', { l: ['a', 'b'] })).toBe('b');
  });

  it('includes tests lists, strings and mapping keys', () => {
    expect(r('{{includes l "b"}}', { l: ['a', 'b'] })).toBe('true');
    expect(r('{{includes l "z"}}', { l: ['a', 'b'] })).toBe('false');
    expect(r('{{includes s "ell"}}', { s: 'hello' })).toBe('true');
    expect(r('{{includes m "k"}}', { m: { k: 1 } })).toBe('true');
    expect(() => r('{{includes n 1}}', { n: 5 })).toThrow(/helper 'includes'/);
  });

  it('a wrong number of arguments is an error naming the helper and line', () => {
    try {
      r('line1\n{{upper a b}}', { a: 'x', b: 'y' });
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(TemplateError);
      expect((e as TemplateError).line).toBe(2);
      expect((e as Error).message).toContain("helper 'upper': expected 1 argument(s), got 2");
    }
  });

  it('a variable named like a helper is read as the variable', () => {
    expect(r('{{ first }} {{ last }}', { first: 'Ada', last: 'Lovelace' })).toBe('Ada Lovelace');
  });
});
