// Ansible's cron module's edits of a crontab's lines, ported line for line so crontabs that
// Ansible wrote (each job under a "#Ansible: NAME" comment) are found and kept as it keeps them.

export const ANSIBLE_MARK = '#Ansible: ';

export interface CronEntry {
  name: string;
  state: 'present' | 'absent';
  job?: string;
  minute: string;
  hour: string;
  day: string;
  month: string;
  weekday: string;
  special_time?: string;
  disabled: boolean;
  env: boolean;
  insertafter?: string;
  insertbefore?: string;
  /** Set for a cron_file: its lines carry the user. */
  fileUser?: string;
}

/** Python's str.splitlines() for crontab text. */
export function cronLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r\n|\n|\r/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Ansible's render: the lines joined, one newline at the end ('' when none). */
export function renderCron(lines: string[]): string {
  const s = lines.join('\n');
  return s ? s.replace(/[\r\n]+$/, '') + '\n' : '';
}

/** The job line as Ansible writes it (get_cron_job). */
export function cronJobLine(e: CronEntry): string {
  const job = (e.job ?? '').replace(/^[\r\n]+|[\r\n]+$/g, '');
  const pre = e.disabled ? '#' : '';
  const user = e.fileUser !== undefined ? ` ${e.fileUser}` : '';
  if (e.special_time) return `${pre}@${e.special_time}${user} ${job}`;
  return `${pre}${e.minute} ${e.hour} ${e.day} ${e.month} ${e.weekday}${user} ${job}`;
}

/** find_job: by the "#Ansible: NAME" comment, else (given a job) by an identical line, which is
 * then given the comment (Ansible's migration of unnamed jobs). [jobLine, migrated] or undefined. */
function findJob(lines: string[], name: string, job?: string): { line: string; migrated: boolean } | undefined {
  let comment: string | undefined;
  for (const l of lines) {
    if (comment !== undefined) {
      if (comment === name) return { line: l, migrated: false };
      comment = undefined;
    } else if (l.startsWith(ANSIBLE_MARK)) comment = l.slice(ANSIBLE_MARK.length);
  }
  if (job !== undefined) {
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] !== job) continue;
      // Python's lines[i - 1] at i = 0 is the last line.
      const prev = lines.at(i - 1) ?? '';
      if (!prev.startsWith(ANSIBLE_MARK)) {
        lines.splice(i, 0, ANSIBLE_MARK + name);
        return { line: job, migrated: true };
      }
      if (name && prev === ANSIBLE_MARK + 'None') {
        lines[i - 1] = ANSIBLE_MARK + name;
        return { line: job, migrated: true };
      }
    }
  }
  return undefined;
}

/** _update_job: the line after the NAME comment replaced by `job` (or removed). */
function updateJob(lines: string[], name: string, job: string | undefined): string[] {
  const mark = ANSIBLE_MARK + name;
  const out: string[] = [];
  let comment: string | undefined;
  for (const l of lines) {
    if (comment !== undefined) {
      if (job !== undefined) out.push(comment, job);
      comment = undefined;
    } else if (l === mark) comment = l;
    else out.push(l);
  }
  return out;
}

function envIndex(lines: string[], name: string): number {
  return lines.findIndex((l) => l.startsWith(`${name}=`));
}

/** The crontab's lines after the entry's edit, and whether Ansible counts it a change. */
export function editCron(before: string[], e: CronEntry): { lines: string[]; changed: boolean } {
  let lines = [...before];
  if (e.env) {
    if (e.name.includes(' ')) throw new Error('Invalid name for environment variable');
    const decl = `${e.name}="${e.job ?? ''}"`;
    const at = envIndex(lines, e.name);
    if (e.state === 'absent') return at < 0 ? { lines, changed: false } : { lines: lines.filter((l) => !l.startsWith(`${e.name}=`)), changed: true };
    if (at >= 0) {
      if (lines[at] === decl) return { lines, changed: false };
      return { lines: lines.map((l) => (l.startsWith(`${e.name}=`) ? decl : l)), changed: true };
    }
    const anchor = e.insertafter ?? e.insertbefore;
    if (anchor === undefined) return { lines: [decl, ...lines], changed: true };
    const i = envIndex(lines, anchor);
    if (i < 0) throw new Error(`Variable named '${anchor}' not found.`);
    lines.splice(e.insertafter !== undefined ? i + 1 : i, 0, decl);
    return { lines, changed: true };
  }
  if (e.state === 'absent') {
    if (!findJob(lines, e.name)) return { lines, changed: false };
    return { lines: updateJob(lines, e.name, undefined), changed: true };
  }
  const job = cronJobLine(e);
  const old = findJob(lines, e.name, job);
  if (!old) return { lines: [...lines, ANSIBLE_MARK + e.name, job], changed: true };
  if (old.line !== job || old.migrated) lines = updateJob(lines, e.name, job);
  return { lines, changed: old.line !== job || old.migrated };
}

/** Ansible's is_empty: no line with anything but whitespace. */
export function cronEmpty(lines: string[]): boolean {
  return lines.every((l) => l.trim() === '');
}
