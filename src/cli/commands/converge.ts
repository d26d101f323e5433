// `fleet apply` and `fleet check`: load and validate everything, then run the engine; or,
// with --list-hosts / --list-tasks / --syntax-check, answer without contacting any host.
import type { CommandModule } from 'yargs';
import { resolve } from 'node:path';
import { chmodSync, writeFileSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import { loadInventory, loadPlaybook, selectHosts, setHostVar } from '../../config/index.js';
import { expandIncludeLoops, ownerDescription, run } from '../../engine/index.js';
import { ConfigError } from '../../model/errors.js';
import { validateBeforeContact } from '../../engine/preflight.js';
import { PreflightHandoff } from '../../engine/preflight-handoff.js';
import type { Inventory } from '../../model/inventory.js';
import type { Playbook } from '../../model/playbook.js';
import { createReporter, Redactor } from '../../report/index.js';
import { colorFor, effectiveSettings, type SettingFlags } from '../context.js';
import { openLog } from '../event-log.js';
import { EXIT } from '../exit-codes.js';
import { parseExtraVars } from '../extra-vars.js';
import { ACCEPT_NEW, COLOR, EXTRA_VARS, FORKS, INVENTORY, JSON_EVENTS, LIMIT, LOG_FILE, LOG_MAX_SIZE, ROLES_PATH, splitList, VERBOSE } from '../options.js';
import { applyOptions, type CommandDoc, type OptionSpec } from '../spec.js';
import { listPlaybook } from '../playbook-listing.js';
import { startAtTask } from '../start-at-task.js';
import { stepThrough, terminalIO } from '../step.js';
import type { Settings } from '../settings/load.js';
import { checkDeclarations, markNamedSecrets, onSecretGenerated } from '../../secrets/index.js';
import { VAULT_OPTIONS } from './secrets-vault-options.js';

export interface ConvergeArgs extends SettingFlags {
  playbook?: string;
  inventory: string[];
  limit?: string;
  tags?: string;
  'skip-tags'?: string;
  forks?: number;
  'extra-vars': string[];
  diff: boolean;
  json: boolean;
  'accept-new-hostkeys': boolean;
  'list-hosts': boolean;
  'list-tasks': boolean;
  'syntax-check': boolean;
  'start-at-task'?: string;
  step: boolean;
  verbose: number;
  wait?: boolean;
  'lock-timeout'?: number;
}

export const CONVERGE_OPTIONS: OptionSpec[] = [
  INVENTORY,
  LIMIT,
  { name: 'tags', alias: 't', type: 'string', arg: 'a,b', describe: 'only tasks with one of these tags (`always` tasks run too; `never` ones only when named)' },
  { name: 'skip-tags', type: 'string', arg: 'c', describe: 'skip tasks with these tags' },
  FORKS,
  EXTRA_VARS,
  { name: 'diff', alias: 'D', type: 'boolean', default: false, describe: 'show unified diffs of changed files (and put them in `--json` events)' },
  JSON_EVENTS,
  ACCEPT_NEW,
  { name: 'list-hosts', type: 'boolean', default: false, describe: 'list the hosts each play would run on, and stop (no host is contacted)' },
  { name: 'list-tasks', type: 'boolean', default: false, describe: 'list the tasks each play would run, after `--tags`/`--skip-tags`, and stop (no host is contacted)' },
  { name: 'syntax-check', type: 'boolean', default: false, describe: 'validate the inventory, playbook, roles and templates, and stop (no host is contacted)' },
  { name: 'start-at-task', type: 'string', arg: 'NAME', describe: 'start at the first task named NAME (or `role : NAME`; `*` and `?` match any text): earlier plays and tasks are left out' },
  { name: 'step', type: 'boolean', default: false, describe: 'ask before each task: (N)o leaves it out, (y)es runs it, (c)ontinue runs the rest without asking; the answers are read from stdin before the run starts' },
  { name: 'wait', type: 'boolean', default: true, describe: "`--no-wait`: when another fleet run holds a host's run lock, fail that host at once (default: wait for it with a message, up to `--lock-timeout`); the other hosts go on. apply takes the lock, check waits for it (see \"Concurrent runs and Ctrl-C\")" },
  { name: 'lock-timeout', type: 'number', arg: 'SECONDS', default: 600, describe: 'how long to wait for a busy run lock before that host fails' },
  VERBOSE,
  ROLES_PATH,
  LOG_FILE,
  LOG_MAX_SIZE,
  COLOR,
  ...VAULT_OPTIONS,
];

export const convergeDocs: CommandDoc[] = [
  { name: 'apply', usage: 'fleet apply [PLAYBOOK]', summary: 'converge the hosts to the playbook (default `playbooks/site.yml`, or the playbook setting)', options: CONVERGE_OPTIONS },
  { name: 'check', usage: 'fleet check [PLAYBOOK]', summary: 'probe and plan only: what would change, with diffs; changes nothing', options: CONVERGE_OPTIONS },
];

function loadProject(settings: Settings): { inventory: Inventory; playbook: Playbook } {
  const inventory = loadInventory(settings.value<string[]>('inventory'));
  const file = settings.value<string>('playbook');
  const extra = settings.value<string[]>('roles_path').map((p) => resolve(p));
  const dir = resolve(file, '..');
  // Configured directories first, then the places loadPlaybook searches by default.
  const rolesPath = extra.length ? [...extra, resolve(dir, '..', 'roles'), resolve(dir, 'roles'), resolve('roles')] : undefined;
  return { inventory, playbook: loadPlaybook(file, { rolesPath }) };
}

export async function converge(mode: 'apply' | 'check', args: ConvergeArgs): Promise<number> {
  const settings = effectiveSettings(args);
  const loaded = loadProject(settings);
  const inventory = loaded.inventory;
  let playbook = args['start-at-task'] ? startAtTask(loaded.playbook, args['start-at-task']) : loaded.playbook;
  const extraVars = parseExtraVars(args['extra-vars']);
  // include_tasks with a loop: a copy of the included tasks per item, laid out before contact.
  playbook = expandIncludeLoops({ inventory, playbook, extraVars, limit: args.limit, selectHosts, mode });
  // Before anything can print them (a validation error quoting a value included).
  markNamedSecrets({ inventory, playbook, extraVars });
  checkDeclarations(playbook.plays.flatMap((p) => p.roles.map((r) => r.role.dir)));
  onSecretGenerated((name, file, written) => {
    // An apply's checks before contact stand in a throwaway too; the apply itself then
    // generates the kept value and says so: one note, the true one.
    if (!written && mode === 'apply') return;
    process.stderr.write(
      written
        ? `note: generated secret ${name}, encrypted into ${file} (commit it)\n`
        : `note: secret ${name} is not generated yet: check mode uses a throwaway value and writes nothing; the first apply generates it into ${file}\n`,
    );
  });
  const tags = splitList(args.tags);
  const skipTags = splitList(args['skip-tags']);
  const verbosity = Math.max(args.verbose ?? 0, traceLevel(process.env.FLEET_TRACE));
  if (args['list-hosts'] || args['list-tasks']) {
    const text = listPlaybook({ inventory, playbook, limit: args.limit, tags, skipTags, hosts: args['list-hosts'], tasks: args['list-tasks'], json: args.json });
    process.stdout.write(text);
    return EXIT.ok;
  }
  // Everything that can be checked without a host is checked before any host is contacted;
  // what that prepared is handed to each host's first round trip (not needed for a syntax check).
  const preflight = args['syntax-check'] ? undefined : new PreflightHandoff();
  validateBeforeContact({ inventory, playbook, extraVars, limit: args.limit, selectHosts, handoff: preflight });
  if (args['syntax-check']) {
    const tasks = playbook.plays.reduce((n, p) => n + p.tasks.length + (p.preTasks?.length ?? 0) + p.roles.reduce((m, r) => m + r.role.tasks.length, 0), 0);
    process.stdout.write(`playbook: ${playbook.file}: OK (${playbook.plays.length} plays, ${tasks} tasks, ${inventory.hosts.size} hosts in the inventory)\n`);
    return EXIT.ok;
  }
  if (args.step) {
    const io = terminalIO(process.stdin, process.stderr);
    try {
      playbook = await stepThrough(playbook, { tags, skipTags }, io, process.stderr);
    } finally {
      io.close();
    }
  }
  const redactor = new Redactor();
  for (const s of [...inventory.warnings, ...(playbook.warnings ?? [])]) process.stderr.write(redactor.redact(`warning: ${s}\n`));
  const log = openLog(settings, redactor);
  const tty = Boolean(process.stdout.isTTY) && !args.json;
  const reporter = createReporter({ json: args.json, tty, diff: args.diff, color: colorFor(settings, tty), out: process.stdout, err: process.stderr, redactor });
  // First Ctrl-C: `stop` (nothing new starts, tasks in flight finish and report). Second:
  // `ac` (connections close, tasks in flight end with an unknown outcome, the recap is printed).
  // Third: quit at once.
  const stop = new AbortController();
  const ac = new AbortController();
  // Every host's connection listens on this one signal: hundreds of listeners are expected.
  setMaxListeners(0, ac.signal);
  setMaxListeners(0, stop.signal);
  let sigints = 0;
  const onSigint = (): void => {
    sigints++;
    if (sigints > 2) process.exit(EXIT.interrupted);
    if (sigints === 1) {
      process.stderr.write('\ninterrupted: no new task starts; the tasks in flight finish, then the recap (Ctrl-C again to abort them)\n');
      stop.abort();
    } else {
      process.stderr.write('\naborting: connections closed; the tasks in flight have an unknown outcome (Ctrl-C again to quit without a recap)\n');
      ac.abort();
    }
  };
  process.on('SIGINT', onSigint);
  const lockTimeout = Number(args['lock-timeout'] ?? 600);
  if (!Number.isFinite(lockTimeout) || lockTimeout < 0) throw new ConfigError('command line', undefined, undefined, `--lock-timeout: expected a number of seconds >= 0, got ${String(args['lock-timeout'])}`);
  const dump = process.env.FLEET_DUMP_PROBE;
  try {
    const recap = await run({
      mode,
      inventory,
      playbook,
      limit: args.limit,
      tags,
      skipTags,
      forks: settings.value<number>('forks'),
      extraVars,
      diff: args.diff,
      acceptNewHostKeys: args['accept-new-hostkeys'],
      emit: (e) => {
        reporter.onEvent(e);
        log?.onEvent(e);
      },
      signal: ac.signal,
      stop: stop.signal,
      lock: { wait: args.wait !== false, timeoutMs: lockTimeout * 1000, owner: ownerDescription(mode) },
      redactor,
      dumpProbe: dump ? (script) => dumpProbe(dump, script) : undefined,
      // -v/-vv/-vvv (or FLEET_TRACE=N): on stderr; report/ renders the events.
      verbosity,
      preflight,
      deps: { selectHosts, setHostVar },
    });
    if (recap.interrupted) return EXIT.interrupted;
    const counts = Object.values(recap.hosts);
    if (counts.some((c) => c.failed > 0 || c.unreachable > 0 || (c.unknown ?? 0) > 0)) return EXIT.failed;
    if (mode === 'check' && counts.some((c) => c.changed > 0)) return EXIT.changes;
    return EXIT.ok;
  } finally {
    // Closed before any error is printed: the live view holds the terminal until then.
    await reporter.close();
    log?.close();
    process.off('SIGINT', onSigint);
  }
}

/** FLEET_TRACE=N is N times -v (FLEET_TRACE=1 was the only level before -v existed). */
function traceLevel(env: string | undefined): number {
  if (!env) return 0;
  const n = Number(env);
  return Number.isInteger(n) && n >= 0 ? Math.min(n, 3) : 1;
}

/** The script is what the host gets, secrets included (file bodies, values in probes): it is
 * written for the owner only, and the operator is told. */
function dumpProbe(file: string, script: string): void {
  writeFileSync(file, script, { mode: 0o600 });
  chmodSync(file, 0o600);
  process.stderr.write(`warning: FLEET_DUMP_PROBE: ${file} holds the first script sent to a host, secrets included (mode 0600); delete it when done\n`);
}

export function convergeCommand(mode: 'apply' | 'check'): CommandModule<object, ConvergeArgs> {
  const doc = convergeDocs.find((d) => d.name === mode)!;
  return {
    command: `${mode} [playbook]`,
    describe: doc.summary,
    builder: (y) => applyOptions(y.positional('playbook', { type: 'string', describe: 'playbook to run' }), doc.options) as never,
    handler: async (args) => {
      process.exitCode = await converge(mode, args);
    },
  };
}
