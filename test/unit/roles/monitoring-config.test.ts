// The monitoring role's generated files, rendered from the role's own defaults and an
// inventory: scrape targets and probes computed from the hosts, thresholds from variables,
// Prometheus' own {{ $labels }} templates kept for Prometheus, notifications as configured.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { renderString, renderTemplateFile } from '../../../src/template/index.js';

const ROLE = path.resolve(import.meta.dirname, '../../../roles/monitoring');
const role = YAML.parse(fs.readFileSync(path.join(ROLE, 'role.yml'), 'utf8')) as { variables: { properties: Record<string, { default?: unknown }> } };
const defaults = Object.fromEntries(Object.entries(role.variables.properties).map(([k, v]) => [k, v.default]));
const origin = { file: 'test', line: 1, col: 1 };

type Ctx = Record<string, unknown>;

function context(over: Ctx = {}): Ctx {
  const hostvars = {
    m1: { ansible_host: '192.0.2.1' },
    w1: { ansible_host: '192.0.2.2' },
    v6: { ansible_host: '2001:db8::3' },
    hidden: { ansible_host: 'abcdefghijklmnopabcdefghijklmnopabcdefghijklmnopabcd.onion' },
  };
  return {
    ...defaults,
    monitoring_server: 'm1',
    inventory_hostname: 'm1',
    groups: { all: ['m1', 'w1', 'v6', 'hidden'], managers: ['m1'], workers: ['w1'] },
    hostvars,
    ...over,
  };
}

const render = (file: string, ctx: Ctx): unknown => YAML.parse(renderTemplateFile(path.join(ROLE, 'templates', file), ctx));

interface ScrapeConfig {
  job_name: string;
  params?: { module: string[] };
  static_configs: { targets: string[]; labels: Record<string, string> }[];
  relabel_configs?: unknown[];
}

describe('monitoring: the monitoring host', () => {
  const expr = defaults.monitoring_server as string;
  const server = (groups: Ctx) => renderString(expr, { ...defaults, groups }, origin);

  it('is the first host of the monitoring group, else the first manager, else none', () => {
    expect(server({ all: ['a', 'b', 'c'], monitoring: ['c', 'b'], managers: ['a'] })).toBe('c');
    expect(server({ all: ['a', 'b'], monitoring: [], managers: ['b', 'a'] })).toBe('b');
    expect(server({ all: ['a', 'b'], managers: ['b'] })).toBe('b');
    expect(server({ all: ['a'] })).toBe('');
  });

  it('the firewall role computes it the same way (its default is the same expression)', () => {
    const fw = YAML.parse(fs.readFileSync(path.resolve(ROLE, '../firewall/role.yml'), 'utf8')) as typeof role;
    expect(fw.variables.properties.monitoring_server.default).toBe(expr);
    expect(fw.variables.properties.monitoring_node_exporter_port.default).toBe(defaults.monitoring_node_exporter_port);
  });
});

describe('monitoring: prometheus.yml', () => {
  const cfg = (over: Ctx = {}) => render('prometheus.yml.j2', context(over)) as { global: Ctx; rule_files: string[]; scrape_configs: ScrapeConfig[] };
  const job = (c: ReturnType<typeof cfg>, name: string) => c.scrape_configs.find((j) => j.job_name === name);

  it('scrapes node exporter on every inventory host with an address (onion-only hosts left out, IPv6 bracketed)', () => {
    const c = cfg();
    expect(job(c, 'node')?.static_configs).toEqual([
      { targets: ['192.0.2.1:9100'], labels: { host: 'm1' } },
      { targets: ['192.0.2.2:9100'], labels: { host: 'w1' } },
      { targets: ['[2001:db8::3]:9100'], labels: { host: 'v6' } },
    ]);
    expect(c.rule_files).toEqual(['/etc/prometheus/fleet-rules.yml']);
    expect(c.global.scrape_interval).toBe('30s');
  });

  it('pings every host through the blackbox exporter on loopback, labelled with the host', () => {
    const icmp = job(cfg(), 'icmp');
    expect(icmp?.params).toEqual({ module: ['icmp'] });
    expect(icmp?.static_configs.map((s) => [s.targets[0], s.labels.host])).toEqual([
      ['192.0.2.1', 'm1'],
      ['192.0.2.2', 'w1'],
      ['2001:db8::3', 'v6'],
    ]);
    expect(icmp?.relabel_configs).toContainEqual({ target_label: '__address__', replacement: '127.0.0.1:9115' });
    expect(job(cfg({ monitoring_icmp: false }), 'icmp')).toBeUndefined();
  });

  it('TCP probes go to the hosts named (default all) or an outside address; HTTP probes name the inventory host the URL points at', () => {
    const c = cfg({
      monitoring_tcp_probes: [
        { name: 'smtp', port: 587, hosts: ['w1'] },
        { name: 'matrix', port: 8448, address: 'example.org', tls: true },
      ],
      monitoring_http_probes: [
        { name: 'chat', url: 'https://192.0.2.2/login', expect: 'Rocket\\.Chat' },
        { name: 'outside', url: 'https://example.org:8443/', expect: '' },
        { name: 'named', url: 'https://chat.example.org/', expect: '', host: 'm1' },
      ],
    });
    expect(job(c, 'tcp_smtp')?.static_configs).toEqual([{ targets: ['192.0.2.2:587'], labels: { host: 'w1', probe: 'smtp' } }]);
    expect(job(c, 'tcp_matrix')?.params).toEqual({ module: ['tcp_tls'] });
    expect(job(c, 'tcp_matrix')?.static_configs).toEqual([{ targets: ['example.org:8448'], labels: { host: 'example.org', probe: 'matrix' } }]);
    expect(job(c, 'http_chat')?.static_configs).toEqual([{ targets: ['https://192.0.2.2/login'], labels: { host: 'w1', probe: 'chat' } }]);
    expect(job(c, 'http_chat')?.params).toEqual({ module: ['http_chat'] });
    expect(job(c, 'http_outside')?.static_configs[0].labels.host).toBe('example.org');
    expect(job(c, 'http_named')?.static_configs[0].labels.host).toBe('m1');
  });
});

describe('monitoring: blackbox.yml', () => {
  it('has one http module per HTTP probe, with the text the body must contain', () => {
    const b = render('blackbox.yml.j2', context({ monitoring_http_probes: [{ name: 'chat', url: 'https://x/', expect: 'Rocket\\.Chat "x"', insecure: true }, { name: 'any', url: 'https://y/' }] })) as {
      modules: Record<string, { prober: string; http?: Ctx }>;
    };
    expect(Object.keys(b.modules).sort()).toEqual(['http_any', 'http_chat', 'icmp', 'tcp_connect', 'tcp_tls']);
    expect(b.modules.http_chat.http?.fail_if_body_not_matches_regexp).toEqual(['Rocket\\.Chat "x"']);
    expect(b.modules.http_chat.http?.tls_config).toEqual({ insecure_skip_verify: true });
    expect(b.modules.http_any.http?.fail_if_body_not_matches_regexp).toBeUndefined();
  });
});

describe('monitoring: alert rules', () => {
  type Rules = { groups: { name: string; rules: { alert: string; expr: string; for?: string; annotations: Ctx }[] }[] };
  const rules = (over: Ctx = {}) => render('fleet-rules.yml.j2', context(over)) as Rules;
  const rule = (r: Rules, name: string) => r.groups.flatMap((g) => g.rules).find((x) => x.alert === name);

  it('has every default alert, its threshold and duration from the variables', () => {
    const r = rules({ monitoring_disk_percent: 90, monitoring_down_for: '7s', monitoring_cert_days: 21, monitoring_memory_available_percent: 5 });
    expect(r.groups[0].rules.map((x) => x.alert)).toEqual([
      'TargetDown',
      'ProbeFailing',
      'DiskFull',
      'MemoryPressure',
      'CertificateExpiring',
      'BackupTooOld',
      'BackupMissing',
      'BackupFailed',
      'SwarmNodeNotReady',
      'SwarmServiceUnderReplicated',
      'MetricsStale',
    ]);
    expect(rule(r, 'ProbeFailing')).toMatchObject({ expr: 'probe_success == 0', for: '7s' });
    expect(rule(r, 'DiskFull')?.expr).toMatch(/\* 100 > 90$/);
    expect(rule(r, 'DiskFull')?.expr).toContain('mountpoint!~"^/(dev|proc|sys|run)($|/)"');
    expect(rule(r, 'CertificateExpiring')?.expr).toBe('probe_ssl_earliest_cert_expiry - time() < 21 * 86400');
    expect(rule(r, 'MemoryPressure')?.expr).toMatch(/< 5$/);
    expect(rule(r, 'BackupTooOld')?.expr).toBe('time() - fleet_backup_last_snapshot_timestamp_seconds > fleet_backup_max_age_seconds');
    expect(rule(r, 'SwarmServiceUnderReplicated')?.expr).toBe('fleet_swarm_service_replicas_running < fleet_swarm_service_replicas_desired');
    // Prometheus' own templates reach Prometheus untouched.
    expect(rule(r, 'ProbeFailing')?.annotations.summary).toBe('probe {{ $labels.probe }} of {{ $labels.host }} fails ({{ $labels.instance }})');
  });

  it("appends the operator's extra rules as written", () => {
    const extra = { alert: 'ChatSlow', expr: 'probe_duration_seconds{probe="chat"} > 2', for: '1m', labels: { severity: 'warning' } };
    const r = rules({ monitoring_extra_rules: [extra] });
    expect(r.groups[1]).toEqual({ name: 'fleet-extra', rules: [extra] });
    expect(rules().groups).toHaveLength(1);
  });
});

describe('monitoring: alertmanager.yml', () => {
  type Am = { global: Ctx; route: Ctx; receivers: { name: string; webhook_configs?: Ctx[]; email_configs?: Ctx[] }[] };
  const am = (over: Ctx = {}) => render('alertmanager.yml.j2', context(over)) as Am;

  it('posts to every webhook, firing and resolved', () => {
    const a = am({ monitoring_webhooks: ['http://hook.example/a', 'https://hook.example/b'] });
    expect(a.receivers[0].webhook_configs).toEqual([
      { url: 'http://hook.example/a', send_resolved: true },
      { url: 'https://hook.example/b', send_resolved: true },
    ]);
    expect(a.receivers[0].email_configs).toBeUndefined();
    expect(a.global.smtp_smarthost).toBeUndefined();
  });

  it('mails through the relay, the password from the secrets store unless set', () => {
    const secrets = { monitoring_smtp_password: 's3cret"pw' };
    const a = am({ monitoring_email_to: ['ops@example.org'], monitoring_smtp_smarthost: 'mail.example.org:587', monitoring_smtp_username: 'alerts', secrets });
    expect(a.global).toMatchObject({ smtp_smarthost: 'mail.example.org:587', smtp_from: 'alertmanager@m1', smtp_auth_username: 'alerts', smtp_auth_password: 's3cret"pw', smtp_require_tls: true });
    expect(a.receivers[0].email_configs).toEqual([{ to: 'ops@example.org', send_resolved: true }]);
    const own = am({ monitoring_email_to: ['ops@example.org'], monitoring_smtp_smarthost: 'mail.example.org:587', monitoring_smtp_username: 'alerts', monitoring_smtp_password: 'mine', secrets });
    expect(own.global.smtp_auth_password).toBe('mine');
    // No username: no login, and the secrets store is never read.
    expect(am({ monitoring_email_to: ['ops@example.org'], monitoring_smtp_smarthost: 'mail.example.org:25' }).global.smtp_auth_password).toBeUndefined();
  });
});
