// `fleet run PATTERN -- COMMAND...`: one command on every matching host, in parallel, with
// apply's connection settings, host keys and redaction; a recap of every host's exit status.
import type { CommandModule } from 'yargs';
import { setMaxListeners } from 'node:events';
import { loadInventory, selectHosts } from '../../config/index.js';
import { ConfigError } from '../../model/errors.js';
import { createStyle, Redactor } from '../../report/index.js';
import { AdhocReporter, adhocCounts, type AdhocEvent, type AdhocRecapEvent } from '../../report/adhoc.js';
import { colorFor, effectiveSettings, type SettingFlags } from '../context.js';
import { openLog } from '../event-log.js';
import { EXIT } from '../exit-codes.js';
import { learnSecrets, onHosts } from '../on-hosts.js';
import { ACCEPT_NEW, COLOR, FORKS, INVENTORY, LIMIT, LOG_FILE, LOG_MAX_SIZE } from '../options.js';
import { applyOptions, type CommandDoc } from '../spec.js';

interface Args extends SettingFlags {
  pattern: string;
  command?: string[];
  inventory: string[];
  limit?: string;
  sudo?: boolean;
  stream: boolean;
  json: boolean;
  'accept-new-hostkeys': boolean;
}

export const runDoc: CommandDoc = {
  name: 'run',
  usage: 'fleet run PATTERN -- COMMAND...',
  summary: 'run a shell command on every matching host, in parallel; each host\'s output, then its exit status in a recap',
  options: [
    { name: 'sudo', type: 'boolean', describe: "run it as root through sudo (`--no-sudo`: never; default: the host's `become`)" },
    { name: 'stream', type: 'boolean', default: false, describe: 'print lines as they arrive, each prefixed with its host (stderr lines with `!`), instead of one block per host' },
    FORKS,
    { ...LIMIT, describe: 'only hosts that also match this pattern' },
    INVENTORY,
    { name: 'json', type: 'boolean', default: false, describe: 'NDJSON on stdout: `run`, one `result` per host (`status`, `rc`, `stdout`, `stderr`, `msg`, `durationMs`), `recap`' },
    ACCEPT_NEW,
    LOG_FILE,
    LOG_MAX_SIZE,
    COLOR,
  ],
  details: `The words after \`--\` are joined with spaces and run by /bin/sh on each host, as ssh does:
quote pipes and redirections for your own shell (\`fleet run web -- 'journalctl -u synapse | tail -5'\`).
The command's standard input is empty. Exit status: 0 when the command exited 0 on every host,
1 when it failed on any host or any host was unreachable, 130 after Ctrl-C (hosts not started
are left alone, commands in flight are cut off).`,
};

/** The words after `--`, verbatim (yargs would read `-n` in `tail -n 5` as its own flag). */
function commandWords(args: Args): string[] {
  const dd = process.argv.indexOf('--');
  return (dd >= 0 ? process.argv.slice(dd + 1) : (args.command ?? [])).map(String);
}

async function runCommand(args: Args): Promise<number> {
  const settings = effectiveSettings(args);
  const words = commandWords(args);
  if (words.length === 0) throw new ConfigError('command line', undefined, undefined, 'no command given: fleet run PATTERN -- COMMAND...');
  const command = words.join(' ');
  const inventory = loadInventory(settings.value<string[]>('inventory'));
  for (const w of inventory.warnings) process.stderr.write(`warning: ${w}\n`);
  let hosts = selectHosts(inventory, args.pattern, { file: 'command line (PATTERN)' });
  if (args.limit) {
    const limited = new Set(selectHosts(inventory, args.limit, { file: 'command line (--limit)' }));
    hosts = hosts.filter((h) => limited.has(h));
  }
  const redactor = new Redactor();
  learnSecrets(inventory, hosts, redactor);
  const log = openLog(settings, redactor);
  const tty = Boolean(process.stdout.isTTY);
  const reporter = new AdhocReporter({
    mode: args.json ? 'json' : args.stream ? 'stream' : 'grouped',
    out: process.stdout,
    err: process.stderr,
    style: createStyle(!args.json && colorFor(settings, tty)),
    redactor,
  });
  const emit = (e: AdhocEvent): void => {
    reporter.onEvent(e);
    if (e.type !== 'output') log?.onEvent(e);
  };
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  const onSigint = (): void => {
    if (ac.signal.aborted) process.exit(EXIT.interrupted);
    process.stderr.write('\ninterrupted: cutting off the commands in flight (Ctrl-C again to quit now)\n');
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  const started = performance.now();
  try {
    emit({ type: 'run', mode: 'run', command, hosts, become: args.sudo ?? 'inventory' });
    const outcomes = await onHosts({
      inventory,
      hosts,
      script: command + '\n',
      forks: settings.value<number>('forks'),
      become: args.sudo,
      acceptNewHostKeys: args['accept-new-hostkeys'],
      signal: ac.signal,
      onOutput: args.stream && !args.json ? (host, stream, text) => emit({ type: 'output', host, stream, text }) : undefined,
      onDone: (o) => emit({ type: 'result', ...o }),
    });
    const recap: AdhocRecapEvent = {
      type: 'recap',
      mode: 'run',
      hosts: Object.fromEntries(outcomes.map((o) => [o.host, adhocCounts(o)])),
      durationMs: Math.round(performance.now() - started),
    };
    if (ac.signal.aborted) recap.interrupted = true;
    emit(recap);
    if (recap.interrupted) return EXIT.interrupted;
    return outcomes.every((o) => o.status === 'ok') ? EXIT.ok : EXIT.failed;
  } finally {
    log?.close();
    process.off('SIGINT', onSigint);
  }
}

export const runCommandModule: CommandModule<object, Args> = {
  command: 'run <pattern> [command..]',
  describe: runDoc.summary,
  builder: (y) => applyOptions(y.positional('pattern', { type: 'string', demandOption: true, describe: 'hosts: a host, group, glob or pattern' }), runDoc.options) as never,
  handler: async (args) => {
    process.exitCode = await runCommand(args);
  },
};
