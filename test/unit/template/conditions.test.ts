import { describe, expect, it } from 'vitest';
import { TemplateError, evalExpression, truthy } from '../../../src/template/index.js';

const origin = { file: 'roles/web/tasks.yml', line: 14, column: 11 };
const ev = (expr: string | boolean | (string | boolean)[], ctx: Record<string, unknown> = {}) => evalExpression(expr, ctx, origin);

function exprError(expr: string, ctx: Record<string, unknown> = {}): TemplateError {
  try {
    ev(expr, ctx);
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateError);
    const te = e as TemplateError;
    expect(te.file).toBe(origin.file);
    expect(te.line).toBe(origin.line);
    return te;
  }
  throw new Error(`expected ${expr} to fail`);
}

describe('evalExpression: literals and paths', () => {
  it('evaluates literals', () => {
    expect(ev('42')).toBe(42);
    expect(ev('3.5')).toBe(3.5);
    expect(ev("'single'")).toBe('single');
    expect(ev('"double \\"q\\" \\n"')).toBe('double "q" \n');
    expect(ev('true')).toBe(true);
    expect(ev('True')).toBe(true);
    expect(ev('false')).toBe(false);
    expect(ev('False')).toBe(false);
    expect(ev('none')).toBeNull();
    expect(ev('None')).toBeNull();
    expect(ev("[1, 'a', [true]]")).toEqual([1, 'a', [true]]);
    expect(ev('[]')).toEqual([]);
  });

  it('reads variable paths: a.b, a["b"], a[0], a.0, a[-1], a[key]', () => {
    const ctx = { a: { b: { c: 'deep' }, 'x-y': 1, list: [10, 20, 30] }, key: 'b' };
    expect(ev('a.b.c', ctx)).toBe('deep');
    expect(ev("a['b'].c", ctx)).toBe('deep');
    expect(ev('a["x-y"]', ctx)).toBe(1);
    expect(ev('a.list[0]', ctx)).toBe(10);
    expect(ev('a.list.1', ctx)).toBe(20);
    expect(ev('a.list[-1]', ctx)).toBe(30);
    expect(ev('a[key].c', ctx)).toBe('deep');
  });

  it('a boolean returns itself', () => {
    expect(ev(true)).toBe(true);
    expect(ev(false)).toBe(false);
  });

  it('a list means all must hold', () => {
    expect(ev(['a', 'b > 1', true], { a: 1, b: 2 })).toBe(true);
    expect(ev(['a', 'b > 1'], { a: 1, b: 0 })).toBe(false);
    expect(ev([true, false])).toBe(false);
    expect(ev([])).toBe(true);
  });

  it('{{ }} inside a condition is rendered first, as Ansible tolerates', () => {
    expect(ev('{{ flag }}', { flag: true })).toBe(true);
    expect(ev('{{ flag }}', { flag: false })).toBe(false);
    expect(ev('{{ flag }}', { flag: 'False' })).toBe(false);
    expect(ev('{{ list }}', { list: [] })).toEqual([]);
    expect(ev('{{ name }}', { name: 'relay' })).toBe('relay');
    expect(ev("'{{ name }}' == 'relay'", { name: 'relay' })).toBe(true);
    expect(ev('{{ n }} > 3', { n: 5 })).toBe(true);
  });

  it('errors of a rendered condition never quote the rendered text', () => {
    const e = exprError('{{ token }} == 1', { token: 's3cr3t-value' });
    expect(e.message).toContain('rendered to an expression with an undefined variable');
    expect(e.message).not.toContain('s3cr3t');
    expect(e.variable).toBeUndefined();
    expect(exprError('{{ missing }} == 1').variable).toBe('missing');
  });
});

describe('evalExpression: operators', () => {
  const ctx = { n: 5, s: 'abc', l: [1, 2, 3], m: { k: 'v' }, t: true, f: false };

  it.each([
    ['n == 5', true],
    ['n == "5"', false],
    ['l == [1, 2, 3]', true],
    ['m == m', true],
    ['n != 4', true],
    ['n != 5', false],
    ['n < 6', true],
    ['n < 5', false],
    ['n <= 5', true],
    ['n > 5', false],
    ['n >= 5', true],
    ["s < 'abd'", true],
    ['1 < n < 10', true],
    ['1 < n < 3', false],
    ['2 in l', true],
    ['9 in l', false],
    ["'b' in s", true],
    ["'k' in m", true],
    ["'v' in m", false],
    ['9 not in l', true],
    ['2 not in l', false],
    ['t and f', false],
    ['t and t', true],
    ['f or t', true],
    ['f or f', false],
    ['not f', true],
    ['not t', false],
    ['not not t', true],
    ['(f or t) and t', true],
    ['n + 1 == 6', true],
    ['n - 1 * 2 == 3', true],
    ['(n - 1) * 2 == 8', true],
    ['n / 2 == 2.5', true],
    ['n // 2 == 2', true],
    ['-n % 3 == 1', true],
    ["s ~ n == 'abc5'", true],
    ["s + 'd' == 'abcd'", true],
    ['l + [4] == [1, 2, 3, 4]', true],
  ])('%s -> %s', (expr, want) => {
    expect(ev(expr, ctx)).toBe(want);
  });

  it('precedence: not a and b or c is ((not a) and b) or c', () => {
    const cases: [boolean, boolean, boolean][] = [];
    for (const a of [true, false]) for (const b of [true, false]) for (const c of [true, false]) cases.push([a, b, c]);
    for (const [a, b, c] of cases) {
      expect(truthy(ev('not a and b or c', { a, b, c }))).toBe(((!a && b) || c) as boolean);
    }
    expect(ev('not a == b', { a: 1, b: 2 })).toBe(true); // not (a == b)
    expect(ev('not x is defined')).toBe(true); // not (x is defined)
  });

  it('and / or return the deciding operand and short-circuit', () => {
    expect(ev("'' or 'fallback'")).toBe('fallback');
    expect(ev('1 and 2')).toBe(2);
    // The right side is not evaluated, so its undefined variable is no error.
    expect(ev('x is defined and x > 1')).toBe(false);
    expect(ev('x is not defined or x > 1')).toBe(true);
  });
});

describe('evalExpression: tests', () => {
  it('is defined / is not defined / is undefined, through missing parents', () => {
    const ctx = { a: { b: 1 }, z: null };
    expect(ev('a is defined', ctx)).toBe(true);
    expect(ev('a.b is defined', ctx)).toBe(true);
    expect(ev('a.c is defined', ctx)).toBe(false);
    expect(ev('nope.deep[0].x is defined', ctx)).toBe(false);
    expect(ev('nope is not defined', ctx)).toBe(true);
    expect(ev('nope is undefined', ctx)).toBe(true);
    expect(ev('z is defined', ctx)).toBe(true);
  });

  it('is none / is not none and type tests', () => {
    expect(ev('z is none', { z: null })).toBe(true);
    expect(ev('z is None', { z: null })).toBe(true);
    expect(ev('z is not none', { z: 0 })).toBe(true);
    expect(ev("'x' is string")).toBe(true);
    expect(ev('3 is number and 3 is integer and 3.5 is float')).toBe(true);
    expect(ev('m is mapping and l is sequence', { m: {}, l: [] })).toBe(true);
    expect(ev('true is true and false is false and true is boolean')).toBe(true);
  });

  it('registered results: failed, succeeded, changed, skipped', () => {
    const ctx = { r: { rc: 1, failed: true, changed: false }, s: { rc: 0, changed: true, skipped: false } };
    expect(ev('r is failed', ctx)).toBe(true);
    expect(ev('r is succeeded', ctx)).toBe(false);
    expect(ev('s is success and s is changed and s is not skipped', ctx)).toBe(true);
    expect(exprError('n is failed', { n: 1 }).message).toContain("test 'failed' expects a registered task result");
  });

  it('match / search', () => {
    expect(ev("v is match('^9\\\\.')", { v: '9.2p1' })).toBe(true);
    expect(ev("v is match('2')", { v: '9.2p1' })).toBe(false);
    expect(ev("v is search('2p')", { v: '9.2p1' })).toBe(true);
  });
});

describe('evalExpression: filters', () => {
  it('length / count', () => {
    expect(ev('l|length', { l: [1, 2] })).toBe(2);
    expect(ev("'abc'|length")).toBe(3);
    expect(ev('m|count', { m: { a: 1 } })).toBe(1);
    expect(ev('l|length > 1 and l|length < 3', { l: [1, 2] })).toBe(true);
  });

  it('int and float, with Jinja fallbacks', () => {
    expect(ev("'42'|int")).toBe(42);
    expect(ev("' 7 '|int + 1")).toBe(8);
    expect(ev("'3.9'|int")).toBe(3);
    expect(ev("'abc'|int")).toBe(0);
    expect(ev("'abc'|int(5)")).toBe(5);
    expect(ev('true|int')).toBe(1);
    expect(ev("'2.5'|float")).toBe(2.5);
    expect(ev('stdout|int > 1024', { stdout: '2048\n' })).toBe(true);
  });

  it('bool follows Ansible', () => {
    for (const s of ['yes', 'Yes', 'on', '1', 'true', 'True']) expect(ev(`'${s}'|bool`)).toBe(true);
    for (const s of ['no', 'off', '0', 'false', '', 'maybe', ' yes']) expect(ev(`'${s}'|bool`)).toBe(false);
    expect(ev('1|bool')).toBe(true);
    expect(ev('2|bool')).toBe(false);
    expect(ev('x|bool', { x: true })).toBe(true);
    // Ansible's to_bool: None stays None (false in a condition).
    expect(ev('x|bool', { x: null })).toBe(null);
  });

  it('default replaces only undefined (or falsy with true)', () => {
    expect(ev('x|default(5)')).toBe(5);
    expect(ev('x|default(5)', { x: 1 })).toBe(1);
    expect(ev('x|default(5)', { x: null })).toBeNull();
    expect(ev("x|default('d', true)", { x: '' })).toBe('d');
    expect(ev('a.b.c|d(0) + 1')).toBe(1);
    expect(ev('x|default')).toBe('');
  });

  it('trim, lower, upper, string, first, last, join, split, replace', () => {
    expect(ev('s|trim', { s: '  ok \n' })).toBe('ok');
    expect(ev("s|lower == 'active'", { s: 'ACTIVE' })).toBe(true);
    expect(ev('s|upper', { s: 'a' })).toBe('A');
    expect(ev('n|string', { n: 3 })).toBe('3');
    expect(ev('l|first + l|last', { l: [1, 2, 3] })).toBe(4);
    expect(ev("l|join(',')", { l: ['a', 'b'] })).toBe('a,b');
    expect(ev('s|split', { s: ' a  b ' })).toEqual(['a', 'b']);
    expect(ev("s|split(':')|length", { s: 'a:b:c' })).toBe(3);
    expect(ev("s|replace('-', '_')", { s: 'a-b-c' })).toBe('a_b_c');
    expect(ev("stdout|trim|lower == 'yes'", { stdout: ' YES\n' })).toBe(true);
  });

  it('filters bind tighter than operators', () => {
    expect(ev('n|int + 1', { n: '1' })).toBe(2);
    expect(ev('not l|length', { l: [] })).toBe(true);
  });
});

describe('evalExpression: changed_when / failed_when context', () => {
  it('reads rc, stdout, stderr and stdout_lines', () => {
    const ctx = { rc: 0, stdout: 'created user\nok', stderr: '', stdout_lines: ['created user', 'ok'] };
    expect(ev("'created' in stdout", ctx)).toBe(true);
    expect(ev('rc != 0 or stderr|length > 0', ctx)).toBe(false);
    expect(ev("stdout_lines[0] == 'created user'", ctx)).toBe(true);
    expect(ev("'ok' in stdout_lines", ctx)).toBe(true);
  });
});

describe('evalExpression: errors', () => {
  it('an undefined variable names it and the condition', () => {
    const e = exprError('ssh_port == 22');
    expect(e.variable).toBe('ssh_port');
    expect(e.message).toBe(`roles/web/tasks.yml:14:11: undefined variable 'ssh_port' in condition "ssh_port == 22"`);
    expect(exprError('a.b.c > 1', { a: {} }).variable).toBe('a.b.c');
    expect(exprError("a['x y'] == 1", { a: {} }).variable).toBe('a["x y"]');
    expect(exprError('l[5] == 1', { l: [1] }).variable).toBe('l[5]');
    expect(exprError('x').variable).toBe('x');
    expect(exprError('not x').variable).toBe('x');
    expect(exprError('x|length').variable).toBe('x');
    expect(exprError('1 in x').variable).toBe('x');
  });

  it('syntax errors say what was expected and where', () => {
    expect(exprError('a ==').message).toContain('expected a value, but found the end of the text');
    expect(exprError('(a').message).toContain("expected ')', found the end of the text");
    expect(exprError('a b').message).toContain("expected the end of the expression, found 'b'");
    expect(exprError("'open").message).toContain('unterminated string');
    expect(exprError('a = 1').message).toContain("expected the end of the expression, found '='");
    expect(exprError('a is').message).toContain("expected a test name after 'is'");
    expect(exprError('a |').message).toContain("expected a filter name after '|'");
    expect(exprError('a $ b').message).toContain("unexpected character '$'");
    expect(exprError('').message).toContain('empty condition');
  });

  it("no code execution: only fleet's own functions, methods and filters exist", () => {
    expect(exprError('lookup("pipe", "id")').message).toContain("lookup('pipe') runs a command on the controller: not supported");
    expect(exprError('s.__class__()', { s: 'a' }).message).toContain('unsupported method .__class__() on a string');
    expect(exprError("s.constructor('x')", { s: 'a' }).message).toContain('unsupported method .constructor()');
    expect(exprError('eval("1")').message).toContain("unknown function 'eval'");
    // Prototype members are not variables.
    expect(ev('s.constructor is defined', { s: 'a' })).toBe(false);
    expect(exprError('m.__proto__', { m: {} }).variable).toBe('m.__proto__');
    expect(ev('m.constructor is defined', { m: {} })).toBe(false);
    expect(ev('m.hasOwnProperty is defined', { m: {} })).toBe(false);
    expect(ev('toString is defined')).toBe(false);
    expect(exprError('x|constructor', { x: 1 }).message).toContain("unknown filter 'constructor'");
    expect(exprError('x is constructor', { x: 1 }).message).toContain("unknown test 'constructor'");
  });

  it('unknown filters and tests list the known ones', () => {
    expect(exprError('x|frob', { x: 1 }).message).toMatch(/unknown filter 'frob' \(filters: .*default/);
    expect(exprError('x is frob', { x: 1 }).message).toMatch(/unknown test 'frob' \(tests: .*defined/);
  });

  it('type errors name the types, never the values', () => {
    const e = exprError('secret > 3', { secret: 'hunter2' });
    expect(e.message).toContain('cannot compare string > int');
    expect(e.message).not.toContain('hunter2');
    expect(exprError('1 in 5').message).toContain("'in' needs a list, string or mapping");
    expect(exprError("1 in 'abc'").message).toContain("'in <string>' needs a string on its left");
    expect(exprError('1 / 0').message).toContain('division by zero');
    expect(exprError("'a' - 1").message).toContain("cannot apply '-'");
  });
});

describe('truthy', () => {
  it('follows Ansible', () => {
    for (const t of [true, 1, -1, 'x', 'false', [0], { a: 1 }]) expect(truthy(t)).toBe(true);
    for (const f of [false, 0, NaN, '', [], {}, null, undefined]) expect(truthy(f)).toBe(false);
  });
});
