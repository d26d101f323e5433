import { describe, it, expect } from 'vitest';
import { q, b64Heredoc, substituteValidate, dirnameOf } from '../../../src/modules/lib/sh.js';
import { parseProbe } from '../../../src/modules/lib/kv.js';
import { normaliseMode, statMode } from '../../../src/modules/lib/mode.js';
import { unifiedDiff } from '../../../src/modules/lib/diff.js';
import { editLine, editBlock } from '../../../src/modules/lib/lines.js';
import { sh } from './helpers.js';

describe('sh quoting', () => {
  it('round-trips hostile strings through a real shell', () => {
    for (const s of ["it's", 'a b', '$(touch /tmp/pwned)', '`x`', '"q"', '', 'back\\slash', 'new\nline', '*']) {
      expect(sh(`printf '%s' ${q(s)}`).stdout).toBe(s);
    }
  });
  it('leaves plain words bare', () => {
    expect(q('/etc/ssh/sshd_config')).toBe('/etc/ssh/sshd_config');
  });
  it('carries bytes through a base64 here-document', () => {
    const data = Buffer.from([0, 1, 2, 255, 10, 39, 34]);
    const r = sh('f=$(mktemp)\n' + b64Heredoc('base64 -d > "$f"', data) + 'od -An -tx1 "$f"; rm -f "$f"\n');
    expect(r.stdout.trim().split(/\s+/)).toEqual(['00', '01', '02', 'ff', '0a', '27', '22']);
  });
  it('substitutes %s in validate commands', () => {
    expect(substituteValidate('sshd -t -f %s')).toBe('sshd -t -f "$tmp"');
    expect(substituteValidate('visudo -cf')).toBe('visudo -cf "$tmp"');
  });
  it('computes dirnames', () => {
    expect(dirnameOf('/etc/x.conf')).toBe('/etc');
    expect(dirnameOf('/x')).toBe('/');
    expect(dirnameOf('/a/b/')).toBe('/a');
  });
});

describe('probe parser', () => {
  it('keeps repeated keys, splits on the first =, decodes base64', () => {
    const d = parseProbe(`a=1\nb=x=y\na=2\nc_b64=${Buffer.from('hé\n').toString('base64')}\nnoise\n`);
    expect(d.get('a')).toBe('2');
    expect(d.all('a')).toEqual(['1', '2']);
    expect(d.get('b')).toBe('x=y');
    expect(d.text('c_b64')).toBe('hé\n');
    expect(() => d.need('zz')).toThrow(/lacks "zz="/);
  });
});

describe('modes', () => {
  it('normalises octal forms', () => {
    expect(normaliseMode('0644')).toBe('0644');
    expect(normaliseMode('644')).toBe('0644');
    // A number is the mode's value (YAML 1.1 `0644` = 420), as in Ansible.
    expect(normaliseMode(420)).toBe('0644');
    expect(normaliseMode(0o4755)).toBe('4755');
    expect(normaliseMode('600')).toBe('0600');
    // Ansible reads a string mode with Python's int(mode, 8): "0o644" and "00644" are octal too.
    expect(normaliseMode('0o644')).toBe('0644');
    expect(normaliseMode('00644')).toBe('0644');
    expect(normaliseMode('01777')).toBe('1777');
    expect(statMode('755')).toBe('0755');
  });
  it('normalises symbolic forms', () => {
    expect(normaliseMode('u=rw,g=r,o=r')).toBe('0644');
    expect(normaliseMode('u=rwx,go=rx')).toBe('0755');
    expect(normaliseMode('a+x', 0o644)).toBe('0755');
    expect(normaliseMode('go-w', 0o666)).toBe('0644');
    expect(normaliseMode('a+X', 0o644, true)).toBe('0755');
    expect(normaliseMode('a+X', 0o644, false)).toBe('0644');
    expect(normaliseMode('u+s', 0o755)).toBe('4755');
  });
  it('rejects modes that are not octal or symbolic, saying what was expected', () => {
    expect(() => normaliseMode(0o17777)).toThrow(/expected an octal mode like 0644 \(at most 07777\)/);
    expect(() => normaliseMode(1.5)).toThrow(/expected an octal mode/);
    expect(() => normaliseMode('rw-r--r--')).toThrow(/expected octal digits/);
    expect(() => normaliseMode('17777')).toThrow(/expected octal digits/);
    expect(() => normaliseMode('0o8')).toThrow(/expected octal digits/);
  });
});

describe('diff', () => {
  it('produces a unified diff', () => {
    const d = unifiedDiff('/etc/x', 'a\nb\n', 'a\nc\n');
    expect(d).toContain('--- /etc/x');
    expect(d).toContain('-b');
    expect(d).toContain('+c');
  });
  it('diffs a new file against /dev/null and refuses binary', () => {
    expect(unifiedDiff('/etc/x', undefined, 'new\n')).toContain('--- /dev/null');
    expect(unifiedDiff('/x', Buffer.from([0, 1]), 'a')).toBe('Binary files /x differ\n');
  });
});

describe('line edits', () => {
  const base = 'Port 22\n#PermitRootLogin yes\nUsePAM yes\n';
  it('replaces the last line matching regexp', () => {
    expect(editLine(base, { line: 'PermitRootLogin no', regexp: '^#?PermitRootLogin', state: 'present' })).toBe(
      'Port 22\nPermitRootLogin no\nUsePAM yes\n',
    );
  });
  it('appends at EOF, or inserts before/after a match, or at BOF', () => {
    expect(editLine(base, { line: 'X 1', state: 'present' })).toBe(base + 'X 1\n');
    expect(editLine(base, { line: 'X 1', state: 'present', insertafter: '^Port' })).toBe('Port 22\nX 1\n#PermitRootLogin yes\nUsePAM yes\n');
    expect(editLine(base, { line: 'X 1', state: 'present', insertbefore: '^UsePAM' })).toBe('Port 22\n#PermitRootLogin yes\nX 1\nUsePAM yes\n');
    expect(editLine(base, { line: 'X 1', state: 'present', insertbefore: 'BOF' })).toBe('X 1\n' + base);
  });
  it('adds a newline before appending to a file without one', () => {
    expect(editLine('a', { line: 'b', state: 'present' })).toBe('a\nb\n');
  });
  it('is idempotent when the line is there', () => {
    expect(editLine(base, { line: 'UsePAM yes', state: 'present' })).toBe(base);
    expect(editLine(base, { line: 'Port 22', regexp: '^Port ', state: 'present' })).toBe(base);
  });
  it('removes matching lines', () => {
    expect(editLine(base, { regexp: 'PermitRoot', state: 'absent' })).toBe('Port 22\nUsePAM yes\n');
    expect(editLine(base, { line: 'Port 22', state: 'absent' })).toBe('#PermitRootLogin yes\nUsePAM yes\n');
  });
  it('names a broken regular expression', () => {
    expect(() => editLine(base, { line: 'x', regexp: '(', state: 'present' })).toThrow(/regexp "\(": not a valid regular expression/);
  });
});

describe('block edits', () => {
  const opts = { marker: '# {mark} FLEET MANAGED BLOCK', markerBegin: 'BEGIN', markerEnd: 'END' };
  it('inserts, replaces and removes a marked block', () => {
    const one = editBlock('a\n', { ...opts, block: 'x\ny', state: 'present' });
    expect(one).toBe('a\n# BEGIN FLEET MANAGED BLOCK\nx\ny\n# END FLEET MANAGED BLOCK\n');
    const two = editBlock(one + 'z\n', { ...opts, block: 'w\n', state: 'present' });
    expect(two).toBe('a\n# BEGIN FLEET MANAGED BLOCK\nw\n# END FLEET MANAGED BLOCK\nz\n');
    expect(editBlock(two, { ...opts, block: 'w\n', state: 'present' })).toBe(two);
    expect(editBlock(two, { ...opts, block: '', state: 'absent' })).toBe('a\nz\n');
  });
  it('honours insertbefore', () => {
    expect(editBlock('a\nb\n', { ...opts, block: 'x', state: 'present', insertbefore: '^b' })).toBe(
      'a\n# BEGIN FLEET MANAGED BLOCK\nx\n# END FLEET MANAGED BLOCK\nb\n',
    );
  });
});
