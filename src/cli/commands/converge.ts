// `fleet apply` and `fleet check`: load and validate everything, then run the engine.
import type { CommandModule } from 'yargs';
import { loadInventory, loadPlaybook } from '../../config/index.js';
import { run } from '../../engine/index.js';
import { createReporter, Redactor } from '../../report/index.js';
import { EXIT } from '../exit-codes.js';
import { parseExtraVars } from '../extra-vars.js';
import { convergeOptions, splitList, type ConvergeArgs } from '../options.js';
import { validateBeforeContact } from '../../engine/preflight.js';
import { writeFileSync } from 'node:fs';
import { setMaxListeners } from 'node:events';

export async function converge(mode: 'apply' | 'check', args: ConvergeArgs): Promise<number> {
  const inventory = loadInventory(args.inventory);
  const playbook = loadPlaybook(args.playbook);
  const extraVars = parseExtraVars(args['extra-vars']);
  // Everything that can be checked without a host is checked before any host is contacted.
  validateBeforeContact({ inventory, playbook, extraVars, limit: args.limit });
  const redactor = new Redactor();
  for (const s of inventory.warnings) process.stderr.write(`warning: ${s}\n`);
  const reporter = createReporter({
    json: args.json,
    tty: Boolean(process.stdout.isTTY) && !args.json,
    diff: args.diff,
    out: process.stdout,
    err: process.stderr,
    redactor,
  });
  const ac = new AbortController();
  // Every host's connection listens on this one signal: hundreds of listeners are expected.
  setMaxListeners(0, ac.signal);
  let sigints = 0;
  const onSigint = (): void => {
    sigints++;
    if (sigints > 1) process.exit(EXIT.interrupted);
    process.stderr.write('\ninterrupted: finishing the tasks in flight, then the recap (Ctrl-C again to quit now)\n');
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  const dump = process.env.FLEET_DUMP_PROBE;
  try {
    const recap = await run({
      mode,
      inventory,
      playbook,
      limit: args.limit,
      tags: splitList(args.tags),
      skipTags: splitList(args['skip-tags']),
      forks: args.forks,
      extraVars,
      diff: args.diff,
      acceptNewHostKeys: args['accept-new-hostkeys'],
      emit: (e) => reporter.onEvent(e),
      signal: ac.signal,
      redactor,
      dumpProbe: dump ? (script) => writeFileSync(dump, script) : undefined,
    });
    if (recap.interrupted) return EXIT.interrupted;
    const counts = Object.values(recap.hosts);
    if (counts.some((c) => c.failed > 0 || c.unreachable > 0)) return EXIT.failed;
    if (mode === 'check' && counts.some((c) => c.changed > 0)) return EXIT.changes;
    return EXIT.ok;
  } finally {
    // Closed before any error is printed: the live view holds the terminal until then.
    await reporter.close();
    process.off('SIGINT', onSigint);
  }
}

export function convergeCommand(mode: 'apply' | 'check'): CommandModule<object, ConvergeArgs> {
  return {
    command: `${mode} [playbook]`,
    describe: mode === 'apply' ? 'converge the hosts to the playbook' : 'dry run: show what would change, with diffs; exit 2 when something would',
    builder: (y) => convergeOptions(y),
    handler: async (args) => {
      process.exitCode = await converge(mode, args);
    },
  };
}
