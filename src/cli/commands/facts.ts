// `fleet facts [PATTERN]`: the facts fleet gathers in its first round trip (the engine's own
// probe and parser), fresh from the hosts; they also refresh the facts cache.
import type { CommandModule } from 'yargs';
import { setMaxListeners } from 'node:events';
import { stringify } from 'yaml';
import { loadInventory, selectHosts } from '../../config/index.js';
import { FACTS_PROBE, factsForTemplates, parseFacts } from '../../engine/facts.js';
import { saveCachedFacts } from '../../engine/last-run.js';
import { createStyle, Redactor, terminalSafe } from '../../report/index.js';
import { colorFor, effectiveSettings, type SettingFlags } from '../context.js';
import { openLog } from '../event-log.js';
import { EXIT } from '../exit-codes.js';
import { learnSecrets, onHosts } from '../on-hosts.js';
import { ACCEPT_NEW, COLOR, FORKS, INVENTORY, LOG_FILE, LOG_MAX_SIZE } from '../options.js';
import { applyOptions, type CommandDoc } from '../spec.js';

interface Args extends SettingFlags {
  pattern: string;
  inventory: string[];
  json: boolean;
  'accept-new-hostkeys': boolean;
}

export const factsDoc: CommandDoc = {
  name: 'facts',
  usage: 'fleet facts [PATTERN] [--json]',
  summary: 'the facts templates see as `facts.*` (OS, arch, addresses, memory...), gathered fresh from the hosts (default pattern `all`)',
  options: [
    INVENTORY,
    { name: 'json', type: 'boolean', default: false, describe: 'one JSON object on stdout: host -> facts' },
    FORKS,
    ACCEPT_NEW,
    LOG_FILE,
    LOG_MAX_SIZE,
    COLOR,
  ],
  details: 'Hosts that cannot be reached are named on stderr, and the exit status is 1.',
};

async function facts(args: Args): Promise<number> {
  const settings = effectiveSettings(args);
  const inventory = loadInventory(settings.value<string[]>('inventory'));
  for (const w of inventory.warnings) process.stderr.write(`warning: ${w}\n`);
  const hosts = selectHosts(inventory, args.pattern, { file: 'command line (PATTERN)' });
  const redactor = new Redactor();
  learnSecrets(inventory, hosts, redactor);
  const log = openLog(settings, redactor);
  const style = createStyle(!args.json && colorFor(settings, Boolean(process.stdout.isTTY)));
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  const onSigint = () => ac.abort();
  process.on('SIGINT', onSigint);
  const gathered: Record<string, Record<string, unknown>> = {};
  let failed = 0;
  try {
    log?.onEvent({ type: 'run', mode: 'facts', hosts } as { type: string });
    const outcomes = await onHosts({
      inventory,
      hosts,
      script: FACTS_PROBE,
      forks: settings.value<number>('forks'),
      become: false,
      acceptNewHostKeys: args['accept-new-hostkeys'],
      signal: ac.signal,
      onDone: () => undefined,
    });
    for (const o of outcomes) {
      if (o.status !== 'ok') {
        failed++;
        process.stderr.write(style.red(terminalSafe(redactor.redact(`${o.host} | ${o.status.toUpperCase()} | ${o.msg || o.stderr.trim() || `rc=${o.rc}`}`))) + '\n');
        log?.onEvent({ type: 'facts', host: o.host, status: o.status, msg: o.msg } as { type: string });
        continue;
      }
      const host = inventory.hosts.get(o.host)!;
      const f = parseFacts(o.stdout);
      saveCachedFacts(o.host, host.connection, f);
      gathered[o.host] = factsForTemplates(f);
      log?.onEvent({ type: 'facts', host: o.host, status: 'ok', facts: gathered[o.host] } as { type: string });
    }
  } finally {
    log?.close();
    process.off('SIGINT', onSigint);
  }
  if (args.json) process.stdout.write(JSON.stringify(redactor.redactEvent(gathered), null, 2) + '\n');
  else {
    for (const [h, f] of Object.entries(gathered)) {
      process.stdout.write(style.bold(h) + '\n' + terminalSafe(redactor.redact(stringify(f))).replace(/^/gm, '  ').replace(/ {2}$/, ''));
    }
  }
  if (ac.signal.aborted) return EXIT.interrupted;
  return failed ? EXIT.failed : EXIT.ok;
}

export const factsCommand: CommandModule<object, Args> = {
  command: 'facts [pattern]',
  describe: factsDoc.summary,
  builder: (y) => applyOptions(y.positional('pattern', { type: 'string', default: 'all', describe: 'hosts: a host, group, glob or pattern' }), factsDoc.options) as never,
  handler: async (args) => {
    process.exitCode = await facts(args);
  },
};
