// Where Ansible Vault passwords come from, with Ansible's own names:
//   --vault-password-file FILE        (repeatable)   env ANSIBLE_VAULT_PASSWORD_FILE
//   --vault-id [LABEL@]FILE           (repeatable)   env ANSIBLE_VAULT_IDENTITY_LIST (comma-separated)
//   env FLEET_VAULT_PASSWORD_FILE, or FLEET_VAULT_PASSWORD (the password itself, for CI)
// A password file that is executable is run and its output is the password, as in Ansible.
// Passwords are read only when a vaulted value is met, and handed to the redactors.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { SecretsError } from './errors.js';
import { revealSecret } from '../model/secret-values.js';

export interface VaultSecret {
  label: string;
  password: string;
  /** Where it came from, for messages. */
  origin: string;
}

interface VaultSource {
  label: string;
  file?: string;
  value?: string;
  origin: string;
}

let configured: { files: string[]; ids: string[] } = { files: [], ids: [] };
let loaded: VaultSecret[] | undefined;

/** The command line's --vault-password-file and --vault-id values (before anything is loaded). */
export function configureVaultPasswords(opts: { files?: string[]; ids?: string[] }): void {
  configured = { files: opts.files ?? [], ids: opts.ids ?? [] };
  loaded = undefined;
}

function sources(env: NodeJS.ProcessEnv): VaultSource[] {
  const out: VaultSource[] = [];
  for (const f of configured.files) out.push({ label: 'default', file: f, origin: `--vault-password-file ${f}` });
  for (const id of configured.ids) out.push(parseVaultId(id, '--vault-id'));
  if (env.ANSIBLE_VAULT_PASSWORD_FILE)
    out.push({
      label: 'default',
      file: env.ANSIBLE_VAULT_PASSWORD_FILE,
      origin: `ANSIBLE_VAULT_PASSWORD_FILE (${env.ANSIBLE_VAULT_PASSWORD_FILE})`,
    });
  for (const id of (env.ANSIBLE_VAULT_IDENTITY_LIST ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean))
    out.push(parseVaultId(id, 'ANSIBLE_VAULT_IDENTITY_LIST'));
  if (env.FLEET_VAULT_PASSWORD_FILE)
    out.push({
      label: 'default',
      file: env.FLEET_VAULT_PASSWORD_FILE,
      origin: `FLEET_VAULT_PASSWORD_FILE (${env.FLEET_VAULT_PASSWORD_FILE})`,
    });
  if (env.FLEET_VAULT_PASSWORD) out.push({ label: 'default', value: env.FLEET_VAULT_PASSWORD, origin: 'FLEET_VAULT_PASSWORD' });
  return out;
}

function parseVaultId(spec: string, where: string): VaultSource {
  const at = spec.indexOf('@');
  const label = at > 0 ? spec.slice(0, at) : 'default';
  const file = at > 0 ? spec.slice(at + 1) : spec;
  if (file === 'prompt') throw new SecretsError(`${where} ${spec}: prompting for a vault password is not supported; give a file`);
  return { label, file, origin: `${where} ${spec}` };
}

/** Every configured vault password (read once per process). */
export function vaultSecrets(env: NodeJS.ProcessEnv = process.env): VaultSecret[] {
  if (loaded) return loaded;
  loaded = sources(env).map((s) => ({ label: s.label, origin: s.origin, password: s.value ?? readPasswordFile(s) }));
  for (const s of loaded) revealSecret(s.password);
  return loaded;
}

function readPasswordFile(s: VaultSource): string {
  const file = resolve(s.file!);
  let text: string;
  try {
    if (!statSync(file).isFile()) throw new Error('not a regular file');
    let executable = false;
    try {
      accessSync(file, constants.X_OK);
      executable = true;
    } catch {
      // a plain file
    }
    text = executable ? execFileSync(file, [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }) : readFileSync(file, 'utf8');
  } catch (e) {
    throw new SecretsError(`cannot read the vault password from ${s.origin}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // Ansible strips surrounding whitespace, the trailing newline included.
  const password = text.trim();
  if (!password) throw new SecretsError(`the vault password from ${s.origin} is empty`);
  return password;
}

export function resetVaultPasswords(): void {
  configured = { files: [], ids: [] };
  loaded = undefined;
}
