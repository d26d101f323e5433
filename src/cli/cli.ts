// fleet's command line: parse flags, call the layers below, pick a reporter. No logic here.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError } from '../model/errors.js';
import { COMMAND_LOADERS } from './commands/by-name.js';
import type { RegisteredCommand } from './commands/index.js';
import { EXIT } from './exit-codes.js';
import { versionLine } from './version.js';
import { configureVaultFlags } from './commands/secrets-vault-options.js';

// Error messages and stack traces can quote values: every secret seen so far is masked; and
// they can quote a host's words: shown terminal-safe. (Loaded on an error only.)
async function redact(text: string): Promise<string> {
  const { Redactor, terminalSafe } = await import('../report/index.js');
  return terminalSafe(new Redactor().redact(text));
}

// `fleet inventory | head -1`: the reader is gone, nothing more can be shown. Stop at once and
// quietly, as a tool killed by SIGPIPE does (Node ignores the signal and reports EPIPE instead).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.pipeClosed);
    throw err;
  });
}

/** yargs renders the whole help of the command being run right after starting its handler,
 * in case a later failure wants to show it: about 0.1 s of CPU per run (string widths, the
 * emoji regex). fleet's .fail() never shows it, and `--help` renders afresh. */
function skipHelpCache(cli: unknown): void {
  type Usage = { cacheHelpMessage?: () => void };
  const usage = (cli as { getInternalMethods?: () => { getUsageInstance?: () => Usage } }).getInternalMethods?.().getUsageInstance?.();
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

async function main(argv: string[]): Promise<void> {
  // yargs reads a trailing `help` word as --help, so `fleet help [TOPIC]` is answered here.
  if (argv[0] === 'help' && !argv.includes('--help')) {
    const { showHelp } = await import('./commands/help.js');
    return showHelp(argv.slice(1).find((a) => !a.startsWith('-')), argv.includes('--man'));
  }
  // A known command word first: only its module is loaded (a shell's completion asks about
  // every command, so it gets them all, as does anything else).
  const one = COMMAND_LOADERS[argv[0] ?? ''];
  const alone = one !== undefined && !argv.includes('--get-yargs-completions');
  const commands: RegisteredCommand[] = alone ? [await one()] : (await import('./commands/index.js')).COMMANDS;
  let cli = yargs(argv).scriptName('fleet').middleware(configureVaultFlags);
  for (const c of commands) cli = cli.command(c.module);
  if (!alone) {
    const [{ helpCommand }, { completeWords }] = await Promise.all([import('./commands/help.js'), import('./commands/completion.js')]);
    // A hidden command name: `fleet completion SHELL` is fleet's own (it prints a script for
    // the shell asked for, not the one yargs guesses); yargs answers --get-yargs-completions.
    cli = cli.command(helpCommand as never).completion('__complete', false, completeWords as never);
  }
  skipHelpCache(cli);
  await cli
    .demandCommand(1, `give a command: ${Object.keys(COMMAND_LOADERS).join(', ')} or help`)
    .strict()
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`fleet: ${msg}\n(see fleet --help)\n`);
      process.exit(EXIT.config);
    })
    .help()
    .version(versionLine())
    .parseAsync();
}

// Not a top-level await: the single-file build (scripts/bundle.mjs) is CommonJS, which has none.
async function run(): Promise<void> {
  try {
    await main(hideBin(process.argv));
  } catch (err) {
    if (err instanceof ConfigError) {
      const { secretsHint } = await import('./commands/secrets-hint.js');
      process.stderr.write(await redact(`fleet: ${err.message}\n${secretsHint(err)}`));
      process.exitCode = EXIT.config;
    } else {
      process.stderr.write(await redact(`fleet: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`));
      process.exitCode = EXIT.failed;
    }
  }
}

void run();
