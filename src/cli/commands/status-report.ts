// What `fleet status` makes of the answers of Prometheus and Alertmanager on the monitoring
// host: the script that asks them (curl on the host, over fleet's own SSH connection: no
// port is opened to the controller), then pure parsing, judging and formatting, unit-tested.
import { formatAge, formatTable } from './backup-status.js';

/** The queries, one answer a line: NAME<TAB>the API's JSON (or ERROR<TAB>why). */
export const STATUS_QUERIES: Record<string, string> = {
  up: 'http://127.0.0.1:9090/api/v1/query?query=up',
  probes: 'http://127.0.0.1:9090/api/v1/query?query=probe_success',
  backups: 'http://127.0.0.1:9090/api/v1/query?query=fleet_backup_last_snapshot_timestamp_seconds',
  backupsConfigured: 'http://127.0.0.1:9090/api/v1/query?query=fleet_backup_configured',
  swarm: 'http://127.0.0.1:9090/api/v1/query?query=fleet_swarm_node_ready',
  now: 'http://127.0.0.1:9090/api/v1/query?query=time()',
  alerts: 'http://127.0.0.1:9093/api/v2/alerts?active=true&silenced=false&inhibited=false',
};

export function statusScript(): string {
  const lines = [
    'command -v curl >/dev/null 2>&1 || { echo "curl is missing on the monitoring host (apply the monitoring role)" >&2; exit 3; }',
  ];
  for (const [name, url] of Object.entries(STATUS_QUERIES)) {
    // -f: an HTTP error is an error; one line per answer (the APIs answer on one line).
    lines.push(
      `if out=$(curl -fsS --max-time 10 '${url}' 2>&1); then printf '%s\\t%s\\n' ${name} "$(printf '%s' "$out" | tr -d '\\n')"; else printf 'ERROR\\t%s: %s\\n' ${name} "$(printf '%s' "$out" | tr -d '\\n')"; fi`,
    );
  }
  return lines.join('\n') + '\n';
}

interface Sample {
  metric: Record<string, string>;
  value: number;
}

export interface FiringAlert {
  name: string;
  labels: Record<string, string>;
  summary: string;
  since: string;
}

export interface MonitoringAnswers {
  up: Sample[];
  probes: Sample[];
  backups: Sample[];
  backupsConfigured: Sample[];
  swarm: Sample[];
  now: number;
  alerts: FiringAlert[];
}

/** The script's output -> the answers; a query that failed, or an answer that is not what
 * the API documents, is an error naming it (never an empty, healthy-looking screen). */
export function parseAnswers(text: string): MonitoringAnswers {
  const byName = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const tab = line.indexOf('\t');
    const [name, body] = tab < 0 ? [line, ''] : [line.slice(0, tab), line.slice(tab + 1)];
    if (name === 'ERROR') throw new Error(`the monitoring host could not answer ${body}`);
    byName.set(name, body);
  }
  const json = (name: string): unknown => {
    const body = byName.get(name);
    if (body === undefined) throw new Error(`no answer to the query '${name}'`);
    try {
      return JSON.parse(body);
    } catch {
      throw new Error(`the answer to '${name}' is not JSON: ${body.slice(0, 200)}`);
    }
  };
  const vector = (name: string): Sample[] => {
    const d = json(name) as {
      status?: string;
      data?: { resultType?: string; result?: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (d.status !== 'success' || d.data?.resultType !== 'vector' || !Array.isArray(d.data.result))
      throw new Error(`Prometheus' answer to '${name}' is not a vector`);
    return d.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };
  const scalar = json('now') as { status?: string; data?: { resultType?: string; result?: [number, string] } };
  if (scalar.status !== 'success' || scalar.data?.resultType !== 'scalar' || !scalar.data.result)
    throw new Error("Prometheus' answer to 'now' is not a scalar");
  const alerts = json('alerts');
  if (!Array.isArray(alerts)) throw new Error("Alertmanager's answer to 'alerts' is not a list");
  return {
    up: vector('up'),
    probes: vector('probes'),
    backups: vector('backups'),
    backupsConfigured: vector('backupsConfigured'),
    swarm: vector('swarm'),
    now: Number(scalar.data.result[1]),
    alerts: (
      alerts as { labels?: Record<string, string>; annotations?: Record<string, string>; startsAt?: string; status?: { state?: string } }[]
    )
      .filter((a) => (a.status?.state ?? 'active') === 'active')
      .map((a) => ({
        name: a.labels?.alertname ?? '?',
        labels: a.labels ?? {},
        summary: a.annotations?.summary ?? '',
        since: a.startsAt ?? '',
      })),
  };
}

export interface HostStatus {
  host: string;
  /** node exporter scraped: true, down: false, not a target: undefined. */
  reachable?: boolean;
  failingProbes: string[];
  alerts: string[];
  lastBackupAge?: number;
  backupsConfigured: boolean;
}

export interface StatusReport {
  hosts: HostStatus[];
  /** Firing alerts that concern the selected hosts (or no host in particular). */
  firing: FiringAlert[];
  swarmNotReady: string[];
}

/** Whether an alert concerns the selected hosts: by its host label, else its swarm node
 * label. One naming no inventory host (a probe of an address outside the inventory, a rule
 * of the operator's) concerns everyone: never hidden by a pattern. */
function concerns(a: FiringAlert, selected: Set<string>, inventoryHosts: Set<string>): boolean {
  const who = a.labels.host ?? a.labels.node;
  return who === undefined || !inventoryHosts.has(who) || selected.has(who);
}

/** hosts: the selected ones, in order; inventoryHosts: every host of the inventory. */
export function buildReport(ans: MonitoringAnswers, hosts: string[], inventoryHosts: Iterable<string>): StatusReport {
  const selected = new Set(hosts);
  const known = new Set(inventoryHosts);
  const firing = ans.alerts.filter((a) => concerns(a, selected, known));
  const rows = hosts.map((host): HostStatus => {
    const node = ans.up.find((s) => s.metric.job === 'node' && s.metric.host === host);
    const snap = ans.backups.find((s) => s.metric.host === host);
    return {
      host,
      reachable: node ? node.value === 1 : undefined,
      failingProbes: ans.probes.filter((s) => s.metric.host === host && s.value === 0).map((s) => s.metric.probe ?? s.metric.job ?? '?'),
      alerts: firing.filter((a) => (a.labels.host ?? a.labels.node) === host).map((a) => a.name),
      lastBackupAge: snap ? Math.max(0, ans.now - snap.value) : undefined,
      backupsConfigured: ans.backupsConfigured.some((s) => s.metric.host === host && s.value === 1),
    };
  });
  const swarmNotReady = ans.swarm.filter((s) => s.value === 0 && selected.has(s.metric.node ?? '')).map((s) => s.metric.node);
  return { hosts: rows, firing, swarmNotReady };
}

export function formatReport(r: StatusReport, monitoringHost: string): string {
  const rows: string[][] = [['HOST', 'REACHABLE', 'FAILING PROBES', 'FIRING', 'LAST BACKUP']];
  for (const h of r.hosts) {
    const reach = h.reachable === undefined ? 'not monitored' : h.reachable ? 'yes' : 'NO';
    const backup = h.lastBackupAge !== undefined ? `${formatAge(h.lastBackupAge)} ago` : h.backupsConfigured ? 'none yet' : '-';
    rows.push([h.host, reach, h.failingProbes.join(', ') || '-', h.alerts.join(', ') || '-', backup]);
  }
  let out = formatTable(rows);
  if (r.swarmNotReady.length) out += `swarm nodes not Ready: ${r.swarmNotReady.join(', ')}\n`;
  if (r.firing.length === 0) out += `no alert firing (monitoring host ${monitoringHost})\n`;
  else {
    out += `${r.firing.length} alert${r.firing.length === 1 ? '' : 's'} firing (monitoring host ${monitoringHost}):\n`;
    for (const a of r.firing)
      out += `  ${a.name}${a.labels.host ? ` ${a.labels.host}` : ''}: ${a.summary || JSON.stringify(a.labels)}${a.since ? ` (since ${a.since})` : ''}\n`;
  }
  return out;
}

export function reportJson(r: StatusReport, monitoringHost: string): object {
  return { monitoring_host: monitoringHost, ok: r.firing.length === 0, hosts: r.hosts, firing: r.firing, swarm_not_ready: r.swarmNotReady };
}
