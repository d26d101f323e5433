// Ansible connection settings fleet does not implement: kept as plain vars, with a warning,
// so an Ansible inventory loads as it is but the operator learns what fleet ignores.
import type { RawVar } from './inventory-raw.js';

const WHY: Record<string, string> = {
  ansible_password: 'fleet logs in with SSH keys only (use private_key_file)',
  ansible_ssh_pass: 'fleet logs in with SSH keys only (use private_key_file)',
  ansible_ssh_password: 'fleet logs in with SSH keys only (use private_key_file)',
  ansible_become_pass: 'fleet never reads a sudo password from vars (use become_password_env or become_password_file)',
  ansible_become_password: 'fleet never reads a sudo password from vars (use become_password_env or become_password_file)',
  ansible_sudo_pass: 'fleet never reads a sudo password from vars (use become_password_env or become_password_file)',
  ansible_ssh_extra_args: 'fleet does not run the ssh binary',
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
  } else if (key === 'ansible_ssh_common_args' && typeof val === 'string') {
    // -J / ProxyJump is understood; anything else is not.
    const rest = val.replace(/(?:^|\s)-J\s*\S+/, '').replace(/-o\s*['"]?ProxyJump[= ][^\s'"]+['"]?/i, '').trim();
    if (rest) why = 'fleet understands only -J / ProxyJump there';
  }
  return why ? `${where}: ${key} is not supported: ${why}; kept as a plain variable` : undefined;
}
