// Ansible Vault passwords on the command line, with Ansible's flag names. Global, since
// every command that reads the inventory or a playbook may meet a vaulted value.
import type { Argv } from 'yargs';
import { configureVaultPasswords } from '../../secrets/vault-passwords.js';
import { repeatable } from '../repeatable.js';

export function vaultOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('vault-password-file', {
      type: 'string',
      global: true,
      coerce: repeatable,
      describe: 'file holding the Ansible Vault password (an executable is run); repeatable',
    })
    .option('vault-id', { type: 'string', global: true, coerce: repeatable, describe: 'Ansible vault id, LABEL@FILE; repeatable' })
    .middleware((a) => {
      configureVaultPasswords({
        files: (a['vault-password-file'] as string[] | undefined) ?? [],
        ids: (a['vault-id'] as string[] | undefined) ?? [],
      });
    }) as Argv<T>;
}
