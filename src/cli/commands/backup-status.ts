// What `fleet backup status` makes of the status a host's backup runs record: pure parsing,
// judging and formatting, so the rules are unit-tested.

export interface HostBackupStatus {
  configured: boolean;
  now?: number;
  maxAgeSeconds?: number;
  repository?: string;
  running?: string;
  lastRunStart?: number;
  lastRunEnd?: number;
  lastRunResult?: string;
  lastRunMessage?: string;
  snapshotId?: string;
  snapshotTime?: number;
  snapshotBytes?: number;
  snapshotAdded?: number;
  snapshotFiles?: number;
  lastCheckTime?: number;
  lastCheckResult?: string;
}

/** key=value lines; values may be sh single-quoted ('it'\''s'). */
export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    // `s`: a value may hold a carriage return (ssh ends its messages with CR LF); lines are split on LF only.
    const m = /^([a-z_]+)=(.*)$/s.exec(line);
    if (!m) continue;
    out[m[1]] = unquote(m[2]);
  }
  return out;
}

function unquote(v: string): string {
  if (!v.startsWith("'")) return v;
  // Concatenated quoted pieces joined by \' (what sh quoting of a ' produces).
  return v.replace(/^'|'$/g, '').replaceAll("'\\''", "'");
}

const num = (v: string | undefined): number | undefined => (v === undefined || v === '' || !/^\d+$/.test(v) ? undefined : Number(v));
const str = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

export function parseStatus(text: string): HostBackupStatus {
  const kv = parseKeyValues(text);
  const hours = num(kv.max_age_hours);
  return {
    configured: kv.configured === '1',
    now: num(kv.now),
    maxAgeSeconds: hours !== undefined ? hours * 3600 : undefined,
    repository: str(kv.repository),
    running: str(kv.running),
    lastRunStart: num(kv.last_run_start),
    lastRunEnd: num(kv.last_run_end),
    lastRunResult: str(kv.last_run_result),
    lastRunMessage: str(kv.last_run_message),
    snapshotId: str(kv.last_snapshot_id),
    snapshotTime: num(kv.last_snapshot_time),
    snapshotBytes: num(kv.last_snapshot_bytes),
    snapshotAdded: num(kv.last_snapshot_added),
    snapshotFiles: num(kv.last_snapshot_files),
    lastCheckTime: num(kv.last_check_time),
    lastCheckResult: str(kv.last_check_result),
  };
}

export interface Verdict {
  ok: boolean;
  /** Why it is not ok (empty when ok). */
  problems: string[];
  /** Seconds since the last snapshot, by the host's own clock. */
  ageSeconds?: number;
}

/** maxAgeSeconds: --max-age, else the host's backups_max_age_hours. A host that is not set up
 * fails unless its inventory turns backups off. */
export function judge(s: HostBackupStatus, opts: { maxAgeSeconds?: number; disabled?: boolean }): Verdict {
  if (!s.configured) return opts.disabled ? { ok: true, problems: [] } : { ok: false, problems: ['backups are not set up on this host (apply the backups role)'] };
  const problems: string[] = [];
  const age = s.snapshotTime !== undefined && s.now !== undefined ? Math.max(0, s.now - s.snapshotTime) : undefined;
  const limit = opts.maxAgeSeconds ?? s.maxAgeSeconds;
  if (!s.snapshotId) problems.push('no snapshot yet');
  else if (age !== undefined && limit !== undefined && age > limit) problems.push(`last snapshot is ${formatAge(age)} old (limit ${formatAge(limit)})`);
  if (s.lastRunResult === 'failed') problems.push(`last run failed${s.lastRunEnd && s.now ? ` ${formatAge(s.now - s.lastRunEnd)} ago` : ''}: ${s.lastRunMessage ?? 'no message'}`);
  return { ok: problems.length === 0, problems, ageSeconds: age };
}

/** "26h", "90m", "3600s", "2d", "1h30m" -> seconds. */
export function parseDuration(text: string): number {
  const re = /(\d+)\s*(d|h|m|s)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  const t = text.trim();
  while ((m = re.exec(t))) {
    total += Number(m[1]) * { d: 86400, h: 3600, m: 60, s: 1 }[m[2] as 'd' | 'h' | 'm' | 's'];
    end = re.lastIndex;
  }
  if (!t || end !== t.length || /^\d+$/.test(t)) throw new Error(`not a duration: '${text}' (expected a number with d, h, m or s, e.g. 26h, 90m, 1h30m)`);
  return total;
}

export function formatAge(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${s % 3600 >= 60 ? ` ${Math.floor((s % 3600) / 60)}m` : ''}`;
  return `${Math.floor(s / 86400)}d${s % 86400 >= 3600 ? ` ${Math.floor((s % 86400) / 3600)}h` : ''}`;
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** Columns of the status table, padded. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd()).join('\n') + '\n';
}
