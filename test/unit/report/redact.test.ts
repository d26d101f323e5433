import { describe, expect, it } from 'vitest';
import { Redactor, base64Forms } from '../../../src/report/redact.js';

describe('Redactor', () => {
  it('ignores empty and very short values', () => {
    const r = new Redactor();
    r.add('');
    r.add('abc');
    expect(r.redact('abc is fine')).toBe('abc is fine');
  });

  it('replaces every occurrence, longest secret first', () => {
    const r = new Redactor();
    r.add('s3cret');
    r.add('s3cret-and-more');
    expect(r.redact('a=s3cret-and-more b=s3cret c=s3cret')).toBe('a=******** b=******** c=********');
  });

  it('treats regex metacharacters literally', () => {
    const r = new Redactor();
    r.add('p.a$$(w)*rd');
    expect(r.redact('x p.a$$(w)*rd y pXa$$(w)*rd')).toBe('x ******** y pXa$$(w)*rd');
  });

  it('masks the base64 form of a secret at every byte alignment inside a larger body', () => {
    const secret = 'correct horse battery';
    const r = new Redactor();
    r.add(secret);
    for (const prefix of ['', 'a', 'ab', 'abc', 'line one\nkey=']) {
      const body = Buffer.from(`${prefix}${secret}\ntrailer`).toString('base64');
      const out = r.redact(`cat <<'B64' | base64 -d\n${body}\nB64`);
      expect(out).toContain('********');
      // Nothing decodable to the secret is left: every alignment's stable part is gone.
      for (const form of base64Forms(secret)) expect(out).not.toContain(form);
    }
  });

  it('masks base64 wrapped over several lines', () => {
    const secret = 'a-rather-long-secret-value-0123456789';
    const r = new Redactor();
    r.add(secret);
    const body = Buffer.from('x'.repeat(40) + secret + 'y'.repeat(40)).toString('base64');
    const wrapped = body.match(/.{1,76}/g)!.join('\n');
    const out = r.redact(wrapped).replaceAll('\n', '');
    for (const form of base64Forms(secret)) expect(out).not.toContain(form);
  });

  it('masks the shell single-quoted form and each line of a multi-line secret', () => {
    const r = new Redactor();
    r.add("it's-a-secret");
    expect(r.redact("echo 'it'\\''s-a-secret'")).toBe("echo '********'");
    const key = '-----BEGIN KEY-----\nAAAAB3NzaC1yc2EAAAADAQAB\nQ2hhbmdlTWVQbGVhc2U0Mg==\n-----END KEY-----\n';
    const r2 = new Redactor();
    r2.add(key);
    const diff = key.trim().split('\n').map((l) => '+' + l).join('\n');
    const out = r2.redact(diff);
    expect(out).not.toContain('AAAAB3NzaC1yc2EAAAADAQAB');
    expect(out).not.toContain('Q2hhbmdlTWVQbGVhc2U0Mg==');
  });

  it('redactEvent deep-copies and redacts every string, leaving the original alone', () => {
    const r = new Redactor();
    r.add('topsecret');
    const e = {
      type: 'task',
      msg: 'set topsecret',
      n: 3,
      ok: true,
      nested: { list: ['topsecret', 1, null], deeper: { s: 'x topsecret y' } },
      failure: { cmd: 'echo topsecret', stderr: 'topsecret' },
    };
    const copy = r.redactEvent(e);
    expect(copy).toEqual({
      type: 'task',
      msg: 'set ********',
      n: 3,
      ok: true,
      nested: { list: ['********', 1, null], deeper: { s: 'x ******** y' } },
      failure: { cmd: 'echo ********', stderr: '********' },
    });
    expect(e.msg).toBe('set topsecret');
    expect(copy.nested).not.toBe(e.nested);
  });

  it('picks up secrets added after a first redaction', () => {
    const r = new Redactor();
    r.add('first-one');
    expect(r.redact('first-one second-one')).toBe('******** second-one');
    r.add('second-one');
    expect(r.redact('first-one second-one')).toBe('******** ********');
  });
});

describe('Redactor: values of every shape and every output path', () => {
  it('values from the registry (decrypted, generated) are masked by every redactor', async () => {
    const { revealSecret } = await import('../../../src/model/secret-values.js');
    revealSecret('registry-known-value-1');
    expect(new Redactor().redact('a registry-known-value-1 b')).toBe('a ******** b');
    expect(new Redactor({ isolated: true }).redact('a registry-known-value-1 b')).toBe('a registry-known-value-1 b');
  });

  it('JSON-escaped forms: values with " and \\ inside JSON text (a cache file, the json helper)', () => {
    const r = new Redactor({ isolated: true });
    r.add('pa"ss\\word\nline2');
    const json = JSON.stringify({ stdout: 'x pa"ss\\word\nline2 y' });
    expect(r.containsSecret(json)).toBe(true);
    expect(r.redact(json)).not.toContain('ss\\\\word');
  });

  it('non-string values (numbers) and nested lists are added by their leaves', () => {
    const r = new Redactor({ isolated: true });
    r.add(987654321);
    r.add({ a: ['nested-leaf-value'] });
    expect(r.redact('pin 987654321 and nested-leaf-value')).toBe('pin ******** and ********');
  });

  it('a diff whose new side holds a secret masks the old lines (the value before a rotation)', () => {
    const r = new Redactor({ isolated: true });
    r.add('new-rotated-value');
    const diff = '--- /etc/app.conf\n+++ /etc/app.conf\n@@ -1,2 +1,2 @@\n host=db\n-password=old-value-unknown\n+password=new-rotated-value\n';
    const out = r.redactEvent({ type: 'task', diff }).diff;
    expect(out).not.toContain('old-value-unknown');
    expect(out).not.toContain('new-rotated-value');
    expect(out).toContain(' host=db');
    expect(out).toContain('--- /etc/app.conf');
  });

  it('a diff line that sets something named like a secret shows the name, not the value', () => {
    const r = new Redactor({ isolated: true });
    const diff = '@@ -1 +1 @@\n-  api_token: "abc"\n+  api_token: "def"\n export SMTP_PASSWORD=zzz\n';
    const out = r.redactDiff(diff);
    expect(out).toContain('-  api_token: ********');
    expect(out).toContain('+  api_token: ********');
    expect(out).not.toMatch(/abc|def|zzz/);
    expect(out).toContain(' export SMTP_PASSWORD=********');
  });

  it("a sudoers line's NOPASSWD: tag is not a password: the commands it allows stay visible", () => {
    const r = new Redactor({ isolated: true });
    const out = r.redactDiff('@@ -1 +1 @@\n-admin ALL=(ALL) ALL\n+admin ALL=(ALL) NOPASSWD: ALL\n+passwd: hunter22\n');
    expect(out).toContain('+admin ALL=(ALL) NOPASSWD: ALL');
    expect(out).toContain('+passwd: ********');
  });

  it('maskVars masks anything under a secret name, any type, any depth', () => {
    const r = new Redactor({ isolated: true });
    expect(r.maskVars({ db: { password: 12345, host: 'h' }, list: [{ api_token: ['a', 'b'] }], plain: 'p' })).toEqual({
      db: { password: '********', host: 'h' },
      list: [{ api_token: ['********', '********'] }],
      plain: 'p',
    });
  });
});
