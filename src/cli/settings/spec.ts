// The settings an operator can fix once instead of typing a flag every time. Each one is
// read, lowest precedence first, from its default, ~/.config/fleet/config.yml, ./fleet.yml,
// its FLEET_* environment variable, and its flag.

export type SettingType = 'path' | 'paths' | 'count' | 'size' | 'color';

export interface SettingSpec {
  key: string;
  env: string;
  /** The flag that overrides it (`--forks`); the playbook is the positional of apply/check. */
  flag: string;
  type: SettingType;
  default: unknown;
  describe: string;
}

export const SETTINGS: SettingSpec[] = [
  { key: 'inventory', env: 'FLEET_INVENTORY', flag: '-i, --inventory', type: 'paths', default: ['inventory'], describe: 'inventory files or directories' },
  { key: 'playbook', env: 'FLEET_PLAYBOOK', flag: 'apply/check PLAYBOOK', type: 'path', default: 'playbooks/site.yml', describe: 'the playbook apply and check run' },
  { key: 'forks', env: 'FLEET_FORKS', flag: '-f, --forks', type: 'count', default: 100, describe: 'hosts worked on at once' },
  { key: 'roles_path', env: 'FLEET_ROLES_PATH', flag: '--roles-path', type: 'paths', default: [], describe: "directories searched for roles before the playbook's own roles/ directories" },
  { key: 'log_file', env: 'FLEET_LOG_FILE', flag: '--log-file', type: 'path', default: '', describe: "append every run's events to this file as NDJSON, secrets redacted (empty: no log)" },
  { key: 'log_max_size', env: 'FLEET_LOG_MAX_SIZE', flag: '--log-max-size', type: 'size', default: '10M', describe: 'rotate the log file when it grows past this size (bytes, or with K, M, G)' },
  { key: 'color', env: 'FLEET_COLOR', flag: '--color', type: 'color', default: 'auto', describe: 'colour: auto (on a terminal, unless NO_COLOR is set), always or never' },
];

export const COLORS = ['auto', 'always', 'never'] as const;
export type ColorMode = (typeof COLORS)[number];

export function settingSpec(key: string): SettingSpec | undefined {
  return SETTINGS.find((s) => s.key === key);
}
