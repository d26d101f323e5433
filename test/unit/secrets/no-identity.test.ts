// A machine with no age identity (a clean CI clone, the demo on a fresh machine): a playbook
// that uses no secret runs as if the store did not exist; one that does gets an error that
// says how to create the identity and the secrets file, and nothing is written.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ageEncrypt } from '../../../src/secrets/age-sync.js';
import { resetSecretStores } from '../../../src/secrets/context.js';
import { renderString, renderValue } from '../../../src/template/index.js';
import { secretsHint } from '../../../src/cli/commands/secrets-hint.js';
import { newKey, roleRefIn, taskContext, tmpProject } from './helpers.js';

const origin = { file: 'roles/app/tasks.yml', line: 3, column: 5 };
const ENV = ['FLEET_AGE_IDENTITY', 'FLEET_AGE_IDENTITY_FILE'] as const;
let p: ReturnType<typeof tmpProject>;
let saved: Record<string, string | undefined>;

beforeEach(() => {
  saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  p = tmpProject();
  delete process.env.FLEET_AGE_IDENTITY;
  // Nowhere an identity could be: the named file does not exist.
  process.env.FLEET_AGE_IDENTITY_FILE = path.join(p.dir, '..', `${path.basename(p.dir)}-no-identity.txt`);
  resetSecretStores();
  fs.writeFileSync(path.join(p.inventory, 'hosts.yml'), 'all:\n  vars:\n    greeting: hello\n  hosts:\n    web1: {}\n');
});
afterEach(() => {
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  p.cleanup();
});

function roleDeclaring(text?: string): string {
  const dir = path.join(p.dir, 'roles', 'app');
  fs.mkdirSync(dir, { recursive: true });
  if (text !== undefined) fs.writeFileSync(path.join(dir, 'secrets.yml'), text);
  return dir;
}

describe('no age identity on this machine', () => {
  it('a playbook that uses no secret works: play tasks and role tasks render, a user variable `secrets` is kept', () => {
    expect(renderString('{{ greeting }} world', taskContext(p.inventory, 'web1'), origin)).toBe('hello world');
    const ctx = taskContext(p.inventory, 'web1', roleRefIn(roleDeclaring()));
    expect(renderString('{{ greeting }}', ctx, origin)).toBe('hello');
    expect(ctx.secrets).toBeUndefined();
    fs.writeFileSync(path.join(p.inventory, 'hosts.yml'), 'all:\n  vars:\n    secrets: {api: plain}\n  hosts:\n    web1: {}\n');
    expect(renderValue('{{ secrets.api }}', taskContext(p.inventory, 'web1'), origin)).toBe('plain');
    expect(fs.existsSync(p.file)).toBe(false);
  });

  it('reading secrets.NAME with no secrets file: the error the CLI prints says to run fleet secrets init', () => {
    const ctx = taskContext(p.inventory, 'web1');
    let err: unknown;
    try {
      renderString('{{ secrets.db_password }}', ctx, origin);
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toMatch(/undefined variable 'secrets\.db_password'/);
    expect(secretsHint(err)).toMatch(
      /create it \(and your age identity\) with `fleet secrets init`, then store the value with `fleet secrets set db_password`/,
    );
    expect(secretsHint(new Error('x'))).toBe('');
    expect(fs.existsSync(p.file)).toBe(false);
  });

  it('a role-declared generated secret with no secrets file: fleet secrets init first, in apply and check, nothing written', () => {
    const role = roleRefIn(roleDeclaring('backups_password:\n  generate: {length: 32}\n'));
    for (const mode of ['apply', 'check'] as const) {
      const ctx = taskContext(p.inventory, 'web1', role, mode);
      expect(() => renderString('{{ secrets.backups_password }}', ctx, origin)).toThrow(/no secrets file yet: run `fleet secrets init`/);
    }
    expect(fs.existsSync(p.file)).toBe(false);
  });

  it('a secrets file whose values this machine cannot decrypt: the error names the identity and fleet secrets init', () => {
    const key = newKey();
    const armored = ageEncrypt('only-for-alice-7', [key.recipient]).replace(/^/gm, '    ').trimEnd();
    fs.writeFileSync(p.file, `recipients:\n  - ${key.recipient}\nsecrets:\n  db_password: |\n${armored}\n`);
    const ctx = taskContext(p.inventory, 'web1');
    expect(() => renderString('{{ secrets.db_password }}', ctx, origin)).toThrow(
      /no age identity: the file in FLEET_AGE_IDENTITY_FILE .* does not exist\. Create one with `fleet secrets init`/,
    );
  });

  it('a committed recipients list is enough to generate: encrypted for them, readable by them', () => {
    const key = newKey();
    fs.writeFileSync(p.file, `recipients:\n  - ${key.recipient}  # ci\nsecrets: {}\n`);
    const ctx = taskContext(p.inventory, 'web1', roleRefIn(roleDeclaring('backups_password:\n  generate: {length: 32}\n')));
    const v = renderString('{{ secrets.backups_password }}', ctx, origin);
    expect(v).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(fs.readFileSync(p.file, 'utf8')).not.toContain(v);
    process.env.FLEET_AGE_IDENTITY = key.identity;
    resetSecretStores();
    expect(renderString('{{ secrets.backups_password }}', taskContext(p.inventory, 'web1'), origin)).toBe(v);
  });
});
