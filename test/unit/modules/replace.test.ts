// Ansible's replace, on the examples of its documentation (ansible.builtin.replace), with the
// results Python's re.subn gives for them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { replace, replaceText } from '../../../src/modules/replace.js';
import { converge, params, planOf, tempDir } from './helpers.js';

let t: { dir: string; cleanup: () => void };
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

describe('replace (Ansible documentation examples)', () => {
  it('old.host.name -> new.host.name with groups \\1 \\2, MULTILINE: every line; then ok', () => {
    const f = join(t.dir, 'hosts');
    writeFileSync(f, '127.0.0.1 localhost\n10.0.0.1   old.host.name  alias\n10.0.0.2 old.host.name\n');
    const p = params(replace, { path: f, regexp: '(\\s+)old\\.host\\.name(\\s+.*)?$', replace: '\\1new.host.name\\2' });
    const plan = converge(replace, p);
    expect(plan.summary).toBe(`update ${f}: 2 replacements`);
    expect(plan.diff).toContain('+10.0.0.1   new.host.name  alias');
    expect(readFileSync(f, 'utf8')).toBe('127.0.0.1 localhost\n10.0.0.1   new.host.name  alias\n10.0.0.2 new.host.name\n');
    expect(planOf(replace, p).kind).toBe('ok');
  });

  it('after and before: only the section between them (DOTALL section, lazy when both are given)', () => {
    const text = '<IfModule x>\nStart after line here\nkeep me\nalso\n</IfModule>\nouter\n</IfModule>\n';
    expect(replaceText(text, { after: 'Start after line.*?\\n', before: '</IfModule>', regexp: '^(.+)$', replace: '# \\1' })).toEqual({
      text: '<IfModule x>\nStart after line here\n# keep me\n# also\n</IfModule>\nouter\n</IfModule>\n',
      count: 2,
    });
    // Only `after`: to the end of the file (greedy).
    expect(replaceText('a\nX\nb\nb\n', { after: 'X', regexp: '^b$', replace: 'c' }).text).toBe('a\nX\nc\nc\n');
    // Only `before`: from the start of the file up to its last match.
    expect(replaceText('b\nY\nb\nY\nb\n', { before: 'Y', regexp: '^b$', replace: 'c' }).text).toBe('c\nY\nc\nY\nb\n');
    // A section that does not match: nothing changes (Ansible reports that, changed=false).
    expect(replaceText('b\n', { after: 'nope', regexp: 'b', replace: 'c' })).toEqual({ text: 'b\n', count: 0 });
  });

  it('Listen 80 with a named group and \\g<name>; an empty replace removes', () => {
    expect(replaceText('Listen 80\nNameVirtualHost 80 \n', { regexp: '^(?P<k>NameVirtualHost|Listen)\\s+80\\s*$', replace: '\\g<k> 127.0.0.1:8080' }).text).toBe(
      // Python too: \s* takes the last line's ' \n', and $ matches at the very end.
      'Listen 127.0.0.1:8080\nNameVirtualHost 127.0.0.1:8080',
    );
    expect(replaceText('a # c\nb\n', { regexp: '\\s*#.*$', replace: '' }).text).toBe('a\nb\n');
  });

  it('a missing file is an error (replace never creates one); a bad pattern is an error naming it', () => {
    expect(planOf(replace, params(replace, { path: join(t.dir, 'none'), regexp: 'a' }))).toMatchObject({ kind: 'blocked', reason: expect.stringContaining('does not exist') });
    const f = join(t.dir, 'x');
    writeFileSync(f, 'a\n');
    expect(planOf(replace, params(replace, { path: f, regexp: 'a(?i)b' }))).toMatchObject({ kind: 'blocked', reason: expect.stringContaining('inline regex flags') });
  });
});
