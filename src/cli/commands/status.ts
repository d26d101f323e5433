// `fleet status [PATTERN]`: one screen of the fleet's health as the monitoring host sees it:
// every host's reachability (node exporter scraped), failing probes, firing alerts and last
// backup, read from Prometheus and Alertmanager with curl on the monitoring host over fleet's
// own SSH connection (they listen on its loopback only). Exit 1 when an alert fires.
import { setMaxListeners } from 'node:events';
import type { Argv, CommandModule } from 'yargs';
import { loadInventory, selectHosts } from '../../config/index.js';
import { ConfigError } from '../../model/errors.js';
import type { Inventory, Source } from '../../model/inventory.js';
import { terminalSafe } from '../../report/index.js';
import { effectiveSettings, type SettingFlags } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { INVENTORY } from '../options.js';
import { applyOptions, type CommandDoc } from '../spec.js';
import { redactorFor, runOnHosts } from './backup-hosts.js';
import { buildReport, formatReport, parseAnswers, reportJson, statusScript } from './status-report.js';

export const statusDoc: CommandDoc = {
  name: 'status',
  usage: 'fleet status [PATTERN] [--monitoring-host HOST] [--json]',
  summary:
    "the fleet's health from the monitoring role's Prometheus and Alertmanager, read over SSH on the monitoring host (no port opened): per host (default all) whether node exporter is reachable, failing probes, firing alerts and the last backup's age, then every firing alert; exit 1 when an alert concerning those hosts fires or the monitoring host cannot be read",
  options: [
    INVENTORY,
    {
      name: 'monitoring-host',
      type: 'string',
      arg: 'HOST',
      describe:
        "the host running Prometheus (default: the inventory's monitoring_server, else the first host of group monitoring, else of managers)",
    },
    { name: 'json', type: 'boolean', default: false, describe: 'one JSON object on stdout' },
  ],
};

interface Args extends SettingFlags {
  pattern?: string;
  'monitoring-host'?: string;
  json: boolean;
}

const fromFlag = (msg: string): ConfigError => new ConfigError('command line (--monitoring-host)', undefined, undefined, msg);
/** An error whose cause is the inventory, not the command line: named by its file:line where a
 * variable set it, else by the files it was read from. */
const fromInventory = (inv: Inventory, msg: string, at?: Source): ConfigError =>
  new ConfigError(at?.file ?? (inv.sources.length ? inv.sources.join(', ') : 'inventory'), at?.line, at?.column, msg);

const plainString = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' && !v.includes('{{') ? v : undefined);

/** As the monitoring role computes it: monitoring_server when the inventory sets it, else the
 * first host of monitoring_group (default monitoring), else of swarm_manager_group (managers). */
export function monitoringHostOf(inv: Inventory, flag?: string): string {
  if (flag !== undefined) {
    if (!inv.hosts.has(flag)) throw fromFlag(`the monitoring host '${flag}' is not in the inventory`);
    return flag;
  }
  const setter = [...inv.hosts.values()].find((h) => plainString(h.vars.monitoring_server) !== undefined);
  if (setter) {
    const chosen = setter.vars.monitoring_server as string;
    if (!inv.hosts.has(chosen))
      throw fromInventory(
        inv,
        `monitoring_server names '${chosen}', which is not in the inventory (give --monitoring-host HOST)`,
        setter.varSources?.monitoring_server?.source,
      );
    return chosen;
  }
  const anyVar = (name: string, fallback: string): string =>
    [...inv.hosts.values()].map((h) => plainString(h.vars[name])).find((v) => v !== undefined) ?? fallback;
  const groups = [anyVar('monitoring_group', 'monitoring'), anyVar('swarm_manager_group', 'managers')];
  for (const group of groups) {
    if (!inv.groups.has(group)) continue;
    const members = selectHosts(inv, group, { file: 'inventory' });
    if (members.length) return members[0];
  }
  throw fromInventory(inv, `no monitoring host: the inventory has no host in group ${groups.join(' or ')} (give --monitoring-host HOST)`);
}

async function status(args: Args): Promise<number> {
  const settings = effectiveSettings(args);
  const inv = loadInventory(settings.value<string[]>('inventory'));
  for (const w of inv.warnings) process.stderr.write(`warning: ${w}\n`);
  const hosts = selectHosts(inv, args.pattern ?? 'all', { file: 'command line (PATTERN)' });
  const monitor = monitoringHostOf(inv, args['monitoring-host']);
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  const onSigint = () => ac.abort();
  process.on('SIGINT', onSigint);
  try {
    const redactor = redactorFor(inv, [monitor]);
    const [o] = await runOnHosts(inv, [monitor], statusScript(), { forks: 1, signal: ac.signal });
    if (ac.signal.aborted) return EXIT.interrupted;
    if ('error' in o || o.result.rc !== 0) {
      const why = 'error' in o ? o.error : (o.result.stderr || o.result.stdout).trim() || `exit ${o.result.rc}`;
      process.stderr.write(terminalSafe(redactor.redact(`fleet status: cannot read the monitoring host ${monitor}: ${why}\n`)));
      return EXIT.failed;
    }
    let report;
    try {
      report = buildReport(parseAnswers(o.result.stdout), hosts, inv.hosts.keys());
    } catch (err) {
      process.stderr.write(terminalSafe(redactor.redact(`fleet status: ${monitor}: ${(err as Error).message}\n`)));
      return EXIT.failed;
    }
    if (args.json) process.stdout.write(redactor.redact(JSON.stringify(reportJson(report, monitor))) + '\n');
    else process.stdout.write(terminalSafe(redactor.redact(formatReport(report, monitor))));
    return report.firing.length ? EXIT.failed : EXIT.ok;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export const statusCommand: CommandModule<object, Args> = {
  command: 'status [pattern]',
  describe:
    "the fleet's health from the monitoring host: reachability, failing probes, firing alerts, last backup; exit 1 when an alert fires",
  builder: (y: Argv) =>
    applyOptions(y, statusDoc.options).positional('pattern', {
      type: 'string',
      default: 'all',
      describe: 'hosts (same syntax as --limit)',
    }) as never,
  handler: async (args) => {
    process.exitCode = await status(args);
  },
};
