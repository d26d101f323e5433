// The monitoring role over real SSH on three lab hosts: Prometheus, Alertmanager and the
// blackbox exporter on the monitoring host, node exporter everywhere, the firewall opening it
// to the monitoring host alone. Alert timings are seconds (variables), so a stopped service,
// a full disk and their recovery are seen by a webhook listener and an SMTP sink on the
// controller (which the lab hosts reach) within the test. The other hosts' journals go to
// the monitoring host.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ageGenerateIdentity } from '../../src/secrets/age-sync.js';
import {
  REPO_ROOT,
  defaultLabInventory,
  describeLab,
  labHosts,
  labInfo,
  makeProject,
  resetHosts,
  runFleet,
  smtpSink,
  sshRun,
  taskEvents,
  type SinkMail,
  type FleetRun,
  type Project,
} from './helpers/index.js';

const IDENTITY = ageGenerateIdentity();
// The relay's password, from the secrets store: it must reach the relay and no output.
const SMTP_PASSWORD = `pw-${crypto.randomBytes(12).toString('hex')}`;

const changed = (run: FleetRun, host: string) => run.recap?.hosts[host]?.changed ?? -1;
const explain = (run: FleetRun) => `exit ${run.code}\n${run.stderr}\n${JSON.stringify(run.recap?.failures ?? [], null, 1)}`;

interface HookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

describeLab('role monitoring', () => {
  let monitor: ReturnType<typeof labHosts>[number];
  let web: ReturnType<typeof labHosts>[number];
  let other: ReturnType<typeof labHosts>[number];
  let project: Project;
  let server: http.Server;
  let smtp: net.Server;
  const received: HookAlert[] = [];
  const mails: SinkMail[] = [];
  /** Everything fleet printed in this test (searched for the SMTP password at the end). */
  const outputs: string[] = [];
  const env = { FLEET_AGE_IDENTITY: IDENTITY };
  const keep = (run: FleetRun) => (outputs.push(run.stdout, run.stderr), run);
  // A first apply installs Prometheus & co.: on a loaded machine that can pass runFleet's default bound.
  const fleet = async (cmd: 'apply' | 'check', extra: string[] = []) =>
    keep(await runFleet([cmd, project.playbook, '-i', project.inventoryDir, ...extra], { cwd: project.dir, env, timeoutMs: 590_000 }));
  const status = async (extra: string[] = []) =>
    keep(await runFleet(['status', '-i', project.inventoryDir, ...extra], { cwd: project.dir, env, json: false }));
  /** What the monitoring host's Prometheus API answers (it listens on its loopback only). */
  const api = async (url: string): Promise<unknown> => {
    const r = await sshRun(monitor.name, `curl -fsS '${url}'`);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };
  const hook = (status: HookAlert['status'], match: (l: Record<string, string>) => boolean) => () =>
    received.find((a) => a.status === status && match(a.labels));

  beforeAll(async () => {
    [, web, other, monitor] = labHosts();
    await resetHosts([web, other, monitor].map((h) => h.name));
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        try {
          received.push(...(JSON.parse(body) as { alerts: HookAlert[] }).alerts);
        } catch {
          /* not Alertmanager: ignored */
        }
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, labInfo().controllerAddress, resolve));
    const port = (server.address() as AddressInfo).port;
    smtp = smtpSink(mails);
    await new Promise<void>((resolve) => smtp.listen(0, labInfo().controllerAddress, resolve));
    const smtpPort = (smtp.address() as AddressInfo).port;

    const inventory = defaultLabInventory([web.name, other.name, monitor.name]) as {
      all: { children: { lab: { children: Record<string, { hosts: Record<string, unknown> }> } } & Record<string, unknown> };
    };
    inventory.all.children.monitoring = { hosts: { [monitor.name]: {} } };
    // The web host as the swarm's manager, so that the `stacks` entry below is read from it.
    const groups = inventory.all.children.lab.children;
    const webVars = Object.values(groups).find((g) => g.hosts[web.name])?.hosts[web.name];
    for (const g of Object.values(groups)) delete g.hosts[web.name];
    groups.managers.hosts[web.name] = webVars;
    project = makeProject({
      inventory,
      playbook: [{ name: 'firewall and monitoring', hosts: 'all', roles: ['firewall', 'monitoring'] }],
      files: {
        'inventory/group_vars/all.yml': {
          monitoring_scrape_interval: '2s',
          monitoring_evaluation_interval: '2s',
          monitoring_probe_timeout: '2s',
          monitoring_down_for: '4s',
          monitoring_disk_for: '2s',
          monitoring_textfile_interval: '5s',
          monitoring_group_wait: '1s',
          monitoring_group_interval: '2s',
          monitoring_repeat_interval: '1h',
          monitoring_webhooks: [`http://${labInfo().controllerAddress}:${port}/hook`],
          // E-mail through a relay (the test's SMTP sink), logging in with the secrets store's password.
          monitoring_email_to: ['ops@fleet.test'],
          monitoring_smtp_smarthost: `${labInfo().controllerAddress}:${smtpPort}`,
          monitoring_smtp_from: 'alerts@fleet.test',
          monitoring_smtp_username: 'alertmanager',
          monitoring_smtp_require_tls: false,
          // Probes generated from a `stacks` entry (the stack role's inventory): its published
          // port pinned to the web host, and the URL and text its labels name. The service
          // itself is a systemd unit here (no swarm needed to prove the generation).
          stacks: [
            {
              name: 'site',
              services: {
                web: {
                  image: 'fleet-lab/none',
                  ports: [{ target: 8080, published: 8080, mode: 'host' }],
                  deploy: {
                    placement: { constraints: [`node.hostname == ${web.name}`] },
                    labels: { 'fleet.monitoring.url': `http://${web.address}:8080/`, 'fleet.monitoring.expect': 'hello fleet' },
                  },
                },
              },
            },
          ],
          firewall_allow: [{ port: 8080, from: [monitor.address], comment: 'test web' }],
        },
      },
    });
    fs.symlinkSync(path.join(REPO_ROOT, 'roles'), path.join(project.dir, 'roles'));
    for (const [args, input] of [[['secrets', 'init']], [['secrets', 'set', 'monitoring_smtp_password'], SMTP_PASSWORD]] as const) {
      const r = keep(await runFleet([...args, '-i', project.inventoryDir], { cwd: project.dir, env, json: false, input }));
      expect(r.code, explain(r)).toBe(0);
    }
    // The service the HTTP probe watches.
    const svc = await sshRun(
      web.name,
      [
        'mkdir -p /srv/fleet-web && echo "hello fleet" > /srv/fleet-web/index.html',
        'printf "[Service]\\nExecStart=/usr/bin/python3 -m http.server 8080 --directory /srv/fleet-web\\n" > /etc/systemd/system/fleet-test-web.service',
        'systemctl daemon-reload && systemctl start fleet-test-web',
      ].join('\n'),
    );
    expect(svc.code, svc.stderr).toBe(0);
  });

  afterAll(async () => {
    server?.close();
    smtp?.close();
    project?.cleanup();
    if (monitor) await resetHosts([web, other, monitor].map((h) => h.name));
  });

  it('first apply: Prometheus scrapes every host and probes them, every target up; a second apply changes nothing', async () => {
    // --diff: alertmanager.yml's diff is where the SMTP password would show.
    const run = await fleet('apply', ['--diff']);
    expect(run.code, explain(run)).toBe(0);
    expect(changed(run, monitor.name)).toBeGreaterThan(0);

    const expected = [
      ...[web, other, monitor].flatMap((h) => [`node ${h.name}`, `icmp ${h.name}`]),
      `stack_site_web_http ${web.name}`,
      `stack_site_web_8080 ${web.name}`,
      ...['prometheus', 'alertmanager', 'blackbox'].map((j) => `${j} ${monitor.name}`),
    ].sort();
    const targets = await waitFor('every target up', async () => {
      const d = (await api('http://127.0.0.1:9090/api/v1/targets')) as {
        data: { activeTargets: { labels: Record<string, string>; health: string }[] };
      };
      const t = d.data.activeTargets;
      return t.length === expected.length && t.every((x) => x.health === 'up') ? t : undefined;
    });
    expect(targets.map((t) => `${t.labels.job} ${t.labels.host}`).sort()).toEqual(expected);
    // Prometheus, Alertmanager and the blackbox exporter on loopback only; node exporter on all.
    const ss = await sshRun(monitor.name, 'ss -Hltn');
    for (const port of [9090, 9093, 9115]) expect(ss.stdout).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}\\b`));
    expect(ss.stdout).not.toMatch(/:9094\b/);

    // The uploaders keep trying while the monitoring host does not answer (they may start first).
    for (const h of [web, other]) {
      const up = await sshRun(h.name, 'systemctl show -p Restart systemd-journal-upload');
      expect(up.stdout.trim(), h.name).toBe('Restart=on-failure');
    }

    const again = await fleet('apply');
    expect(again.code, explain(again)).toBe(0);
    for (const h of [web, other, monitor]) {
      const tasks = again.events.flatMap((e) => (e.type === 'task' && e.host === h.name && e.status === 'changed' ? [`${e.task}: ${e.msg ?? ''}`] : []));
      expect(changed(again, h.name), `${h.name}: ${JSON.stringify(tasks)}`).toBe(0);
    }
  }, 900_000);

  it('node exporter answers the monitoring host and refuses every other host', async () => {
    const probe = `timeout 5 bash -c '</dev/tcp/${web.address}/9100' 2>/dev/null && echo open || echo refused`;
    expect((await sshRun(monitor.name, probe)).stdout.trim()).toBe('open');
    expect((await sshRun(other.name, probe)).stdout.trim()).toBe('refused');
  });

  it('a stopped watched service fires ProbeFailing: the webhook and the mailbox get it, fleet status exits 1 naming it; a restart resolves it', async () => {
    const isWeb = (l: Record<string, string>) => l.alertname === 'ProbeFailing' && l.probe === 'site_web' && l.host === web.name;
    await sshRun(web.name, 'systemctl stop fleet-test-web');
    await waitFor('the webhook to get ProbeFailing', hook('firing', isWeb));
    // The same alert by e-mail: Alertmanager's subject names the alert and the host.
    const subject = (m: SinkMail) => m.data.match(/^Subject: (.*)$/m)?.[1] ?? '';
    const mail = await waitFor('a mail about ProbeFailing', () =>
      mails.find((m) => /^\[FIRING:\d+\] ProbeFailing\b/.test(subject(m)) && subject(m).includes(web.name)),
    );
    expect(mail.to).toEqual(['<ops@fleet.test>']);
    expect(mail.from).toMatch(/^<alerts@fleet\.test>/);
    // It logged in with the password from the secrets store.
    expect(mail.auth).toEqual({ user: 'alertmanager', password: SMTP_PASSWORD });

    const st = await status();
    expect(st.code, st.stderr).toBe(1);
    expect(st.stdout).toMatch(new RegExp(`^${web.name}\\s+yes\\s+.*\\bsite_web\\b.*ProbeFailing`, 'm'));
    expect(st.stdout).toMatch(new RegExp(`ProbeFailing ${web.name}: probe site_web of ${web.name} fails`));
    // A pattern that leaves the host out does not show its alert.
    const narrow = await status([other.name, '--json']);
    const report = JSON.parse(narrow.stdout) as { firing: { name: string; labels: Record<string, string> }[]; hosts: { host: string }[] };
    expect(report.hosts.map((h) => h.host)).toEqual([other.name]);
    expect(report.firing.some((a) => isWeb({ alertname: a.name, ...a.labels }))).toBe(false);
    expect(narrow.code).toBe(report.firing.length ? 1 : 0);

    await sshRun(web.name, 'systemctl start fleet-test-web');
    await waitFor('the webhook to get ProbeFailing resolved', hook('resolved', isWeb));
    await waitFor('a mail saying ProbeFailing is resolved', () =>
      mails.find((m) => /^\[RESOLVED\] ProbeFailing\b/.test(subject(m)) && subject(m).includes(web.name)),
    );
    const after = await status(['--json']);
    const r2 = JSON.parse(after.stdout) as { firing: { name: string; labels: Record<string, string> }[] };
    expect(r2.firing.some((a) => isWeb({ alertname: a.name, ...a.labels }))).toBe(false);
    expect(after.code).toBe(r2.firing.length ? 1 : 0);
  });

  it('a tmpfs filled past the threshold fires DiskFull', async () => {
    const fill = await sshRun(
      other.name,
      'mkdir -p /mnt/fleet-full && mount -t tmpfs -o size=8m tmpfs /mnt/fleet-full && dd if=/dev/zero of=/mnt/fleet-full/fill bs=100k count=75 2>&1',
    );
    expect(fill.code, fill.stdout + fill.stderr).toBe(0);
    try {
      await waitFor(
        'the webhook to get DiskFull',
        hook('firing', (l) => l.alertname === 'DiskFull' && l.host === other.name && l.mountpoint === '/mnt/fleet-full'),
      );
    } finally {
      await sshRun(other.name, 'umount /mnt/fleet-full');
    }
  });

  it('an invalid rule is refused by promtool before it goes live; the old rules keep running', async () => {
    const before = await sshRun(monitor.name, 'sha256sum /etc/prometheus/fleet-rules.yml');
    const run = await fleet('apply', ['-e', JSON.stringify({ monitoring_extra_rules: [{ alert: 'Broken', expr: 'up ==== 1' }] })]);
    expect(run.code, explain(run)).toBe(1);
    const failed = taskEvents(run, monitor.name).find((e) => e.task === 'write the alert rules');
    expect(failed?.status).toBe('failed');
    // promtool's own verdict on the expression (not a YAML error of the rendering).
    expect(JSON.stringify(run.recap?.failures ?? [])).toMatch(/promtool check rules/);
    expect(JSON.stringify(run.recap?.failures ?? [])).toMatch(/could not parse expression/);
    expect((await sshRun(monitor.name, 'sha256sum /etc/prometheus/fleet-rules.yml')).stdout).toBe(before.stdout);
    expect((await sshRun(monitor.name, 'systemctl is-active prometheus')).stdout.trim()).toBe('active');
    const rules = JSON.stringify(await api('http://127.0.0.1:9090/api/v1/rules'));
    expect(rules).toContain('"ProbeFailing"');
    expect(rules).not.toContain('Broken');
  });

  it('an invalid Alertmanager configuration is refused by amtool before it goes live; the old one keeps running', async () => {
    const file = '/etc/prometheus/alertmanager.yml';
    const before = await sshRun(monitor.name, `sha256sum ${file}`);
    // Mail without a relay: YAML that renders, a configuration Alertmanager cannot load.
    const run = await fleet('apply', ['-e', JSON.stringify({ monitoring_smtp_smarthost: '' })]);
    expect(run.code, explain(run)).toBe(1);
    const failed = taskEvents(run, monitor.name).find((e) => e.task === "write Alertmanager's configuration");
    expect(failed?.status).toBe('failed');
    expect(JSON.stringify(run.recap?.failures ?? [])).toMatch(/amtool check-config/);
    expect(JSON.stringify(run.recap?.failures ?? [])).toMatch(/no global SMTP smarthost set/);
    expect((await sshRun(monitor.name, `sha256sum ${file}`)).stdout).toBe(before.stdout);
    expect((await sshRun(monitor.name, 'systemctl is-active prometheus-alertmanager')).stdout.trim()).toBe('active');
    const live = (await api('http://127.0.0.1:9093/api/v2/status')) as { config: { original: string } };
    expect(live.config.original).toContain(`smtp_smarthost: ${labInfo().controllerAddress}:`);
  });

  it("the other hosts' journals reach the monitoring host; its port is closed to hosts outside the fleet; retention runs", async () => {
    const marker = `fleet-journal-${crypto.randomBytes(6).toString('hex')}`;
    const sent = await sshRun(other.name, `logger -t fleet-test ${marker} && hostname`);
    expect(sent.code, sent.stderr).toBe(0);
    const entry = await waitFor('the line in the remote journal', async () => {
      const r = await sshRun(monitor.name, 'journalctl -D /var/log/journal/remote -t fleet-test -o json --no-pager 2>/dev/null || true');
      return r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, string>)
        .find((e) => e.MESSAGE === marker);
    });
    expect(entry._HOSTNAME).toBe(sent.stdout.trim());
    // Not the monitoring host's own journal: the line was never logged there.
    expect((await sshRun(monitor.name, `journalctl -t fleet-test --no-pager | grep -c ${marker} || true`)).stdout.trim()).toBe('0');
    // The controller is not in the inventory: the firewall drops it (a fleet host got through,
    // above; journal-remote's socket listens on every address).
    expect((await sshRun(monitor.name, 'ss -Hltn')).stdout).toMatch(/^LISTEN.*\s(\*|0\.0\.0\.0|\[::\]):19532\s/m);
    const outside = await new Promise<string>((resolve) => {
      const c = net.connect({ host: monitor.address, port: 19532, timeout: 3000 });
      c.on('connect', () => (c.destroy(), resolve('open')));
      c.on('timeout', () => (c.destroy(), resolve('refused')));
      c.on('error', () => resolve('refused'));
    });
    expect(outside).toBe('refused');
    const vacuum = await sshRun(monitor.name, 'systemctl is-enabled fleet-journal-vacuum.timer && systemctl start fleet-journal-vacuum.service && systemctl show -p Result --value fleet-journal-vacuum.service');
    expect(vacuum.code, vacuum.stderr).toBe(0);
    expect(vacuum.stdout.trim().split('\n')).toEqual(['enabled', 'success']);
  });

  it('a hand-edited prometheus.yml is drift: check exits 2 with the diff and changes nothing', async () => {
    await sshRun(monitor.name, 'echo "# edited by hand" >> /etc/prometheus/prometheus.yml');
    const run = await fleet('check', ['--diff']);
    expect(run.code, explain(run)).toBe(2);
    const t = taskEvents(run, monitor.name).find((e) => e.task === "write Prometheus' configuration");
    expect(t?.status).toBe('changed');
    expect(t?.diff).toMatch(/^-# edited by hand$/m);
    expect((await sshRun(monitor.name, 'tail -n 1 /etc/prometheus/prometheus.yml')).stdout.trim()).toBe('# edited by hand');
  });

  it('the SMTP password is in no output of fleet', () => {
    expect(outputs.length).toBeGreaterThan(10);
    for (const out of outputs) expect(out.includes(SMTP_PASSWORD)).toBe(false);
  });
});
