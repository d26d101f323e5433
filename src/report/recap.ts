// The recap: the last thing a person reads. Per host counts, then every failure in full
// (where, what ran, how it ended, what it said), so nobody has to rerun with -vvv.
import type { Failure, HostCounts, RecapEvent, TaskStatus } from '../model/events.js';
import { retryNote } from './retry-note.js';
import type { RunState } from './state.js';
import { formatMs, plural } from './state.js';
import type { Style } from './style.js';

const STATUSES: TaskStatus[] = ['ok', 'changed', 'failed', 'skipped', 'unreachable'];
/** A column of its own only in a run where some task's outcome is unknown. */
const hasUnknown = (r: RecapEvent): boolean => Object.values(r.hosts).some((c) => (c.unknown ?? 0) > 0);
/** Likewise for failures an Ansible block's rescue handled (Ansible's recap `rescued`). */
const hasRescued = (r: RecapEvent): boolean => Object.values(r.hosts).some((c) => (c.rescued ?? 0) > 0);
const STDERR_LINES = 20;
/** Past this many hosts the table lists only the hosts that went wrong; the rest are counts
 * (a thousand rows of "ok" hide the few that matter). --json keeps every host. */
export const RECAP_MAX_ROWS = 50;

export function formatRecap(r: RecapEvent, state: RunState, style: Style): string {
  const hosts = recapHosts(r, state);
  const out: string[] = ['', style.bold(`RECAP (${r.mode}, ${formatMs(r.durationMs)})`)];
  out.push(headline(r, hosts, style));
  if (r.interrupted) {
    const unfinished = hosts.filter((h) => !state.hosts.get(h)?.done);
    out.push(
      style.red(
        'Interrupted (Ctrl-C): the run was stopped' +
          (unfinished.length ? `; these hosts did not finish: ${unfinished.join(', ')}` : '; every host had finished'),
      ),
    );
  }
  out.push('', ...table(r, hosts, state, style));
  const retried = hosts.filter((h) => state.hosts.get(h)?.retries?.length);
  if (retried.length > 0) {
    out.push('', style.bold(style.yellow(`CONNECTED AFTER RETRIES (${retried.length})`)));
    for (const h of retried) out.push(`${h}: ${retryNote(state.hosts.get(h)!.retries!)}`);
  }
  if (r.outputs && Object.keys(r.outputs).length > 0) out.push('', style.bold('OUTPUTS'), ...outputs(r.outputs, hosts));
  if (r.failures.length > 0) {
    out.push('', style.bold(style.red(`FAILURES (${r.failures.length})`)));
    for (const f of r.failures) out.push('', ...formatFailure(f, style));
  }
  return out.join('\n') + '\n';
}

/** Hosts in inventory order as announced, then any only the recap knows. */
function recapHosts(r: RecapEvent, state: RunState): string[] {
  const known = state.order.filter((h) => h in r.hosts);
  return [...known, ...Object.keys(r.hosts).filter((h) => !known.includes(h))];
}

function headline(r: RecapEvent, hosts: string[], style: Style): string {
  const n = (s: TaskStatus) => hosts.filter((h) => (r.hosts[h][s] ?? 0) > 0).length;
  const changed = n('changed');
  let text =
    r.mode === 'check'
      ? changed > 0
        ? style.yellow(`${plural(changed, 'host')} would change`)
        : style.green('nothing to change')
      : changed > 0
        ? style.yellow(`${plural(changed, 'host')} changed`)
        : style.green('nothing changed');
  const failed = n('failed');
  const unreachable = n('unreachable');
  if (failed) text += ', ' + style.red(`${plural(failed, 'host')} failed`);
  if (unreachable) text += ', ' + style.red(`${plural(unreachable, 'host')} unreachable`);
  const unknown = n('unknown');
  if (unknown) text += ', ' + style.red(`${plural(unknown, 'host')} with a task of unknown outcome (run fleet check to see the real state)`);
  return text;
}

function table(r: RecapEvent, hosts: string[], state: RunState, style: Style): string[] {
  const statuses: (keyof HostCounts)[] = [...STATUSES, ...(hasRescued(r) ? (['rescued'] as const) : []), ...(hasUnknown(r) ? (['unknown'] as const) : [])];
  const header = ['host', ...statuses, 'round trips'];
  const wrong = (h: string) => {
    const c = r.hosts[h];
    return c.failed > 0 || c.unreachable > 0 || (c.unknown ?? 0) > 0;
  };
  const listed = hosts.length > RECAP_MAX_ROWS ? hosts.filter(wrong) : hosts;
  const rows = listed.map((h) => {
    const c = r.hosts[h];
    const done = state.hosts.get(h)?.done;
    return [h, ...statuses.map((s) => String(c[s] ?? 0)), done ? String(done.roundTrips) : '-'];
  });
  const widths = header.map((t, i) => Math.max(t.length, ...rows.map((row) => row[i].length)));
  const pad = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const lines = [style.dim(pad(header))];
  for (const row of rows) {
    const c = r.hosts[row[0]];
    let line = pad(row);
    if (c.failed > 0 || c.unreachable > 0 || (c.unknown ?? 0) > 0) line = style.red(line);
    else if (c.changed > 0) line = style.yellow(line);
    lines.push(line);
  }
  if (listed.length < hosts.length) {
    const rest = hosts.filter((h) => !wrong(h));
    const changed = rest.filter((h) => r.hosts[h].changed > 0).length;
    const what = r.mode === 'check' ? 'would change' : 'changed';
    lines.push(
      style.dim(`${plural(rest.length, 'more host')} not listed (over ${RECAP_MAX_ROWS} hosts, only those that went wrong are): ${changed} ${what}, ${rest.length - changed} unchanged; --json has every host`),
    );
  }
  return lines;
}

/** Published values (onion addresses...), per host, with the variable to read them by. */
function outputs(o: NonNullable<RecapEvent['outputs']>, hosts: string[]): string[] {
  const names = [...hosts.filter((h) => h in o), ...Object.keys(o).filter((h) => !hosts.includes(h))];
  const width = Math.max(...names.map((h) => h.length));
  const lines: string[] = [];
  for (const h of names) {
    Object.entries(o[h]).forEach(([k, v], i) => lines.push(`${(i === 0 ? h : '').padEnd(width)}  ${k} = ${v}`));
  }
  return lines;
}

export function formatFailure(f: Failure, style: Style): string[] {
  const task = f.role ? `${f.role} : ${f.task}` : f.task;
  const out = [style.red(`${f.host} | ${task}`)];
  if (f.location) out.push(`  at ${f.location}`);
  // The module's own words; an empty message still says what we know rather than nothing.
  out.push(`  error: ${f.msg?.trim() || 'failed without a message'}`);
  if (f.cmd !== undefined) out.push(...block('  command:', f.cmd));
  if (f.rc !== undefined) out.push(`  exit code: ${f.rc}`);
  if (f.stderr !== undefined && f.stderr.trim() !== '') {
    // Already terminal-safe (report/index.ts): a host's colour codes show escaped, not stripped.
    const lines = f.stderr.replace(/\s+$/, '').split(/\r?\n/);
    const shown = lines.slice(-STDERR_LINES);
    const omitted = lines.length - shown.length;
    out.push(`  stderr${omitted ? ` (last ${STDERR_LINES} lines, ${omitted} earlier omitted)` : ''}:`);
    out.push(...shown.map((l) => '    ' + l));
  }
  return out;
}

/** A one-line value stays on its label's line; a script goes below it, indented. */
function block(label: string, text: string): string[] {
  const lines = text.replace(/\s+$/, '').split(/\r?\n/);
  if (lines.length === 1) return [`${label} ${lines[0]}`];
  return [label, ...lines.map((l) => '    ' + l)];
}
