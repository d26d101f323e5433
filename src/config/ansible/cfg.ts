// ansible.cfg: where a project keeps its roles (`roles_path`), and whether a playbook is in
// Ansible's format (a playbook next to an ansible.cfg is read the way ansible-playbook reads it).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The ansible.cfg ansible-playbook would read for a playbook: $ANSIBLE_CONFIG, the current
 * directory's, or (fleet also looks there) the playbook's directory's. */
export function findAnsibleCfg(playbookDir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.ANSIBLE_CONFIG, join(process.cwd(), 'ansible.cfg'), join(playbookDir, 'ansible.cfg')].filter(
    (f): f is string => !!f,
  );
  return candidates.map((f) => resolve(f)).find((f) => existsSync(f));
}

/** `roles_path` of [defaults] (or $ANSIBLE_ROLES_PATH): colon-separated, relative to the cfg's directory. */
export function ansibleRolesPath(cfg: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.ANSIBLE_ROLES_PATH)
    return env.ANSIBLE_ROLES_PATH.split(':')
      .filter(Boolean)
      .map((p) => resolve(expandHome(p, env)));
  if (!cfg) return [];
  const value = iniValue(readFileSync(cfg, 'utf8'), 'defaults', 'roles_path');
  if (!value) return [];
  return value
    .split(':')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => resolve(dirname(cfg), expandHome(p, env)));
}

function expandHome(p: string, env: NodeJS.ProcessEnv): string {
  return p.startsWith('~/') && env.HOME ? join(env.HOME, p.slice(2)) : p;
}

/** One key of one section of an INI file (Python's configparser: `key = value` or `key: value`,
 * `#`/`;` comments at the start of a line). */
export function iniValue(text: string, section: string, key: string): string | undefined {
  let current = '';
  let found: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      current = sec[1].trim();
      continue;
    }
    const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (m && current === section && m[1] === key) found = m[2].trim();
  }
  return found;
}
