import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { user } from '../../../src/modules/user.js';
import { group } from '../../../src/modules/group.js';
import { authorizedKey } from '../../../src/modules/authorized_key.js';
import { params, planOf, converge, runProbe, sh, isValid } from './helpers.js';

// Throwaway accounts, removed after the run whatever happens.
const suffix = String(process.pid % 100000);
const U = `fleet-test-u${suffix}`;
const G = `fleet-test-g${suffix}`;
afterAll(() => {
  sh(`userdel -r ${U} 2>/dev/null; groupdel ${U} 2>/dev/null; groupdel ${G} 2>/dev/null; true`);
});

const KEY1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl one@example';
const KEY2 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB two@example';

describe('group and user, for real', () => {
  it('user is blocked while its supplementary group does not exist', () => {
    const plan = planOf(user, params(user, { name: U, groups: [G] }));
    expect(plan).toEqual({ kind: 'blocked', reason: `group ${G} does not exist (needed by user ${U})` });
  });

  it('creates a group, then changes its gid', () => {
    expect(converge(group, params(group, { name: G })).summary).toBe(`create group ${G}`);
    expect(converge(group, params(group, { name: G, gid: 54321 })).summary).toMatch(new RegExp(`gid \\d+ -> 54321`));
    expect(sh(`getent group ${G}`).stdout).toContain(':54321:');
  });

  it('creates a user with shell, groups, home and a password hash, then modifies it', () => {
    const hash = '$6$salt$abcdefghijklmnopqrstuvwxyz0123456789';
    const p = params(user, { name: U, groups: [G], shell: '/bin/sh', comment: 'fleet test', password: hash });
    expect(user.probe(p)).not.toMatch(/getent shadow[^\n]*echo "?\$h/); // the current hash is never printed
    expect(converge(user, p).summary).toBe(`create user ${U}`);
    const ent = sh(`getent passwd ${U}`).stdout;
    expect(ent).toContain(':fleet test:/home/');
    expect(ent.trim().endsWith(':/bin/sh')).toBe(true);
    expect(sh(`id -Gn ${U}`).stdout).toContain(G);
    expect(statSync(`/home/${U}`).isDirectory()).toBe(true);
    const out = runProbe(user, p);
    expect(out).toContain('password_ok=1');
    expect(out).not.toContain(hash);

    const m = converge(user, params(user, { name: U, shell: '/bin/bash', groups: [] }));
    expect(m.summary).toBe(`user ${U}: shell /bin/sh -> /bin/bash, -${G}`);
  });

  it('a new password hash goes to chpasswd on stdin, never on a command line (ps shows those)', () => {
    const hash = '$6$othersalt$ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210';
    const p = params(user, { name: U, password: hash });
    const plan = planOf(user, p);
    expect(plan.kind === 'change' && plan.summary).toBe(`user ${U}: password`);
    const text = user.apply(p, plan as Extract<typeof plan, { kind: 'change' }>);
    for (const line of text.split('\n').filter((l) => l.includes(hash))) expect(line).toMatch(/^printf '%s\\n' .* \| chpasswd -e$/);
    expect(converge(user, p).summary).toBe(`user ${U}: password`);
    expect(sh(`getent shadow ${U}`).stdout.split(':')[1]).toBe(hash);
  });

  it('append adds a group without removing others', () => {
    const m = converge(user, params(user, { name: U, groups: [G, 'nogroup'], append: true }));
    expect(m.summary).toBe(`user ${U}: +${G} +nogroup`);
    expect(planOf(user, params(user, { name: U, groups: ['nogroup'], append: true }))).toEqual({ kind: 'ok' });
  });

  it("Ansible's update_password, password_lock and expires; groups as comma-separated text", () => {
    // on_create: an existing user's password is left as it is.
    expect(planOf(user, params(user, { name: U, password: '$6$x$other', update_password: 'on_create' }))).toEqual({ kind: 'ok' });
    expect(converge(user, params(user, { name: U, password_lock: true })).summary).toBe(`user ${U}: lock password`);
    expect(sh(`getent shadow ${U}`).stdout.split(':')[1]).toMatch(/^!/);
    expect(converge(user, params(user, { name: U, password_lock: false })).summary).toBe(`user ${U}: unlock password`);
    // 1767225600 s = 2026-01-01 = day 20454 in /etc/shadow; a negative value: never.
    expect(converge(user, params(user, { name: U, expires: 1767225600 })).summary).toBe(`user ${U}: expires never -> 20454`);
    expect(sh(`getent shadow ${U}`).stdout.split(':')[7]).toBe('20454');
    expect(converge(user, params(user, { name: U, expires: -1 })).summary).toBe(`user ${U}: expires 20454 -> never`);
    expect(planOf(user, params(user, { name: U, groups: `${G},nogroup`, append: true }))).toEqual({ kind: 'ok' });
  });

  it('authorized_key: adds keys with 0700/0600 and the user ownership, idempotently', () => {
    const p = params(authorizedKey, { user: U, key: [KEY1] });
    const plan = converge(authorizedKey, p);
    expect(plan.summary).toBe(`/home/${U}/.ssh/authorized_keys: add 1 key(s)`);
    expect(plan.diff).toContain(`+${KEY1}`);
    const f = `/home/${U}/.ssh/authorized_keys`;
    expect(readFileSync(f, 'utf8')).toBe(KEY1 + '\n');
    const uid = Number(sh(`id -u ${U}`).stdout);
    expect(statSync(f).uid).toBe(uid);
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(statSync(`/home/${U}/.ssh`).mode & 0o777).toBe(0o700);
    // The same key with another comment is the same key.
    expect(planOf(authorizedKey, params(authorizedKey, { user: U, key: KEY1.replace('one@example', 'renamed') }))).toEqual({ kind: 'ok' });
  });

  it('authorized_key: exclusive drops foreign keys; absent removes; drifted permissions are fixed', () => {
    const f = `/home/${U}/.ssh/authorized_keys`;
    writeFileSync(f, `${KEY1}\n# note\n${KEY2}\n`);
    const plan = converge(authorizedKey, params(authorizedKey, { user: U, key: KEY1, exclusive: true }));
    expect(plan.summary).toContain('remove 2 other line(s)');
    expect(readFileSync(f, 'utf8')).toBe(KEY1 + '\n');
    sh(`chmod 0644 ${f}`);
    expect(converge(authorizedKey, params(authorizedKey, { user: U, key: KEY1 })).summary).toContain('ownership/permissions');
    converge(authorizedKey, params(authorizedKey, { user: U, key: KEY1, state: 'absent' }));
    expect(readFileSync(f, 'utf8')).toBe('');
  });

  it('authorized_key: rejects a line that is not a public key', () => {
    expect(() => planOf(authorizedKey, params(authorizedKey, { user: U, key: 'not a key' }))).toThrow(/is not a public key line/);
  });

  it('removes the user and the group', () => {
    expect(converge(user, params(user, { name: U, state: 'absent', remove: true }), /^(userdel: .*mail spool.*\n)?$/).summary).toBe(`remove user ${U}`);
    sh(`groupdel ${U} 2>/dev/null; true`);
    expect(converge(group, params(group, { name: G, state: 'absent' })).summary).toBe(`remove group ${G}`);
  });

  it('authorized_key is blocked when the user does not exist', () => {
    expect(planOf(authorizedKey, params(authorizedKey, { user: U, key: KEY1 }))).toEqual({ kind: 'blocked', reason: `user ${U} does not exist` });
  });

  it('user marks password secret; schemas reject junk', () => {
    expect(user.secretParams).toEqual(['password']);
    expect(isValid(user, { name: 'Bad Name' })).toBe(false);
    expect(isValid(user, { name: 'ok', password: 'a:b' })).toBe(false);
    expect(isValid(group, { name: 'ok', gid: -1 })).toBe(false);
    expect(isValid(authorizedKey, { user: 'ok', key: [] })).toBe(false);
  });
});
