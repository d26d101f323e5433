// Flags several commands share, as data (see spec.ts). Flags that override a setting have no
// parser default: "not given" must stay visible so the setting's own layers decide.
import type { OptionSpec } from './spec.js';

export const INVENTORY: OptionSpec = { name: 'inventory', alias: 'i', type: 'string', arg: 'PATH', repeatable: true, describe: 'inventory file or directory (default `inventory`, or the inventory setting)' };
export const LIMIT: OptionSpec = { name: 'limit', alias: 'l', type: 'string', arg: 'PATTERN', describe: 'only hosts matching the pattern (same syntax as `hosts:`)' };
export const FORKS: OptionSpec = { name: 'forks', alias: 'f', type: 'number', arg: 'N', describe: 'hosts worked on at once (default 100, or the forks setting)' };
export const EXTRA_VARS: OptionSpec = { name: 'extra-vars', alias: 'e', type: 'string', arg: 'VARS', repeatable: true, describe: '`key=value`, a JSON object, or `@file.yml`; highest precedence' };
export const JSON_EVENTS: OptionSpec = { name: 'json', type: 'boolean', default: false, describe: 'NDJSON events on stdout instead of the human view' };
export const ACCEPT_NEW: OptionSpec = { name: 'accept-new-hostkeys', type: 'boolean', default: false, describe: 'record the key of a host never seen before (a *changed* key is still refused)' };
export const ROLES_PATH: OptionSpec = { name: 'roles-path', type: 'string', arg: 'DIR', repeatable: true, describe: "directory searched for roles before the playbook's own `roles/`" };
export const LOG_FILE: OptionSpec = { name: 'log-file', type: 'string', arg: 'FILE', describe: "append the run's events to FILE as NDJSON, secrets redacted" };
export const LOG_MAX_SIZE: OptionSpec = { name: 'log-max-size', type: 'string', arg: 'SIZE', describe: 'rotate the log file when it grows past SIZE (`10M`)' };
export const COLOR: OptionSpec = { name: 'color', type: 'string', arg: 'WHEN', choices: ['auto', 'always', 'never'], describe: 'colour in the human view' };


export function splitList(s: string | undefined): string[] | undefined {
  if (!s) return undefined;
  const out = s.split(',').map((x) => x.trim()).filter(Boolean);
  return out.length ? out : undefined;
}
