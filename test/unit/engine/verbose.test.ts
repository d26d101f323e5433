// -vv/-vvv print scripts and outputs: file contents in base64 never reach them.
import { describe, expect, it } from 'vitest';
import { elidePayloads } from '../../../src/engine/round-trip.js';
import { b64Heredoc } from '../../../src/modules/lib/sh.js';
import { writeFileSh } from '../../../src/modules/lib/filewrite.js';

describe('elidePayloads', () => {
  it('leaves out a here-document body, however short', () => {
    const secret = 'pw=s3cret';
    const text = `echo before\n${b64Heredoc('base64 -d > "$tmp"', Buffer.from(secret))}echo after\n`;
    const out = elidePayloads(text);
    expect(out).not.toContain(Buffer.from(secret).toString('base64'));
    expect(out).toMatch(/<<'FLEET_B64_[0-9a-f]+'\n<\d+ base64 characters left out>\nFLEET_B64_[0-9a-f]+\necho after\n$/);
    expect(out.startsWith('echo before\n')).toBe(true);
  });

  it('leaves out *_b64= values read back and any long base64 run, and keeps plain text', () => {
    const out = elidePayloads(`type=file\ncontent_b64=${Buffer.from('short').toString('base64')}\nkey ${'QUJD'.repeat(20)} end\nmode=0644\n`);
    expect(out).toBe('type=file\ncontent_b64=<8 base64 characters left out>\nkey <80 base64 characters left out> end\nmode=0644\n');
  });

  it("leaves out text the writer hands to printf, quotes and newlines in it included", () => {
    const secret = "pw='s3cret'\nprintf '%s' 'x' >\"$tmp\"\nnext";
    const script = `echo before\n${writeFileSh({ path: '/etc/x', data: Buffer.from(secret), mode: '0600' })}echo after\n`;
    expect(script).toContain("'\\''s3cret'\\''");
    const out = elidePayloads(script);
    expect(out).not.toContain('s3cret');
    expect(out).toContain(`printf '%s' <${Buffer.byteLength(secret)} bytes of text left out> >"$tmp"\n`);
    expect(out).toContain('mv -f -- "$tmp" "$dest"\n');
    expect(out.endsWith('echo after\n')).toBe(true);
  });
});
