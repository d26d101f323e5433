// `fleet backup status|run|restore`: read, trigger and restore what the backups role set up,
// over fleet's own transport (same connection settings, pinned host keys, redaction).
import { setMaxListeners } from 'node:events';
import type { Argv, CommandModule } from 'yargs';
import { loadInventory, selectHosts } from '../../config/index.js';
import { ConfigError } from '../../model/errors.js';
import type { Inventory } from '../../model/inventory.js';
import { effectiveSettings, type SettingFlags } from '../context.js';
import { terminalSafe } from '../../report/index.js';
import { EXIT } from '../exit-codes.js';
import { FORKS, INVENTORY } from '../options.js';
import { applyOptions, type CommandDoc } from '../spec.js';
import { redactorFor, runOnHosts, type HostOutcome } from './backup-hosts.js';
import { restoreScript, runScript, statusScript } from './backup-scripts.js';
import { formatAge, formatBytes, formatTable, judge, parseDuration, parseStatus, type HostBackupStatus, type Verdict } from './backup-status.js';

export const backupDoc: CommandDoc = {
  name: 'backup',
  usage: 'fleet backup status [PATTERN] \\| run [PATTERN] \\| restore HOST --snapshot ID\\|latest [--path P]... [--to DIR] [--database NAME]...',
  summary:
    "backups the backups role set up: `status` per host (default all: last snapshot, its age and size, the last run; exit 1 when a snapshot is older than the threshold, the last run failed, or a host cannot be read); `run` backs up now and waits; `restore` restores on HOST files (in place, or under DIR; only the given paths) and declared database dumps into the running database",
  options: [
    INVENTORY,
    FORKS,
    { name: 'json', type: 'boolean', default: false, describe: 'one JSON object per host on stdout' },
    { name: 'max-age', type: 'string', arg: 'AGE', describe: "status: fail when the last snapshot is older (`26h`, `90m`...; default each host's `backups_max_age_hours`)" },
    { name: 'snapshot', type: 'string', arg: 'ID', describe: "restore: a snapshot ID, or `latest` (required)" },
    { name: 'path', type: 'string', arg: 'P', repeatable: true, describe: 'restore: only this path of the snapshot' },
    { name: 'to', type: 'string', arg: 'DIR', describe: 'restore: under this directory on the host instead of in place' },
    { name: 'database', type: 'string', arg: 'NAME', repeatable: true, describe: 'restore: this declared database dump into its running database' },
  ],
};

interface Args extends SettingFlags {
  json: boolean;
  pattern?: string;
  host?: string;
  'max-age'?: string;
  snapshot?: string;
  path: string[];
  to?: string;
  database: string[];
}

interface Run {
  inv: Inventory;
  forks: number;
  signal: AbortSignal;
}

/** The inventory and forks of the effective settings, and Ctrl-C: nothing new starts after it. */
async function withRun(args: Args, fn: (r: Run) => Promise<number>): Promise<number> {
  const settings = effectiveSettings(args);
  const inv = loadInventory(settings.value<string[]>('inventory'));
  for (const w of inv.warnings) process.stderr.write(`warning: ${w}\n`);
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  const onSigint = () => ac.abort();
  process.on('SIGINT', onSigint);
  try {
    const code = await fn({ inv, forks: settings.value<number>('forks'), signal: ac.signal });
    return ac.signal.aborted ? EXIT.interrupted : code;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

const out = (s: string): boolean => process.stdout.write(s);
/** For people: what the hosts said is shown terminal-safe (--json output keeps it exact). */
const human = (s: string): boolean => out(terminalSafe(s));

/** An inventory value that turns backups off for a host (then "not set up" is fine). */
function disabled(inv: Inventory, host: string): boolean {
  const v = inv.hosts.get(host)?.vars.backups_enabled;
  return v === false || v === 'false';
}

function failureText(o: HostOutcome): string | undefined {
  if ('error' in o) return o.error;
  if (o.result.rc === 3) return o.result.stderr.trim();
  return undefined;
}

async function status(args: Args, { inv, forks, signal }: Run): Promise<number> {
  const maxAgeSeconds = args['max-age'] !== undefined ? durationArg(args['max-age']) : undefined;
  const hosts = selectHosts(inv, args.pattern ?? 'all', { file: 'command line (PATTERN)' });
  const redactor = redactorFor(inv, hosts);
  const outcomes = await runOnHosts(inv, hosts, statusScript(), { forks, signal });
  let bad = 0;
  const rows: string[][] = [['HOST', 'SNAPSHOT', 'AGE', 'SIZE', 'ADDED', 'LAST RUN', 'STATUS']];
  const notes: string[] = [];
  for (const o of outcomes) {
    let s: HostBackupStatus | undefined;
    let v: Verdict;
    if ('error' in o || o.result.rc !== 0) {
      const why = 'error' in o ? o.error : (o.result.stderr || o.result.stdout).trim() || `exit ${o.result.rc}`;
      v = { ok: false, problems: [`cannot read the backup status: ${why}`] };
    } else {
      s = parseStatus(o.result.stdout);
      v = judge(s, { maxAgeSeconds, disabled: disabled(inv, o.host) });
    }
    if (!v.ok) bad++;
    if (args.json) {
      out(redactor.redact(JSON.stringify(statusJson(o.host, s, v))) + '\n');
      continue;
    }
    const lastRun = s?.lastRunResult ? `${s.lastRunResult}${s.lastRunEnd && s.now ? ` (${formatAge(s.now - s.lastRunEnd)} ago)` : ''}` : '-';
    const state = !s?.configured && v.ok ? 'off' : v.ok ? 'ok' : 'FAILED';
    rows.push([o.host, s?.snapshotId ?? '-', v.ageSeconds !== undefined ? formatAge(v.ageSeconds) : '-', formatBytes(s?.snapshotBytes), formatBytes(s?.snapshotAdded), `${lastRun}${s?.running === 'activating' ? ', running now' : ''}`, state]);
    for (const p of v.problems) notes.push(`${o.host}: ${p}`);
  }
  if (!args.json) human(redactor.redact(formatTable(rows) + notes.map((n) => `${n}\n`).join('')));
  return bad ? EXIT.failed : EXIT.ok;
}

function statusJson(host: string, s: HostBackupStatus | undefined, v: Verdict): object {
  return {
    host,
    ok: v.ok,
    problems: v.problems,
    configured: s?.configured ?? null,
    snapshot: s?.snapshotId ?? null,
    snapshotTime: s?.snapshotTime ?? null,
    ageSeconds: v.ageSeconds ?? null,
    bytes: s?.snapshotBytes ?? null,
    added: s?.snapshotAdded ?? null,
    files: s?.snapshotFiles ?? null,
    lastRun: s?.lastRunResult ? { result: s.lastRunResult, start: s.lastRunStart ?? null, end: s.lastRunEnd ?? null, message: s.lastRunMessage ?? null } : null,
    lastCheck: s?.lastCheckTime ? { time: s.lastCheckTime, result: s.lastCheckResult ?? null } : null,
    repository: s?.repository ?? null,
  };
}

async function runNow(args: Args, { inv, forks, signal }: Run): Promise<number> {
  const hosts = selectHosts(inv, args.pattern ?? 'all', { file: 'command line (PATTERN)' });
  const redactor = redactorFor(inv, hosts);
  const outcomes = await runOnHosts(inv, hosts, runScript(), { forks, signal });
  let bad = 0;
  for (const o of outcomes) {
    const unset = failureText(o);
    const s = 'result' in o && unset === undefined ? parseStatus(o.result.stdout) : undefined;
    const ok = 'result' in o && o.result.rc === 0 && s?.lastRunResult === 'ok';
    if (!ok) bad++;
    if (args.json) {
      out(redactor.redact(JSON.stringify({ host: o.host, ok, error: unset ?? null, status: s ?? null })) + '\n');
      continue;
    }
    let line: string;
    if (unset !== undefined) line = `${o.host}: FAILED: ${unset}`;
    else if (ok && s) {
      const took = s.lastRunStart && s.lastRunEnd ? ` in ${formatAge(s.lastRunEnd - s.lastRunStart)}` : '';
      line = `${o.host}: ok: snapshot ${s.snapshotId} (${s.snapshotFiles ?? '?'} files, ${formatBytes(s.snapshotBytes)}, ${formatBytes(s.snapshotAdded)} added)${took}`;
    } else {
      const r = 'result' in o ? o.result : undefined;
      line = `${o.host}: FAILED: ${s?.lastRunMessage ?? (r ? (r.stderr || r.stdout).trim() : 'no status')}`;
    }
    human(redactor.redact(line) + '\n');
  }
  return bad ? EXIT.failed : EXIT.ok;
}

const SNAPSHOT = /^(latest|[0-9a-f]{8,64})$/;
const DUMP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Restore's arguments, checked before any host is contacted. */
function restoreArgs(args: Args): { snapshot: string } {
  if (args.snapshot === undefined) throw usage('restore needs --snapshot ID|latest');
  if (!SNAPSHOT.test(args.snapshot)) throw usage(`--snapshot must be 'latest' or a snapshot ID (8 to 64 hex digits), got '${args.snapshot}'`);
  for (const p of args.path) if (!p.startsWith('/')) throw usage(`--path must be an absolute path inside the snapshot, got '${p}'`);
  if (args.to !== undefined && !args.to.startsWith('/')) throw usage(`--to must be an absolute directory on the host, got '${args.to}'`);
  for (const d of args.database) if (!DUMP_NAME.test(d)) throw usage(`--database takes the name of a declared dump (backups_postgres / backups_dumps), got '${d}'`);
  return { snapshot: args.snapshot };
}

async function restore(args: Args, { inv, signal }: Run): Promise<number> {
  const { snapshot } = restoreArgs(args);
  const hosts = selectHosts(inv, args.host!, { file: 'command line (HOST)' });
  if (hosts.length !== 1) throw usage(`restore works on one host at a time; '${args.host}' matches ${hosts.length}: ${hosts.join(', ')}`);
  const redactor = redactorFor(inv, hosts);
  const script = restoreScript({ snapshot, paths: args.path, to: args.to, databases: args.database });
  const [o] = await runOnHosts(inv, hosts, script, { forks: 1, signal });
  if ('error' in o) {
    process.stderr.write(terminalSafe(redactor.redact(`${o.host}: ${o.error}\n`)));
    return EXIT.failed;
  }
  const text = `${o.result.stdout}${o.result.stderr}`.trim();
  if (args.json) out(redactor.redact(JSON.stringify({ host: o.host, ok: o.result.rc === 0, rc: o.result.rc, output: text })) + '\n');
  else {
    if (text) human(redactor.redact(`${text.split('\n').map((l) => `${o.host}: ${l}`).join('\n')}\n`));
    out(`${o.host}: ${o.result.rc === 0 ? 'restored' : `restore FAILED (exit ${o.result.rc})`}\n`);
  }
  return o.result.rc === 0 ? EXIT.ok : EXIT.failed;
}

/** Bad arguments: exit 3 before any host is contacted, like every configuration error. */
function usage(msg: string): ConfigError {
  return new ConfigError('command line', undefined, undefined, msg);
}

function durationArg(text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw usage(`--max-age: ${(err as Error).message}`);
  }
}

/** Flags that belong to another subcommand are refused, not silently ignored. */
function onlyFor(args: Args, sub: string): void {
  const restoreOnly = args.snapshot !== undefined || args.path.length > 0 || args.to !== undefined || args.database.length > 0;
  if (sub !== 'restore' && restoreOnly) throw usage(`--snapshot, --path, --to and --database belong to 'fleet backup restore', not '${sub}'`);
  if (sub !== 'status' && args['max-age'] !== undefined) throw usage(`--max-age belongs to 'fleet backup status', not '${sub}'`);
}

function sub(name: string, fn: (args: Args, r: Run) => Promise<number>): (args: Args) => Promise<void> {
  return async (args) => {
    onlyFor(args, name);
    if (name === 'restore') restoreArgs(args);
    process.exitCode = await withRun(args, (r) => fn(args, r));
  };
}

const pattern = (y: Argv): Argv => y.positional('pattern', { type: 'string', default: 'all', describe: 'hosts (same syntax as --limit)' });

export const backupCommand: CommandModule<object, Args> = {
  command: 'backup',
  describe: 'backups set up by the backups role: status, run, restore',
  builder: (y) =>
    applyOptions(y, backupDoc.options)
      .command({ command: 'status [pattern]', describe: 'per host: last snapshot, its age and size, the last run; exit 1 when one is too old or the last run failed', builder: pattern, handler: sub('status', status) as never })
      .command({ command: 'run [pattern]', describe: 'back up now (the same service the timer starts) and wait for it', builder: pattern, handler: sub('run', runNow) as never })
      .command({
        command: 'restore <host>',
        describe: 'restore files (in place, or under --to) and database dumps (into the running database) from a snapshot',
        builder: (yy: Argv) => yy.positional('host', { type: 'string', demandOption: true, describe: 'the host whose snapshot is restored, on that host' }),
        handler: sub('restore', restore) as never,
      })
      .demandCommand(1, 'give a backup command: status, run or restore') as never,
  handler: () => undefined,
};
