// INI inventories read exactly as ansible-core 2.14's ini plugin reads them. Every expected
// value below is what `ansible-inventory -i FILE --host h1` printed for the same line.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../../src/config/index.js';
import { pythonLiteral } from '../../../src/config/python-literal.js';
import { shlexSplit } from '../../../src/config/shlex.js';
import { expectConfigError, tree } from './helpers.js';

const hostVars = (ini: string) => {
  const dir = tree({ 'inv.ini': ini });
  const inv = loadInventory([join(dir, 'inv.ini')]);
  return { vars: inv.hosts.get('h1')!.vars, warnings: inv.warnings, file: join(dir, 'inv.ini') };
};

describe('INI values as Ansible reads them (Python literals)', () => {
  it('host line values: shlex-split, then literal_eval', () => {
    const { vars } = hostVars(
      `[web]\nh1 a=no b=yes c=True d=true e=0644 f=1:30 g=~ h="no" i=[1,2] k=None l=08 m=1e3 n=on o=1_000 p=0x1f q=FALSE ` +
        `d2="x y" e2='it''s' f2=a\\ b g2="say \\"hi\\"" i2=-5 j2=0o17 k2=(1,2) l2="{'a': 1}" m2='[1, "x"]' n2=00 p2=0.5 q2=1. r2=.5 s2="True" u2=-0x10 v2=+3 w2=1+2 ;y=z\n`,
    );
    expect(vars).toEqual({
      a: 'no', b: 'yes', c: true, d: 'true', e: '0644', f: '1:30', g: '~', h: 'no', i: [1, 2], k: null, l: '08', m: 1000, n: 'on',
      o: 1000, p: 31, q: 'FALSE', d2: 'x y', e2: 'its', f2: 'a b', g2: 'say "hi"', i2: -5, j2: 15, k2: [1, 2], l2: { a: 1 },
      m2: [1, 'x'], n2: 0, p2: 0.5, q2: 1, r2: 0.5, s2: true, u2: -16, v2: 3, w2: '1+2', ';y': 'z',
    });
  });

  it('a # in a host line ends it, even inside a word', () => {
    expect(hostVars('[web]\nh1:2222 a=b#c d="x y"\n').vars).toEqual({ ansible_port: 2222, a: 'b' });
  });

  it('[group:vars] values: the whole rest of the line, literal_eval\'d (a trailing comment is kept, with a warning)', () => {
    const { vars, warnings, file } = hostVars(`[web]\nh1\n[web:vars]\nva=no # comment\nvb = 'spaced' \nvc="a"'b'\nvd=u'x'\nve=True\nvf=[1, 2]\n`);
    expect(vars).toEqual({ va: 'no # comment', vb: 'spaced', vc: 'ab', vd: 'x', ve: true, vf: [1, 2] });
    expect(warnings).toEqual([expect.stringContaining(`${file}:4: the value of va includes the text after # or ;`)]);
  });

  it('yes/no/true/false that stay strings are warned about, except where fleet reads a boolean itself', () => {
    const { warnings, file } = hostVars('[web]\nh1 enable_tls=no ansible_become=yes ok=True\n');
    expect(warnings).toEqual([
      `${file}:2: enable_tls=no is the string "no" in an INI inventory (Ansible reads INI values as Python literals: only True and False are booleans), and a non-empty string is true in a condition; write False, or use it as "enable_tls | bool"`,
    ]);
  });

  it('a [g:vars] or [p:children] naming a group the file never declares is an error, as in Ansible', () => {
    const d1 = tree({ 'inv.ini': '[web]\nh1\n[wbe:vars]\nx=1\n' });
    expectConfigError(() => loadInventory([join(d1, 'inv.ini')]), join(d1, 'inv.ini'), 3, 2, "[wbe:vars] is for group 'wbe', which this file never declares");
    const d2 = tree({ 'inv.ini': '[prod:children]\nweb\ndb\n[web]\nh1\n' });
    expectConfigError(() => loadInventory([join(d2, 'inv.ini')]), join(d2, 'inv.ini'), 3, 1, "[prod:children] names group 'db'");
    const ok = tree({ 'inv.ini': '[prod:vars]\nenv=prod\n[prod:children]\nweb\n[web]\nh1\n' });
    expect(loadInventory([join(ok, 'inv.ini')]).hosts.get('h1')!.vars.env).toBe('prod');
  });

  it('host patterns: a range with a port; a name ending in : is refused', () => {
    const dir = tree({ 'inv.ini': '[web]\nw[1:2]:2222 x=1\n' });
    const inv = loadInventory([join(dir, 'inv.ini')]);
    expect(inv.hosts.get('w2')!.connection.port).toBe(2222);
    const bad = tree({ 'inv.ini': '[web]\nw1: x=1\n' });
    expectConfigError(() => loadInventory([join(bad, 'inv.ini')]), join(bad, 'inv.ini'), 2, 1, "cannot end with ':'");
  });
});

describe('pythonLiteral and shlexSplit', () => {
  it('reads Python literals and refuses the rest', () => {
    expect(pythonLiteral("{'a': [1, (2, 3)], 'b': None, 3: 'x'}")).toEqual({ value: { a: [1, [2, 3]], b: null, 3: 'x' } });
    expect(pythonLiteral("'tab\\there \\x41\\u00e9'")).toEqual({ value: 'tab\there Aé' });
    expect(pythonLiteral("r'\\d+'")).toEqual({ value: '\\d+' });
    expect(pythonLiteral('(1,)')).toEqual({ value: [1] });
    expect(pythonLiteral('(7)')).toEqual({ value: 7 });
    for (const t of ['no', 'true', '0644', '1j', '1.2.3', '{1, 2}', 'f"x"', '1+2', "'open", '[1, 2', 'os.system']) expect(pythonLiteral(t), t).toBeUndefined();
  });

  it('splits like POSIX shlex, with columns', () => {
    expect(shlexSplit(`a "b c" 'd e'f g\\ h # rest`)).toEqual([
      { text: 'a', column: 1 }, { text: 'b c', column: 3 }, { text: 'd ef', column: 9 }, { text: 'g h', column: 16 },
    ]);
    expect(() => shlexSplit('a "b')).toThrow(/no closing quotation/);
  });
});
