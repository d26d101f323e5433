// Ansible connection settings fleet does not implement: kept as plain vars, with a warning,
// so an Ansible inventory loads as it is but the operator learns what fleet ignores.
import { SSH_ARGS_VARS } from './connection-proxy.js';
import type { RawVar } from './inventory-raw.js';
import { parseSshArgs } from './ssh-args.js';

const WHY: Record<string, string> = {
  ansible_password: 'fleet logs in with SSH keys only (use private_key_file)',
  ansible_ssh_pass: 'fleet logs in with SSH keys only (use private_key_file)',
  ansible_ssh_password: 'fleet logs in with SSH keys only (use private_key_file)',
  ansible_become_pass: 'fleet never reads a sudo password from vars (use become_password_env or become_password_file)',
  ansible_become_password: 'fleet never reads a sudo password from vars (use become_password_env or become_password_file)',
  ansible_sudo_pass: 'fleet never reads a sudo password from vars (use become_password_env or become_password_file)',
  ansible_scp_extra_args: 'fleet does not run scp',
  ansible_sftp_extra_args: 'fleet does not run sftp',
  ansible_ssh_executable: 'fleet does not run the ssh binary',
  ansible_ssh_pipelining: 'fleet always sends one script per round trip',
  ansible_pipelining: 'fleet always sends one script per round trip',
  ansible_shell_type: 'fleet always runs POSIX sh',
  ansible_shell_executable: 'fleet always runs POSIX sh',
};

/** The warning for one variable definition, or undefined when fleet handles it. The value
 * itself is never quoted: it may be a password. */
export function unsupportedWarning(key: string, v: RawVar): string | undefined {
  const where = `${v.source.file}:${v.source.line ?? 0}`;
  const val = typeof v.value === 'string' ? v.value.trim() : v.value;
  let why = WHY[key];
  if (key === 'ansible_connection' && !['ssh', 'smart', 'paramiko'].includes(String(val))) {
    why = 'fleet connects over SSH only';
  } else if (key === 'ansible_become_method' && val !== 'sudo') {
    why = 'fleet becomes root with sudo only';
  } else if (key === 'ansible_become_user' && val !== 'root') {
    why = 'fleet becomes root only (a task can run a command as another user itself)';
  } else if (SSH_ARGS_VARS.includes(key) && typeof val === 'string') {
    // ProxyCommand, ProxyJump / -J and -F are used; the rest is named (a proxy fleet cannot
    // read is an error where the connection is built, not a warning).
    const ignored = parseSshArgs(val).ignored;
    if (ignored.length) return `${where}: ${key}: fleet does not run the ssh binary and does not apply ${ignored.join(' ')} (it uses ProxyCommand, ProxyJump, -J and -F there)`;
  }
  return why ? `${where}: ${key} is not supported: ${why}; kept as a plain variable` : undefined;
}
