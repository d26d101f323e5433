// The inventory variables that say how to reach a host: fleet's name and the Ansible names
// accepted for it. config/ reads connections with it; the inventory_var action writes a
// value under the spelling the inventory already uses.

/** fleet name -> Ansible names accepted for it (the first is the documented one). */
export const CONNECTION_ALIASES: Readonly<Record<string, readonly string[]>> = {
  address: ['ansible_host', 'ansible_ssh_host'],
  port: ['ansible_port', 'ansible_ssh_port'],
  user: ['ansible_user', 'ansible_ssh_user'],
  become: ['ansible_become'],
  private_key_file: ['ansible_ssh_private_key_file', 'ansible_private_key_file'],
  become_password_env: [],
  become_password_file: [],
  proxy_jump: [],
  socks_proxy: [],
  connect_timeout: ['ansible_ssh_timeout', 'ansible_timeout'],
};

/** The connection setting a variable name spells (`ansible_port` -> `port`), if any. */
export function connectionSetting(key: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(CONNECTION_ALIASES, key)) return key;
  return Object.keys(CONNECTION_ALIASES).find((k) => CONNECTION_ALIASES[k].includes(key));
}

/** Every spelling of the same setting, fleet's first (`port`, `ansible_port`, `ansible_ssh_port`). */
export function spellingsOf(setting: string): string[] {
  return [setting, ...(CONNECTION_ALIASES[setting] ?? [])];
}
