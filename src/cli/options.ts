// Flags shared by apply and check.
import type { Argv } from 'yargs';
import { repeatable } from './repeatable.js';

export interface ConvergeArgs {
  playbook: string;
  inventory: string[];
  limit?: string;
  tags?: string;
  'skip-tags'?: string;
  forks: number;
  'extra-vars': string[];
  diff: boolean;
  json: boolean;
  'accept-new-hostkeys': boolean;
}

export function convergeOptions<T>(y: Argv<T>): Argv<T & ConvergeArgs> {
  return y
    .positional('playbook', { type: 'string', default: 'playbooks/site.yml', describe: 'playbook to run' })
    .option('inventory', { alias: 'i', type: 'string', default: ['inventory'], coerce: repeatable, describe: 'inventory file or directory (repeatable)' })
    .option('limit', { alias: 'l', type: 'string', describe: 'only hosts matching this pattern' })
    .option('tags', { alias: 't', type: 'string', describe: 'only tasks with these tags (comma-separated)' })
    .option('skip-tags', { type: 'string', describe: 'skip tasks with these tags (comma-separated)' })
    .option('forks', { alias: 'f', type: 'number', default: 100, describe: 'hosts worked on at once' })
    .option('extra-vars', { alias: 'e', type: 'string', default: [], coerce: repeatable, describe: 'key=value, JSON, or @file.yml; highest precedence' })
    .option('diff', { alias: 'D', type: 'boolean', default: false, describe: 'show unified diffs of changed files' })
    .option('json', { type: 'boolean', default: false, describe: 'NDJSON events on stdout' })
    .option('accept-new-hostkeys', { type: 'boolean', default: false, describe: 'record the keys of hosts never seen before (a changed key is still refused)' }) as unknown as Argv<T & ConvergeArgs>;
}

export function splitList(s: string | undefined): string[] | undefined {
  if (!s) return undefined;
  const out = s.split(',').map((x) => x.trim()).filter(Boolean);
  return out.length ? out : undefined;
}
