// fleet's command line: parse flags, call the layers below, pick a reporter. No logic here.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError } from '../model/errors.js';
import { COMMANDS } from './commands/index.js';
import { completeWords } from './commands/completion.js';
import { helpCommand, showHelp } from './commands/help.js';
import { EXIT } from './exit-codes.js';
import { versionLine } from './version.js';
import { configureVaultFlags } from './commands/secrets-vault-options.js';
import { secretsHint } from './commands/secrets-hint.js';
import { Redactor, terminalSafe } from '../report/index.js';

// Error messages and stack traces can quote values: every secret seen so far is masked; and
// they can quote a host's words: shown terminal-safe.
const redact = (text: string): string => terminalSafe(new Redactor().redact(text));

// `fleet inventory | head -1`: the reader is gone, nothing more can be shown. Stop at once and
// quietly, as a tool killed by SIGPIPE does (Node ignores the signal and reports EPIPE instead).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.pipeClosed);
    throw err;
  });
}

async function main(argv: string[]): Promise<void> {
  // yargs reads a trailing `help` word as --help, so `fleet help [TOPIC]` is answered here.
  if (argv[0] === 'help' && !argv.includes('--help')) {
    return showHelp(argv.slice(1).find((a) => !a.startsWith('-')), argv.includes('--man'));
  }
  let cli = yargs(argv).scriptName('fleet').middleware(configureVaultFlags);
  for (const c of COMMANDS) cli = cli.command(c.module);
  await cli
    .command(helpCommand as never)
    // A hidden command name: `fleet completion SHELL` is fleet's own (it prints a script for
    // the shell asked for, not the one yargs guesses); yargs answers --get-yargs-completions.
    .completion('__complete', false, completeWords as never)
    .demandCommand(1, `give a command: ${COMMANDS.map((c) => c.doc.name).join(', ')} or help`)
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

try {
  await main(hideBin(process.argv));
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(redact(`fleet: ${err.message}\n${secretsHint(err)}`));
    process.exitCode = EXIT.config;
  } else {
    process.stderr.write(redact(`fleet: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`));
    process.exitCode = EXIT.failed;
  }
}
