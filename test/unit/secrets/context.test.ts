import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadInventory } from '../../../src/config/index.js';
import { evalExpression, renderString, renderValue } from '../../../src/template/index.js';
import { ageEncrypt } from '../../../src/secrets/age-sync.js';
import { resetSecretStores } from '../../../src/secrets/context.js';
import { knownSecrets } from '../../../src/model/secret-values.js';
import { Redactor } from '../../../src/report/redact.js';
import type { RoleRef } from '../../../src/model/playbook.js';
import { newKey, roleRefIn, taskContext, tmpProject } from './helpers.js';

const key = newKey();
const origin = { file: 'roles/app/templates/app.conf.hbs', line: 1, column: 1 };
let p: ReturnType<typeof tmpProject>;
let saved: string | undefined;

beforeEach(() => {
  saved = process.env.FLEET_AGE_IDENTITY;
  process.env.FLEET_AGE_IDENTITY = key.identity;
  resetSecretStores();
  p = tmpProject();
  fs.writeFileSync(path.join(p.inventory, 'hosts.yml'), 'all:\n  hosts:\n    web1: {}\n    web2: {}\n');
  // Written without the store, so this process has never seen the values in clear.
  const block = (v: string) => ageEncrypt(v, [key.recipient]).replace(/^/gm, '    ').trimEnd();
  fs.writeFileSync(
    p.file,
    `recipients:\n  - ${key.recipient}\nsecrets:\n  db_password: |\n${block('unread-until-needed-1')}\n  other_token: |\n${block('never-read-by-anyone-2')}\n`,
  );
});
afterEach(() => {
  if (saved === undefined) delete process.env.FLEET_AGE_IDENTITY;
  else process.env.FLEET_AGE_IDENTITY = saved;
  p.cleanup();
});

const contextFor = (hostName: string, roleRef?: RoleRef) => taskContext(p.inventory, hostName, roleRef);

describe('secrets in a task context', () => {
  it('secrets.NAME renders in templates and in expressions, decrypting only what is read', () => {
    const ctx = contextFor('web1');
    expect(knownSecrets().has('unread-until-needed-1')).toBe(false);
    expect(renderString('password={{ secrets.db_password }}', ctx, origin)).toBe('password=unread-until-needed-1');
    expect(knownSecrets().has('unread-until-needed-1')).toBe(true);
    expect(knownSecrets().has('never-read-by-anyone-2')).toBe(false);
    expect(evalExpression('secrets.db_password == "unread-until-needed-1"', ctx, origin)).toBe(true);
    expect(evalExpression('secrets.db_password is defined', ctx, origin)).toBe(true);
    expect(evalExpression('secrets.missing_one is defined', ctx, origin)).toBe(false);
    expect(renderValue('{{ secrets.db_password }}', ctx, origin)).toBe('unread-until-needed-1');
    expect(renderString('{% if secrets.db_password %}yes{% endif %}', ctx, origin)).toBe('yes');
    // The moment it was decrypted, every redactor masks it.
    expect(new Redactor().redact('x unread-until-needed-1 y')).toBe('x ******** y');
  });

  it('an undefined secret is an undefined-variable error naming it', () => {
    const ctx = contextFor('web1');
    expect(() => renderString('{{ secrets.nope_password }}', ctx, origin)).toThrow(/secrets\.nope_password/);
  });

  it('a role declares a generated secret: created on first read, the same for both hosts, written to the file', () => {
    const roleDir = path.join(p.dir, 'roles', 'app');
    fs.mkdirSync(roleDir, { recursive: true });
    fs.writeFileSync(
      path.join(roleDir, 'secrets.yml'),
      'app_secret:\n  generate: {length: 24, alphabet: hex}\nnode_key:\n  generate: {type: age}\n  per_host: true\n',
    );
    const c1 = contextFor('web1', roleRefIn(roleDir));
    const c2 = contextFor('web2', roleRefIn(roleDir));
    const v = renderString('{{ secrets.app_secret }}', c1, origin);
    expect(v).toMatch(/^[0-9a-f]{24}$/);
    expect(renderString('{{ secrets.app_secret }}', c2, origin)).toBe(v);
    expect(fs.readFileSync(p.file, 'utf8')).toMatch(/app_secret:\n\s+generate: \{ length: 24, alphabet: hex \}\n\s+value: \|/);
    const k1 = renderString('{{ secrets.node_key }}', c1, origin);
    const k2 = renderString('{{ secrets.node_key }}', c2, origin);
    expect(k1).toMatch(/^AGE-SECRET-KEY-1/);
    expect(k1).not.toBe(k2);
    expect(renderString('{{ secrets.public.node_key }}', c1, origin)).toMatch(/^age1/);
    expect(evalExpression("secrets.public['node_key@web2'] is defined", c1, origin)).toBe(true);
    expect(fs.readFileSync(p.file, 'utf8')).toContain('node_key@web2:');
    // A play-level task (no role) does not see the role's undeclared names... but the
    // file now has them, so it sees the generated value itself.
    expect(renderString('{{ secrets.app_secret }}', contextFor('web1'), origin)).toBe(v);
  });

  it('check mode generates nothing into the file: a throwaway value (masked), then apply generates the kept one', () => {
    const roleDir = path.join(p.dir, 'roles', 'app');
    fs.mkdirSync(roleDir, { recursive: true });
    fs.writeFileSync(
      path.join(roleDir, 'secrets.yml'),
      'app_secret:\n  generate: {length: 24}\nnode_key:\n  generate: {type: wireguard}\n',
    );
    const before = fs.readFileSync(p.file, 'utf8');
    const check = taskContext(p.inventory, 'web1', roleRefIn(roleDir), 'check');
    const dry = renderString('{{ secrets.app_secret }}', check, origin);
    expect(dry).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(renderString('{{ secrets.app_secret }}', taskContext(p.inventory, 'web2', roleRefIn(roleDir), 'check'), origin)).toBe(dry);
    expect(renderString('{{ secrets.public.node_key }}', check, origin)).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(new Redactor().redact(dry)).toBe('********');
    expect(fs.readFileSync(p.file, 'utf8')).toBe(before);
    // An apply in the same process does not reuse the throwaway value: it generates and writes.
    const kept = renderString('{{ secrets.app_secret }}', contextFor('web1', roleRefIn(roleDir)), origin);
    expect(kept).not.toBe(dry);
    expect(fs.readFileSync(p.file, 'utf8')).toMatch(/app_secret:\n\s+generate: \{ length: 24 \}\n\s+value: \|/);
    // Once it exists, check mode reads the stored value.
    expect(renderString('{{ secrets.app_secret }}', taskContext(p.inventory, 'web1', roleRefIn(roleDir), 'check'), origin)).toBe(kept);
  });

  it('a generated secret declared by a role or by the secrets file: generated once, the same everywhere, masked', () => {
    const roleDir = path.join(p.dir, 'roles', 'app');
    fs.mkdirSync(roleDir, { recursive: true });
    fs.writeFileSync(
      path.join(roleDir, 'secrets.yml'),
      'backups_password:\n  generate: {length: 40}\n  description: the restic repository password\n',
    );
    const role = roleRefIn(roleDir);
    const v = renderString('{{ secrets.backups_password }}', contextFor('web1', role), origin);
    expect(v).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(renderValue({ env: { RESTIC_PASSWORD: '{{ secrets.backups_password }}' } }, contextFor('web2', role), origin)).toEqual({
      env: { RESTIC_PASSWORD: v },
    });
    expect(new Redactor().redact(`x ${v}`)).toBe('x ********');
    // Declared in the secrets file itself instead (no role file): the same mechanism.
    fs.appendFileSync(p.file, '  mail_password:\n    generate: {length: 20, alphabet: hex}\n');
    resetSecretStores();
    const m = renderString('{{ secrets.mail_password }}', contextFor('web1'), origin);
    expect(m).toMatch(/^[0-9a-f]{20}$/);
    resetSecretStores();
    expect(renderString('{{ secrets.mail_password }}', contextFor('web2'), origin)).toBe(m);
  });

  it("a user variable named 'secrets' in a project with a secrets file is refused", () => {
    fs.writeFileSync(path.join(p.inventory, 'hosts.yml'), 'all:\n  vars:\n    secrets: {a: 1}\n  hosts:\n    web1: {}\n');
    expect(() => contextFor('web1')).toThrow(/a variable named 'secrets' is defined/);
  });

  it('secrets.yml beside the inventory is not read as inventory', () => {
    const inv = loadInventory([p.inventory]);
    expect([...inv.hosts.keys()]).toEqual(['web1', 'web2']);
    expect(inv.groups.has('secrets')).toBe(false);
  });
});
