import { describe, expect, it } from 'vitest';
import { parseExtraVars } from '../../../src/cli/extra-vars.js';

describe('-e', () => {
  it('reads the three forms Ansible users type', () => {
    expect(parseExtraVars(['a=1 b=two', '{"c": {"d": [1, "x"]}}'])).toEqual({ a: '1', b: 'two', c: { d: [1, 'x'] } });
  });

  it('refuses a NUL character in JSON (the remote shell would drop it and change the argument), naming where', () => {
    expect(() => parseExtraVars(['{"y": "a\\u0000b"}'])).toThrow(/NUL character .* in y:/);
    expect(() => parseExtraVars(['{"db": {"hosts": ["ok", "b\\u0000d"]}}'])).toThrow(/NUL character .* in db\.hosts\.1:/);
    expect(() => parseExtraVars(['{"k\\u0000": 1}'])).toThrow(/NUL character/);
  });
});
