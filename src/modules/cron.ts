// cron (Ansible's): one named entry of a user's crontab (written with `crontab -u USER -`) or of
// a cron_file under /etc/cron.d, edited exactly as Ansible edits it (lib/crontab.ts), so a
// crontab Ansible manages is recognised line for line. A cron_file left empty is removed.
import { Type } from '@sinclair/typebox';
import type { Module } from '../model/module.js';
import { paramsObject, rawSchema, stringEnum, withDefault, type Params } from '../model/params.js';
import { cronEmpty, cronLines, editCron, renderCron, type CronEntry } from './lib/crontab.js';
import { unifiedDiff } from './lib/diff.js';
import { writeFileSh } from './lib/filewrite.js';
import { parseProbe } from './lib/kv.js';
import { b64Heredoc, q } from './lib/sh.js';

const field = withDefault(rawSchema<string | number>({ type: ['string', 'integer'], minLength: 1, pattern: '^\\S+$' }), '*');
const userSchema = Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$' });

const schema = paramsObject({
  name: Type.String({ minLength: 1, pattern: '^[^\\n]*$' }),
  user: Type.Optional(userSchema),
  job: Type.Optional(Type.String()),
  minute: field,
  hour: field,
  day: field,
  month: field,
  weekday: field,
  special_time: Type.Optional(stringEnum(['annually', 'daily', 'hourly', 'monthly', 'reboot', 'weekly', 'yearly'] as const)),
  state: withDefault(stringEnum(['present', 'absent'] as const), 'present'),
  disabled: withDefault(Type.Boolean(), false),
  env: withDefault(Type.Boolean(), false),
  insertafter: Type.Optional(Type.String({ minLength: 1 })),
  insertbefore: Type.Optional(Type.String({ minLength: 1 })),
  /** Absolute, or a name under /etc/cron.d (as Ansible takes it). */
  cron_file: Type.Optional(Type.String({ minLength: 1, pattern: '^[^\\n]*$' })),
});
type CronParams = Params<typeof schema>;

interface CronData {
  /** New text; undefined removes the cron_file. */
  content?: string;
}

export function cronFilePath(p: Pick<CronParams, 'cron_file'>): string | undefined {
  if (p.cron_file === undefined) return undefined;
  return p.cron_file.startsWith('/') ? p.cron_file : `/etc/cron.d/${p.cron_file}`;
}

/** Ansible's checks of the parameters, before anything is read. */
export function cronProblem(p: CronParams): string | undefined {
  const present = p.state === 'present';
  const times = [p.minute, p.hour, p.day, p.month, p.weekday].map(String);
  if (p.special_time && times.some((x) => x !== '*')) return 'You must specify time and date fields or special time.';
  if (p.cron_file !== undefined && present && p.user === undefined) return 'To use cron_file=... parameter you must specify user=... as well';
  if (p.job === undefined && present) return "You must specify 'job' to install a new cron job or variable";
  if ((p.insertafter !== undefined || p.insertbefore !== undefined) && !p.env && present)
    return 'Insertafter and insertbefore parameters are valid only with env=yes';
  if (p.insertafter !== undefined && p.insertbefore !== undefined) return 'insertafter and insertbefore are mutually exclusive';
  if (p.env && p.name.includes(' ')) return 'Invalid name for environment variable';
  return undefined;
}

function entry(p: CronParams): CronEntry {
  return {
    ...p,
    minute: String(p.minute),
    hour: String(p.hour),
    day: String(p.day),
    month: String(p.month),
    weekday: String(p.weekday),
    fileUser: p.cron_file !== undefined ? p.user : undefined,
  };
}

/** Where the diff says the crontab is. */
function label(p: CronParams): string {
  return cronFilePath(p) ?? `crontab of ${p.user ?? 'the task user'}`;
}

export const cron: Module<typeof schema, CronData> = {
  name: 'cron',
  schema,
  probe(p) {
    const file = cronFilePath(p);
    if (file !== undefined)
      return `if [ -f ${q(file)} ]; then echo exists=1; printf 'text_b64='; base64 -w0 < ${q(file)}; echo; else echo exists=0; fi\n`;
    const u = p.user !== undefined ? ` -u ${q(p.user)}` : '';
    // crontab -l fails when the user has none: an empty crontab to Ansible.
    const read = `if t=$(crontab -l${u} 2>/dev/null); then echo exists=1; printf 'text_b64='; printf '%s\\n' "$t" | base64 -w0; echo; else echo exists=0; fi`;
    if (p.user === undefined) return `${read}\n`;
    return `if ! id -u ${q(p.user)} >/dev/null 2>&1; then echo user=absent; else ${read}; fi\n`;
  },
  plan(p, out) {
    const problem = cronProblem(p);
    if (problem) return { kind: 'blocked', reason: problem };
    const d = parseProbe(out);
    if (d.get('user') === 'absent') return { kind: 'blocked', reason: `user ${p.user} does not exist` };
    const exists = d.get('exists') === '1';
    const old = exists ? (d.text('text_b64') ?? '') : '';
    let r: { lines: string[]; changed: boolean };
    try {
      r = editCron(cronLines(old), entry(p));
    } catch (e) {
      return { kind: 'blocked', reason: (e as Error).message };
    }
    if (!r.changed) return { kind: 'ok' };
    const file = cronFilePath(p);
    const what = `${p.env ? 'variable' : 'job'} ${p.name}`;
    // A cron_file with nothing left is removed, as Ansible removes it.
    if (file !== undefined && p.state === 'absent' && cronEmpty(r.lines))
      return { kind: 'change', summary: `remove ${file} (its last entry, ${what}, removed)`, diff: unifiedDiff(file, old, ''), data: {} };
    const next = renderCron(r.lines);
    const verb = p.state === 'absent' ? 'remove' : 'set';
    return { kind: 'change', summary: `${verb} ${what} in ${label(p)}`, diff: unifiedDiff(label(p), exists ? old : undefined, next), data: { content: next } };
  },
  apply(p, { data }) {
    const file = cronFilePath(p);
    if (file !== undefined) {
      if (data.content === undefined) return `rm -f -- ${q(file)}\n`;
      return writeFileSh({ path: file, data: Buffer.from(data.content), owner: 'root', group: 'root', mode: '0644' });
    }
    const u = p.user !== undefined ? ` -u ${q(p.user)}` : '';
    return `set -e\n${b64Heredoc(`base64 -d | crontab${u} -`, Buffer.from(data.content ?? ''))}`;
  },
  resources: (p) => [cronFilePath(p) !== undefined ? `file:${cronFilePath(p)}` : `crontab:${p.user ?? ''}`],
};
