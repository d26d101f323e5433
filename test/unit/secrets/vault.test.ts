import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { parseYaml } from '../../../src/config/yaml-source.js';
import { loadInventory } from '../../../src/config/index.js';
import { encryptVault, parseVault, tryDecrypt } from '../../../src/secrets/ansible-vault.js';
import { configureVaultPasswords, resetVaultPasswords } from '../../../src/secrets/vault-passwords.js';
import { knownSecrets } from '../../../src/model/secret-values.js';
import { ConfigError } from '../../../src/model/errors.js';

const FIX = path.resolve(__dirname, '../../fixtures/vault');
const PASS = path.join(FIX, 'vault-pass.txt');
const PROD = path.join(FIX, 'prod-pass.txt');
const read = (f: string) => fs.readFileSync(path.join(FIX, f), 'utf8');
const PLAIN = { vault_db_password: 's3cr3t-from-a-vault-file', vault_port: 5432, vault_nested: { api_token: 'tok"en\\with-quotes' } };

const hasAnsibleVault = (() => {
  try {
    execFileSync('ansible-vault', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

afterEach(() => resetVaultPasswords());

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('Ansible Vault', () => {
  it('decrypts a file ansible-vault encrypted (1.1) with the right password', () => {
    const env = parseVault(read('whole-1.1.yml'));
    expect(env.version).toBe('1.1');
    expect(tryDecrypt(env, 'correct horse battery staple')!.toString()).toContain('vault_db_password: s3cr3t-from-a-vault-file');
    expect(tryDecrypt(env, 'wrong password')).toBeUndefined();
  });

  it('loads a vaulted vars file as YAML, and its values become secrets', () => {
    configureVaultPasswords({ files: [PASS] });
    const yf = parseYaml(path.join(FIX, 'whole-1.1.yml'), read('whole-1.1.yml'));
    expect(yf.doc.toJS()).toEqual(PLAIN);
    expect(knownSecrets().has('s3cr3t-from-a-vault-file')).toBe(true);
    expect(knownSecrets().has('tok"en\\with-quotes')).toBe(true);
  });

  it('1.2 with a vault id: the matching --vault-id is used (after a non-matching password)', () => {
    configureVaultPasswords({ files: [PASS], ids: [`prod@${PROD}`] });
    expect(parseYaml('whole-1.2.yml', read('whole-1.2.yml')).doc.toJS()).toEqual(PLAIN);
  });

  it('inline !vault values (encrypt_string), 1.1 and 1.2, next to plain ones', () => {
    configureVaultPasswords({ files: [PASS], ids: [`prod@${PROD}`] });
    expect(parseYaml('inline.yml', read('inline.yml')).doc.toJS()).toEqual({
      smtp_password: 'inline-secret-value-42',
      plain_setting: 'visible',
      prod_token: 'prod-inline-value-7',
    });
    expect(knownSecrets().has('inline-secret-value-42')).toBe(true);
    expect(knownSecrets().has('visible')).toBe(false);
  });

  it('a wrong password fails clearly, naming the file (and the line of an inline value)', () => {
    const wrong = path.join(os.tmpdir(), `fleet-wrong-vault-${process.pid}`);
    fs.writeFileSync(wrong, 'not the password\n');
    try {
      configureVaultPasswords({ files: [wrong] });
      const whole = configError(() => parseYaml('/project/group_vars/all.yml', read('whole-1.1.yml')));
      expect(whole.message).toMatch(
        /^\/project\/group_vars\/all\.yml: this file: wrong vault password: none of the passwords given decrypts it; tried --vault-password-file /,
      );
      const inline = configError(() => parseYaml('/project/host_vars/web1.yml', read('inline.yml')));
      expect(inline.message).toMatch(/^\/project\/host_vars\/web1\.yml:2:\d+: this !vault value: wrong vault password/);
      expect(inline.message).not.toContain('not the password');
      const labelled = configError(() => parseYaml('/p/x.yml', read('whole-1.2.yml')));
      expect(labelled.message).toMatch(/its vault id is 'prod'/);
    } finally {
      fs.rmSync(wrong);
    }
  });

  it('no vault password at all: says how to give one', () => {
    const saved = { ...process.env };
    for (const k of ['ANSIBLE_VAULT_PASSWORD_FILE', 'ANSIBLE_VAULT_IDENTITY_LIST', 'FLEET_VAULT_PASSWORD_FILE', 'FLEET_VAULT_PASSWORD'])
      delete process.env[k];
    try {
      configureVaultPasswords({});
      expect(configError(() => parseYaml('a.yml', read('inline.yml'))).message).toMatch(
        /encrypted with Ansible Vault and no vault password was given: give the vault password with --vault-password-file/,
      );
    } finally {
      process.env = saved;
    }
  });

  it('the password from env: ANSIBLE_VAULT_PASSWORD_FILE, FLEET_VAULT_PASSWORD, and an executable password file', () => {
    const saved = { ...process.env };
    const script = path.join(os.tmpdir(), `fleet-vault-script-${process.pid}.sh`);
    try {
      process.env.ANSIBLE_VAULT_PASSWORD_FILE = PASS;
      configureVaultPasswords({});
      expect(parseYaml('a.yml', read('whole-1.1.yml')).doc.toJS()).toEqual(PLAIN);
      delete process.env.ANSIBLE_VAULT_PASSWORD_FILE;
      process.env.FLEET_VAULT_PASSWORD = 'correct horse battery staple';
      configureVaultPasswords({});
      expect(parseYaml('a.yml', read('whole-1.1.yml')).doc.toJS()).toEqual(PLAIN);
      delete process.env.FLEET_VAULT_PASSWORD;
      fs.writeFileSync(script, '#!/bin/sh\necho "correct horse battery staple"\n', { mode: 0o700 });
      configureVaultPasswords({ files: [script] });
      expect(parseYaml('a.yml', read('whole-1.1.yml')).doc.toJS()).toEqual(PLAIN);
    } finally {
      process.env = saved;
      fs.rmSync(script, { force: true });
    }
  });

  it('a vaulted group_vars file and inline values load into the inventory', () => {
    configureVaultPasswords({ files: [PASS], ids: [`prod@${PROD}`] });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-vault-inv-'));
    try {
      fs.mkdirSync(path.join(dir, 'group_vars'));
      fs.writeFileSync(path.join(dir, 'hosts.yml'), 'all:\n  hosts:\n    web1: {}\n');
      fs.copyFileSync(path.join(FIX, 'whole-1.1.yml'), path.join(dir, 'group_vars', 'all.yml'));
      fs.mkdirSync(path.join(dir, 'host_vars'));
      fs.copyFileSync(path.join(FIX, 'inline.yml'), path.join(dir, 'host_vars', 'web1.yml'));
      const vars = loadInventory([dir]).hosts.get('web1')!.vars;
      expect(vars.vault_db_password).toBe('s3cr3t-from-a-vault-file');
      expect(vars.smtp_password).toBe('inline-secret-value-42');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!hasAnsibleVault)('what encryptVault writes, ansible-vault decrypts (and the other way round)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-vault-rt-'));
    try {
      const f = path.join(dir, 'x.yml');
      fs.writeFileSync(f, encryptVault('k: round-trip-value\n', 'correct horse battery staple'));
      expect(execFileSync('ansible-vault', ['view', '--vault-password-file', PASS, f], { encoding: 'utf8' })).toBe('k: round-trip-value\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
