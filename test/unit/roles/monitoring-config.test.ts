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

interface Probe {
  job: string;
  module: string;
  module_def: { prober: string; http?: Ctx; tcp?: Ctx; dns?: Ctx } | null;
  targets: { target: string; host: string; probe: string }[];
}

describe('monitoring: probes generated from what the fleet deploys', () => {
  const probes = (over: Ctx = {}) => JSON.parse(renderTemplateFile(path.join(ROLE, 'templates', 'probes.json.j2'), context(over))) as Probe[];
  const byJob = (ps: Probe[], job: string) => ps.find((p) => p.job === job);
  const withManagerVars = (vars: Ctx, over: Ctx = {}) => {
    const hv = (context().hostvars as Record<string, Ctx>);
    return { hostvars: { ...hv, m1: { ...hv.m1, ...vars } }, ...over };
  };

  it('nothing deployed: no probe but the declared ones', () => {
    expect(probes()).toEqual([]);
    // An inventory without a swarm.
    expect(probes({ groups: { all: ['m1', 'w1'], monitoring: ['m1'] } })).toEqual([]);
  });

  it("every published TCP port of the stacks inventory, on the swarm hosts that answer it", () => {
    const stacks = [
      {
        name: 'web',
        services: {
          app: { image: 'x', ports: ['8080:80', '9000:9000/udp', '3000'] },
          api: { image: 'x', ports: [{ target: 80, published: 8081, mode: 'host' }], deploy: { placement: { constraints: ['node.hostname == w1'] } } },
          agent: { image: 'x', ports: [{ target: 9, published: 9009, mode: 'host' }], deploy: { mode: 'global' } },
          lost: { image: 'x', ports: [{ target: 1, published: 7000, mode: 'host' }], deploy: { replicas: 2 } },
        },
      },
    ];
    const ps = probes(withManagerVars({ stacks }));
    // The routing mesh: every swarm host; udp and unpublished ports are not TCP probes.
    expect(byJob(ps, 'stack_web_app_8080')?.targets).toEqual([
      { target: '192.0.2.1:8080', host: 'm1', probe: 'web_app_8080' },
      { target: '192.0.2.2:8080', host: 'w1', probe: 'web_app_8080' },
    ]);
    expect(byJob(ps, 'stack_web_app_8080')?.module).toBe('tcp_connect');
    // Host mode: where the task runs (pinned, or everywhere for a global service); unknown: not probed.
    expect(byJob(ps, 'stack_web_api_8081')?.targets.map((t) => t.host)).toEqual(['w1']);
    expect(byJob(ps, 'stack_web_agent_9009')?.targets.map((t) => t.host)).toEqual(['m1', 'w1']);
    expect(ps.map((p) => p.job).sort()).toEqual(['stack_web_agent_9009', 'stack_web_api_8081', 'stack_web_app_8080']);
    expect(probes(withManagerVars({ stacks }, { monitoring_probe_stacks: false }))).toEqual([]);
  });

  it('an HTTP probe for a stack service labelled fleet.monitoring.url, with its text', () => {
    const stacks = [
      { name: 'site', services: { www: { image: 'x', deploy: { labels: { 'fleet.monitoring.url': 'https://192.0.2.2/', 'fleet.monitoring.expect': 'Welcome' } } } } },
      { name: 'b', services: { c: { image: 'x', deploy: { labels: ['fleet.monitoring.url=http://example.org/a=b'] } } } },
    ];
    const ps = probes(withManagerVars({ stacks }));
    expect(byJob(ps, 'stack_site_www_http')).toEqual({
      job: 'stack_site_www_http',
      module: 'stack_site_www_http',
      module_def: { prober: 'http', http: { preferred_ip_protocol: 'ip4', follow_redirects: true, fail_if_body_not_matches_regexp: ['Welcome'] } },
      targets: [{ target: 'https://192.0.2.2/', host: 'w1', probe: 'site_www' }],
    });
    expect(byJob(ps, 'stack_b_c_http')?.targets).toEqual([{ target: 'http://example.org/a=b', host: 'example.org', probe: 'b_c' }]);
  });

  it("the comms role's endpoints with the text each must answer, at its address with the name as Host and TLS name", () => {
    const ps = probes(withManagerVars({ comms_domain: 'example.org', comms_tls: 'internal' }));
    const site = byJob(ps, 'comms_site');
    expect(site?.targets).toEqual([{ target: 'https://192.0.2.1:443/', host: 'm1', probe: 'site' }]);
    expect(site?.module_def?.http).toMatchObject({
      headers: { Host: 'example.org' },
      tls_config: { server_name: 'example.org', insecure_skip_verify: true },
      fail_if_body_not_matches_regexp: ['example\\.org'],
    });
    expect(byJob(ps, 'comms_matrix_client')?.targets[0].target).toBe('https://192.0.2.1:443/_matrix/client/versions');
    expect(byJob(ps, 'comms_matrix_client')?.module_def?.http?.headers).toEqual({ Host: 'matrix.example.org' });
    expect(byJob(ps, 'comms_matrix_federation')?.targets[0].target).toBe('https://192.0.2.1:8448/_matrix/federation/v1/version');
    expect(byJob(ps, 'comms_matrix_wellknown')?.module_def?.http?.fail_if_body_not_matches_regexp).toEqual(['matrix\\.example\\.org:8448']);
    expect(byJob(ps, 'comms_element')?.module_def?.http?.headers).toEqual({ Host: 'chat.example.org' });
    // Mail: STARTTLS done by the probe, so the certificate of mail.example.org is read.
    const smtp = byJob(ps, 'comms_smtp_submission');
    expect(smtp?.targets[0].target).toBe('192.0.2.1:587');
    expect(smtp?.module_def?.tcp?.tls_config).toEqual({ server_name: 'mail.example.org', insecure_skip_verify: true });
    expect(smtp?.module_def?.tcp?.query_response).toContainEqual({ starttls: true });
    expect(byJob(ps, 'comms_imap')?.targets[0].target).toBe('192.0.2.1:143');
    // Offline (internal CA): no DNS probe; parts switched off: no probe.
    expect(ps.filter((p) => p.job.startsWith('dns_'))).toEqual([]);
    expect(byJob(ps, 'comms_mastodon')).toBeUndefined();
    const some = probes(withManagerVars({ comms_domain: 'example.org', comms_mail_enabled: false, comms_synapse_enabled: false, comms_mastodon_enabled: true, comms_site_backend: '10.0.0.5:80', comms_check_address: '198.51.100.7' }));
    expect(some.map((p) => p.job).sort()).toEqual(['comms_element', 'comms_mastodon', 'comms_site', 'dns_chat_example_org', 'dns_example_org']);
    expect(byJob(some, 'comms_site')?.module_def?.http?.fail_if_body_not_matches_regexp).toBeUndefined();
    expect(byJob(some, 'comms_mastodon')?.targets[0].target).toBe('https://198.51.100.7:443/health');
    expect(byJob(some, 'comms_site')?.module_def?.http?.tls_config).toEqual({ server_name: 'example.org', insecure_skip_verify: false });
  });

  it('the comms host names are derived as the comms role derives them', () => {
    const comms = YAML.parse(fs.readFileSync(path.resolve(ROLE, '../comms/role.yml'), 'utf8')) as typeof role;
    const d = comms.variables.properties;
    const ctx = { comms_domain: 'example.org' };
    for (const [v, job] of [['comms_matrix_host', 'comms_matrix_client'], ['comms_element_host', 'comms_element']] as const) {
      const theirs = renderString(String(d[v].default), ctx, origin);
      expect(byJob(probes(withManagerVars(ctx)), job)?.module_def?.http?.headers).toEqual({ Host: theirs });
    }
    expect(renderString(String(d.comms_mail_host.default), ctx, origin)).toBe('mail.example.org');
    expect(byJob(probes(withManagerVars(ctx)), 'comms_smtp_submission')?.module_def?.tcp?.tls_config).toMatchObject({ server_name: 'mail.example.org' });
    expect(d.comms_federation_port.default).toBe(8448);
    expect(d.comms_tls.default).toBe('auto');
  });

  it('on the internet (comms_tls auto): the A records and the MX the comms role needs, asked of monitoring_dns_server', () => {
    const ps = probes(withManagerVars({ comms_domain: 'example.org', comms_public_address: '203.0.113.5' }));
    const a = byJob(ps, 'dns_matrix_example_org');
    expect(a?.targets).toEqual([{ target: '1.1.1.1:53', host: 'm1', probe: 'dns_matrix.example.org' }]);
    expect(a?.module_def).toEqual({
      prober: 'dns',
      dns: { preferred_ip_protocol: 'ip4', query_name: 'matrix.example.org', query_type: 'A', valid_rcodes: ['NOERROR'], validate_answer_rrs: { fail_if_none_matches_regexp: ['\\sIN\\sA\\s203\\.0\\.113\\.5$'] } },
    });
    expect(byJob(ps, 'dns_mx_example_org')?.module_def?.dns).toMatchObject({ query_type: 'MX', validate_answer_rrs: { fail_if_none_matches_regexp: ['\\sIN\\sMX\\s[0-9]+\\smail\\.example\\.org\\.$'] } });
    expect(ps.filter((p) => p.job.startsWith('dns_')).map((p) => p.job).sort()).toEqual(['dns_chat_example_org', 'dns_example_org', 'dns_mail_example_org', 'dns_matrix_example_org', 'dns_mx_example_org']);
    expect(probes(withManagerVars({ comms_domain: 'example.org' }, { monitoring_dns_server: '' })).filter((p) => p.job.startsWith('dns_'))).toEqual([]);
  });

  it("the tor role's recorded onion services with port 80, through tor's SOCKS port on the monitoring host", () => {
    const hv = context().hostvars as Record<string, Ctx>;
    const onion = 'a'.repeat(56) + '.onion';
    const hostvars = {
      ...hv,
      w1: {
        ...hv.w1,
        tor_onion_services: [
          { name: 'web', ports: [{ port: 80, target: '127.0.0.1:8080' }] },
          { name: 'matrix', ports: [{ port: 443 }] },
          { name: 'notyet', ports: [{ port: 80 }] },
        ],
        onion_addresses: { web: onion, matrix: 'b'.repeat(56) + '.onion' },
      },
    };
    expect(probes({ hostvars })).toEqual([]);
    const ps = probes({ hostvars, monitoring_tor_socks: '127.0.0.1:9050' });
    expect(ps).toEqual([
      {
        job: 'onion_w1_web',
        module: 'onion_http',
        module_def: { prober: 'http', http: { preferred_ip_protocol: 'ip4', follow_redirects: true, proxy_url: 'socks5://127.0.0.1:9050' } },
        targets: [{ target: `http://${onion}/`, host: 'w1', probe: 'onion_web' }],
      },
    ]);
  });

  it('prometheus.yml gets a job per probe and blackbox.yml each module once', () => {
    const over = withManagerVars({ comms_domain: 'example.org', comms_tls: 'internal' });
    const c = render('prometheus.yml.j2', context(over)) as { scrape_configs: ScrapeConfig[] };
    const smtp = c.scrape_configs.find((j) => j.job_name === 'comms_smtp_submission');
    expect(smtp?.params).toEqual({ module: ['comms_smtp_submission'] });
    expect(smtp?.static_configs).toEqual([{ targets: ['192.0.2.1:587'], labels: { host: 'm1', probe: 'smtp_submission' } }]);
    const b = render('blackbox.yml.j2', context(over)) as { modules: Record<string, Ctx> };
    expect(b.modules.comms_smtp_submission).toMatchObject({ prober: 'tcp', timeout: '5s' });
    expect(b.modules.comms_site).toMatchObject({ prober: 'http', timeout: '5s', http: { headers: { Host: 'example.org' } } });
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
    expect(rule(r, 'DiskFull')?.expr).toContain('mountpoint!~"^/(dev|proc|sys|run|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)"');
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

describe('monitoring: node exporter', () => {
  const args = (over: Ctx = {}) => {
    const m = /^ARGS="(.*)"$/m.exec(renderTemplateFile(path.join(ROLE, 'templates', 'node-exporter.default.j2'), context(over)));
    return m?.[1].split(' ') ?? [];
  };

  it("skips the mount points DiskFull ignores, not Debian's (which hides /mnt and /media)", () => {
    expect(args()).toContain(`--collector.filesystem.mount-points-exclude=${String(defaults.monitoring_disk_mountpoints_ignored)}`);
    expect(String(defaults.monitoring_disk_mountpoints_ignored)).not.toMatch(/mnt|media/);
    expect(args({ monitoring_disk_mountpoints_ignored: '^/boot$' })).toContain('--collector.filesystem.mount-points-exclude=^/boot$');
    expect(args()).toContain('--web.listen-address=:9100');
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

  it('posts to a Matrix room through the comms role\'s maubot (alertbot), or the maubot named', () => {
    const expr = String(defaults.monitoring_matrix_maubot_url);
    const hv = context().hostvars as Record<string, Ctx>;
    const maubot = (m1: Ctx) => renderString(expr, context({ hostvars: { ...hv, m1: { ...hv.m1, ...m1 } } }), origin);
    expect(maubot({})).toBe('');
    expect(maubot({ comms_domain: 'example.org' })).toBe('');
    expect(maubot({ comms_domain: 'example.org', comms_maubot_enabled: true })).toBe('https://maubot.example.org');
    expect(maubot({ comms_domain: 'example.org', comms_maubot_enabled: true, comms_maubot_host: 'bots.example.org' })).toBe('https://bots.example.org');
    expect(renderString(expr, context({ groups: { all: ['m1'] } }), origin)).toBe('');

    const a = am({ monitoring_webhooks: ['http://hook.example/a'], monitoring_matrix_room: '!room:example.org', monitoring_matrix_maubot_url: 'https://maubot.example.org' });
    expect(a.receivers[0].webhook_configs).toEqual([
      { url: 'http://hook.example/a', send_resolved: true },
      { url: 'https://maubot.example.org/_matrix/maubot/plugin/alertbot/webhook/!room:example.org', send_resolved: true },
    ]);
    expect(am({ monitoring_matrix_room: '', monitoring_matrix_maubot_url: 'https://maubot.example.org' }).receivers[0].webhook_configs).toBeUndefined();
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

describe('monitoring: journals forwarded to the monitoring host', () => {
  const text = (file: string, ctx: Ctx) => renderTemplateFile(path.join(ROLE, 'templates', file), ctx);

  it('uploads to the monitoring host on the journal port (an IPv6 address bracketed)', () => {
    expect(text('journal-upload.conf.j2', context({ monitoring_server_address: '192.0.2.1' }))).toMatch(/^URL=http:\/\/192\.0\.2\.1:19532$/m);
    expect(text('journal-upload.conf.j2', context({ monitoring_server_address: '2001:db8::1', monitoring_journal_port: 2000 }))).toMatch(/^URL=http:\/\/\[2001:db8::1\]:2000$/m);
  });

  it('listens on the port set, and limits the forwarded journals by size and age', () => {
    expect(text('journal-remote.socket.conf.j2', context({ monitoring_journal_port: 2000 }))).toMatch(/^ListenStream=\n^ListenStream=2000$/m);
    expect(text('fleet-journal-vacuum.service.j2', context({ monitoring_journal_max_use: '500M', monitoring_journal_max_age: '2w' }))).toMatch(
      /^ExecStart=\/bin\/journalctl --directory=\/var\/log\/journal\/remote --vacuum-size=500M --vacuum-time=2w$/m,
    );
  });
});

describe('firewall: the monitoring ports', () => {
  const FW = path.resolve(ROLE, '../firewall');
  const fw = YAML.parse(fs.readFileSync(path.join(FW, 'role.yml'), 'utf8')) as typeof role;
  const fwDefaults = Object.fromEntries(Object.entries(fw.variables.properties).map(([k, v]) => [k, v.default]));
  const rules = (host: string, over: Ctx = {}) =>
    renderTemplateFile(path.join(FW, 'templates', 'rules.hbs'), {
      ...fwDefaults,
      ...context({ inventory_hostname: host, group_names: [], firewall_ssh_sources: ['0.0.0.0/0'], ssh_port: 22, fleet_ssh_port: 22, item: 'v4' }),
      ...over,
    });

  it('shares the journal port with the monitoring role', () => {
    expect(fw.variables.properties.monitoring_journal_port.default).toBe(defaults.monitoring_journal_port);
  });

  it("opens journal-remote on the monitoring host to every other inventory host, and nowhere else", () => {
    const m1 = rules('m1').split('\n').filter((l) => l.includes('--dport 19532'));
    expect(m1).toEqual(['-A FLEET-INPUT -s 192.0.2.2 -p tcp -m tcp --dport 19532 -m comment --comment "fleet: journal upload from w1" -j ACCEPT']);
    expect(rules('m1', { item: 'v6' })).toMatch(/-s 2001:db8::3 -p tcp -m tcp --dport 19532 .*from v6"/);
    expect(rules('w1')).not.toContain('19532');
    expect(rules('m1', { monitoring_journal: false })).not.toContain('19532');
    expect(rules('m1', { firewall_monitoring: false })).not.toContain('19532');
    // node exporter: the monitoring host's address alone, on every host.
    expect(rules('w1').split('\n').filter((l) => l.includes('--dport 9100'))).toEqual([
      '-A FLEET-INPUT -s 192.0.2.1 -p tcp -m tcp --dport 9100 -m comment --comment "fleet: node exporter for the monitoring host m1" -j ACCEPT',
    ]);
  });
});
