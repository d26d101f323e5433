// Ansible Vault passwords on the command line, with Ansible's flag names, for every command
// that reads the inventory or a playbook (a vaulted value may be anywhere). main.ts hands
// what was given to the vault reader before any file is read.
import type { OptionSpec } from '../spec.js';
import { configureVaultPasswords } from '../../secrets/vault-passwords.js';

export const VAULT_OPTIONS: OptionSpec[] = [
  {
    name: 'vault-password-file',
    type: 'string',
    arg: 'FILE',
    repeatable: true,
    describe: 'file holding an Ansible Vault password (an executable is run for it)',
  },
  { name: 'vault-id', type: 'string', arg: 'ID@FILE', repeatable: true, describe: 'an Ansible vault id and its password file' },
];

/** yargs middleware: the vault flags of whichever command is running. */
export function configureVaultFlags(argv: Record<string, unknown>): void {
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);
  configureVaultPasswords({ files: list(argv['vault-password-file']), ids: list(argv['vault-id']) });
}
