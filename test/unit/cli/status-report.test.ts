// `fleet status`: the answers of Prometheus and Alertmanager (as the script prints them) ->
// a report per host; a failed or malformed answer is an error, never a healthy screen.
import { describe, expect, it } from 'vitest';
import { monitoringHostOf } from '../../../src/cli/commands/status.js';
import { buildReport, formatReport, parseAnswers, statusScript, STATUS_QUERIES } from '../../../src/cli/commands/status-report.js';
import type { Inventory } from '../../../src/model/inventory.js';

const vector = (rows: [Record<string, string>, string][]) =>
  JSON.stringify({ status: 'success', data: { resultType: 'vector', result: rows.map(([metric, v]) => ({ metric, value: [1000, v] })) } });

function answers(over: Partial<Record<keyof typeof STATUS_QUERIES, string>> = {}): string {
  const a: Record<string, string> = {
    up: vector([
      [{ job: 'node', host: 'a' }, '1'],
      [{ job: 'node', host: 'b' }, '0'],
      [{ job: 'prometheus', host: 'a' }, '1'],
    ]),
    probes: vector([
      [{ job: 'http_web', host: 'a', probe: 'web' }, '0'],
      [{ job: 'icmp', host: 'a', probe: 'icmp' }, '1'],
      [{ job: 'icmp', host: 'b', probe: 'icmp' }, '0'],
    ]),
    backups: vector([[{ host: 'a' }, String(1_000_000 - 7200)]]),
    backupsConfigured: vector([
      [{ host: 'a' }, '1'],
      [{ host: 'b' }, '1'],
    ]),
    swarm: vector([
      [{ node: 'a' }, '1'],
      [{ node: 'b' }, '0'],
    ]),
    now: JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1_000_000, '1000000'] } }),
    alerts: JSON.stringify([
      {
        labels: { alertname: 'ProbeFailing', host: 'a', probe: 'web' },
        annotations: { summary: 'probe web of a fails' },
        startsAt: '2026-01-01T00:00:00Z',
        status: { state: 'active' },
      },
      {
        labels: { alertname: 'TargetDown', host: 'b', job: 'node' },
        annotations: { summary: 'b: node cannot be scraped' },
        startsAt: '2026-01-01T00:00:00Z',
        status: { state: 'active' },
      },
      {
        labels: { alertname: 'ProbeFailing', host: 'example.org', probe: 'outside' },
        annotations: { summary: 'probe outside fails' },
        status: { state: 'active' },
      },
      { labels: { alertname: 'Old', host: 'a' }, status: { state: 'suppressed' } },
    ]),
    ...over,
  };
  return Object.entries(a)
    .map(([k, v]) => `${k}\t${v}\n`)
    .join('');
}

describe('fleet status: the report', () => {
  it('per host: node exporter reachable, failing probes, firing alerts, last backup age', () => {
    const r = buildReport(parseAnswers(answers()), ['a', 'b', 'c'], ['a', 'b', 'c']);
    expect(r.hosts).toEqual([
      { host: 'a', reachable: true, failingProbes: ['web'], alerts: ['ProbeFailing'], lastBackupAge: 7200, backupsConfigured: true },
      { host: 'b', reachable: false, failingProbes: ['icmp'], alerts: ['TargetDown'], lastBackupAge: undefined, backupsConfigured: true },
      { host: 'c', reachable: undefined, failingProbes: [], alerts: [], lastBackupAge: undefined, backupsConfigured: false },
    ]);
    expect(r.firing.map((a) => `${a.name} ${a.labels.host}`)).toEqual(['ProbeFailing a', 'TargetDown b', 'ProbeFailing example.org']);
    expect(r.swarmNotReady).toEqual(['b']);
    const text = formatReport(r, 'a');
    expect(text).toMatch(/^a\s+yes\s+web\s+ProbeFailing\s+2h ago$/m);
    expect(text).toMatch(/^b\s+NO\s+icmp\s+TargetDown\s+none yet$/m);
    expect(text).toMatch(/^c\s+not monitored\s+-\s+-\s+-$/m);
    expect(text).toContain('swarm nodes not Ready: b');
    expect(text).toContain('3 alerts firing (monitoring host a):');
    expect(text).toContain('  ProbeFailing a: probe web of a fails (since 2026-01-01T00:00:00Z)');
  });

  it("a pattern hides other inventory hosts' alerts, never those of addresses outside the inventory", () => {
    const r = buildReport(parseAnswers(answers()), ['c'], ['a', 'b', 'c']);
    expect(r.firing.map((a) => `${a.name} ${a.labels.host}`)).toEqual(['ProbeFailing example.org']);
    expect(r.swarmNotReady).toEqual([]);
  });

  it('nothing firing says so', () => {
    const r = buildReport(parseAnswers(answers({ alerts: '[]' })), ['a'], ['a', 'b']);
    expect(r.firing).toEqual([]);
    expect(formatReport(r, 'a')).toContain('no alert firing (monitoring host a)');
  });

  it('a query the host could not answer, a missing answer or a malformed one is an error', () => {
    expect(() => parseAnswers(answers() + 'ERROR\talerts: curl: (7) Failed to connect to 127.0.0.1 port 9093\n')).toThrow(
      /could not answer alerts: curl: \(7\)/,
    );
    expect(() => parseAnswers(answers().replace(/^swarm\t.*\n/m, ''))).toThrow(/no answer to the query 'swarm'/);
    expect(() => parseAnswers(answers({ up: '<html>' }))).toThrow(/'up' is not JSON/);
    expect(() => parseAnswers(answers({ up: JSON.stringify({ status: 'error' }) }))).toThrow(/'up' is not a vector/);
    expect(() => parseAnswers(answers({ alerts: '{}' }))).toThrow(/'alerts' is not a list/);
  });

  it('the script asks every query with curl on the host, one line per answer', () => {
    const s = statusScript();
    for (const [name, url] of Object.entries(STATUS_QUERIES)) {
      expect(s).toContain(`curl -fsS --max-time 10 '${url}'`);
      expect(s).toContain(` ${name} "$(`);
    }
    expect(Object.values(STATUS_QUERIES).every((u) => u.startsWith('http://127.0.0.1:'))).toBe(true);
  });
});

describe('fleet status: the monitoring host', () => {
  const inv = (groups: Record<string, string[]>, vars: Record<string, Record<string, unknown>> = {}): Inventory => {
    const names = [...new Set(Object.values(groups).flat())];
    return {
      hosts: new Map(
        names.map((n) => [
          n,
          {
            name: n,
            groups: ['all', ...Object.keys(groups).filter((g) => groups[g].includes(n))],
            vars: vars[n] ?? {},
            varSources: Object.fromEntries(
              Object.keys(vars[n] ?? {}).map((k) => [k, { source: { file: 'inventory/hosts.yml', line: 7, column: 9 }, shadowed: [] }]),
            ),
          },
        ]),
      ),
      sources: ['inventory/hosts.yml'],
      groups: new Map([
        ['all', { name: 'all', hosts: names, children: [], vars: {} }],
        ...Object.entries(groups).map(([g, hs]) => [g, { name: g, hosts: hs, children: [], vars: {} }] as const),
      ]),
    } as unknown as Inventory;
  };

  it('is the flag, else monitoring_server, else the first of group monitoring, else of managers', () => {
    expect(monitoringHostOf(inv({ monitoring: ['m'], managers: ['a'] }), 'a')).toBe('a');
    expect(monitoringHostOf(inv({ monitoring: ['m'], managers: ['a'], workers: ['w'] }, { w: { monitoring_server: 'w' } }))).toBe('w');
    expect(monitoringHostOf(inv({ monitoring: ['m', 'n'], managers: ['a'] }))).toBe('m');
    expect(monitoringHostOf(inv({ managers: ['a', 'b'] }))).toBe('a');
  });

  it('none, or one outside the inventory, is refused naming what to do', () => {
    expect(() => monitoringHostOf(inv({ workers: ['w'] }))).toThrow(/no monitoring host.*--monitoring-host/);
    expect(() => monitoringHostOf(inv({ workers: ['w'] }), 'x')).toThrow(/'x' is not in the inventory/);
  });

  it('blames the inventory, not the command line, when the inventory is what lacks it', () => {
    // review9: "command line: no monitoring host..." though nothing on the command line was wrong.
    const none = () => monitoringHostOf(inv({ workers: ['w'] }));
    expect(none).toThrow(/^inventory\/hosts\.yml: no monitoring host: the inventory has no host in group monitoring or managers/);
    const grouped = () => monitoringHostOf(inv({ workers: ['w'] }, { w: { monitoring_group: 'mon', swarm_manager_group: 'mgr' } }));
    expect(grouped).toThrow(/no host in group mon or mgr /);
    const named = () => monitoringHostOf(inv({ workers: ['w'] }, { w: { monitoring_server: 'gone' } }));
    expect(named).toThrow(/^inventory\/hosts\.yml:7:9: monitoring_server names 'gone', which is not in the inventory/);
    expect(() => monitoringHostOf(inv({ workers: ['w'] }), 'x')).toThrow(/^command line \(--monitoring-host\): /);
  });
});
