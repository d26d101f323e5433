// The comms role on the lab swarm (lab1 manager, built by ensureSwarm): Caddy with its internal
// CA, PostgreSQL and a postfix+dovecot mail server, all from images built out of Debian
// packages (src/lab/service-images.ts) and carried from the controller, deployed as
// docker_stack data. HTTPS through Caddy (on the manager) reaches a backend on a worker over
// the overlay network (verified with the CA from Caddy's volume); a mail sent over SMTP submission with STARTTLS is fetched
// over IMAP by another account; PostgreSQL takes the generated password over TCP and refuses
// a wrong one (SCRAM, C locale, no trust line); the role's pre-flight and self-check are task
// results of their own; a second apply changes nothing and restarts no task; `fleet check`
// after a hand scale shows the drift and exits 2. (A changed config rolling only its service
// and a broken update rolled back are stack.test.ts's, on the same swarm.) Synapse,
// Element, Mastodon, Rocket.Chat and maubot have no Debian packages: their parts are off
// here (unit tests render and check them). The lab has no IPVS: host-mode ports, dnsrr.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { commsLabVars, ensureCommsLabCerts } from '../../src/lab/comms-lab.js';
import { debImageArchive } from '../../src/lab/deb-image.js';
import { COMMS_LAB_IMAGES } from '../../src/lab/service-images.js';
import { ageGenerateIdentity } from '../../src/secrets/age-sync.js';
import { describeLab, ensureSwarm, sshRun, taskEvents, TEST_IMAGE, type FleetRun, type SwarmProject } from './helpers/index.js';

const DOMAIN = 'comms.test';
const MAIL_HOST = `mail.${DOMAIN}`;
const IDENTITY = ageGenerateIdentity();
const MARKER = 'hello from the overlay backend';
const VOLUMES = 'comms-proxy_caddy_data comms-proxy_caddy_config comms_postgres_data comms-mail_mail_data comms-mail_mail_queue';
// A volume is removable once the stack's containers are gone (seconds on a loaded machine).
const CLEANUP = `docker stack rm comms-proxy comms-db comms-mail cb >/dev/null 2>&1; for i in $(seq 60); do docker volume rm -f ${VOLUMES} >/dev/null 2>&1; [ -z "$(docker volume ls -q | grep -xF -e ${VOLUMES.split(' ').join(' -e ')})" ] && break; sleep 2; done; rm -f /usr/local/sbin/fleet-comms-check; true`;
const explain = (run: FleetRun) => `exit ${run.code}\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-3000)}\n${JSON.stringify(run.recap?.failures ?? [], null, 1)}`;

describeLab('comms role: Caddy (internal CA), PostgreSQL and mail from Debian packages on the swarm', () => {
  let swarm: SwarmProject;
  let mgr: string;
  let mgrAddr: string;
  let first: FleetRun;
  const certs = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-comms-certs-'));
  let runWith: (args: string[], input?: string) => Promise<FleetRun>;
  const onMgr = async (cmd: string, timeoutMs?: number) => {
    const r = await sshRun(mgr, cmd, { timeoutMs });
    expect(r.code, `${cmd}\n${r.stdout}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const comms = () => runWith(['apply', 'playbooks/comms.yml']);
  const serviceTasks = () => onMgr("for s in $(docker service ls -q --filter label=com.docker.stack.namespace | sort); do docker service ps -q --filter desired-state=running $s; done | sort");

  beforeAll(async () => {
    const [images, s] = await Promise.all([
      Promise.all(Object.values(COMMS_LAB_IMAGES).map((spec) => debImageArchive(spec))),
      ensureSwarm(),
    ]);
    swarm = s;
    mgr = swarm.manager;
    mgrAddr = swarm.hosts[0].address;
    // A kept lab may hold an earlier run's stacks and volumes: PostgreSQL keeps the password its
    // volume was made with, which is not this run's generated one.
    await sshRun(mgr, CLEANUP, { timeoutMs: 120_000 });
    const { runFleet } = await import('./helpers/fleet.js');
    runWith = (args, input) => runFleet([...args, '-i', swarm.project.inventoryDir], { cwd: swarm.project.dir, env: { XDG_CACHE_HOME: swarm.cacheDir, FLEET_AGE_IDENTITY: IDENTITY }, timeoutMs: 900_000, input, json: args[0] !== 'secrets' });
    // A CA of the test's own and the mail server's certificate from it (a real site would
    // use its ACME certificate for the mail name).
    ensureCommsLabCerts(certs, DOMAIN, 'comms test CA', 3);
    const init = await runWith(['secrets', 'init']);
    expect(init.code, explain(init)).toBe(0);
    for (const [name, value] of [['mail_alice', 'alice-Passw0rd-x'], ['mail_bob', 'bob-Passw0rd-y'], ['mail_tls_key', fs.readFileSync(path.join(certs, 'mail.key'), 'utf8')]]) {
      const r = await runWith(['secrets', 'set', name], value);
      expect(r.code, explain(r)).toBe(0);
    }
    const [caddyImg, pgImg, mailImg] = images;
    fs.writeFileSync(
      path.join(swarm.project.dir, 'playbooks', 'comms.yml'),
      YAML.stringify([
        {
          name: 'the lab images and a backend on the overlay',
          hosts: 'managers',
          tasks: [
            { name: 'carry the images', docker_image: { name: '{{ item.name }}', src: '{{ item.src }}' }, loop: [
              { name: COMMS_LAB_IMAGES.caddy.ref, src: caddyImg },
              { name: COMMS_LAB_IMAGES.postgres.ref, src: pgImg },
              { name: COMMS_LAB_IMAGES.mail.ref, src: mailImg },
            ] },
            {
              name: 'backend stack',
              docker_stack: {
                name: 'cb',
                services: {
                  hello: {
                    image: TEST_IMAGE,
                    command: ['sh', '-c', 'cp /conf/index.html /www/index.html && exec httpd -f -p 8080 -h /www'],
                    configs: [{ source: 'page', target: '/conf/index.html' }],
                    networks: ['fleet-test'],
                    // On a worker, Caddy on the manager: the request crosses nodes on the overlay
                    // (unencrypted: the lab's kernel has no ESP, see helpers/swarm.ts).
                    deploy: { replicas: 1, endpoint_mode: 'dnsrr', placement: { constraints: ['node.role == worker'] } },
                  },
                },
                networks: { 'fleet-test': { external: true } },
                configs: { page: { content: `${MARKER}\n` } },
                timeout: 120,
              },
            },
          ],
        },
        {
          name: 'comms',
          hosts: 'managers',
          vars: {
            ...commsLabVars({ domain: DOMAIN, certDir: certs, secrets: { alice: 'mail_alice', bob: 'mail_bob', mailKey: 'mail_tls_key' } }),
            comms_network: 'fleet-test',
            comms_network_create: false,
            comms_site_backend: 'hello:8080',
            comms_rollout_timeout: 180,
          },
          roles: ['comms'],
        },
      ]),
    );
  }, 900_000);

  afterAll(async () => {
    if (mgr) await sshRun(mgr, CLEANUP, { timeoutMs: 120_000 });
    swarm?.cleanup();
    fs.rmSync(certs, { recursive: true, force: true });
  }, 120_000);

  it('deploys: pre-flight before anything, the three stacks, then every self-check passing as its own task', async () => {
    first = await comms();
    if (process.env.COMMS_DEBUG) fs.writeFileSync(process.env.COMMS_DEBUG, `${first.stdout}\n---\n${first.stderr}`);
    expect(first.code, explain(first)).toBe(0);
    const events = taskEvents(first, mgr);
    const names = events.map((e) => e.task);
    const at = (n: string) => names.findIndex((t) => t.startsWith(n));
    for (const n of ['pre-flight: the stack', 'pre-flight: disk and memory', 'pre-flight: what Delta Chat needs', 'self-check: HTTPS on the main site', 'self-check: SMTP submission', 'self-check: IMAP'])
      expect(events.find((e) => e.task.startsWith(n))?.status, n).toBe('ok');
    expect(at('pre-flight: the stack')).toBeLessThan(at('stack proxy'));
    expect(at('stack mail')).toBeLessThan(at('self-check: HTTPS'));
    for (const n of ['stack proxy', 'stack db', 'stack mail']) expect(events.find((e) => e.task.startsWith(n))?.status, n).toBe('changed');
    // The parts switched off are skipped. (The Delta Chat list is not in the task's JSON event:
    // an ok query's output is not reported.)
    expect(events.find((e) => e.task.startsWith('stack matrix'))?.status).toBe('skipped');
  }, 900_000);

  it('HTTPS through Caddy reaches the backend on the overlay, verified with the CA from Caddy\'s volume; .well-known is JSON with CORS only with Matrix on', async () => {
    const ca = '/var/lib/docker/volumes/comms-proxy_caddy_data/_data/caddy/pki/authorities/local/root.crt';
    const body = await onMgr(`curl -sS --max-time 20 --cacert ${ca} --resolve ${DOMAIN}:443:${mgrAddr} https://${DOMAIN}/`);
    expect(body).toContain(MARKER);
    // The backend runs on another node than Caddy: the request crossed the overlay.
    const node = (await onMgr("docker service ps --filter desired-state=running --format '{{.Node}}' cb_hello")).trim();
    expect(node).not.toBe('');
    expect(node).not.toBe(mgr);
    expect((await onMgr("docker service ps --filter desired-state=running --format '{{.Node}}' comms-proxy_caddy")).trim()).toBe(mgr);
    // The same CA published for clients at /ca.crt is the one in the volume.
    expect(await onMgr(`curl -sS --cacert ${ca} --resolve ${DOMAIN}:443:${mgrAddr} https://${DOMAIN}/ca.crt`)).toBe(await onMgr(`cat ${ca}`));
    // A name Caddy has no site for gets no certificate that verifies.
    const other = await sshRun(mgr, `curl -sS --max-time 10 --cacert ${ca} --resolve other.test:443:${mgrAddr} https://other.test/`);
    expect(other.code).not.toBe(0);
  }, 120_000);

  it('mail: alice sends over submission with STARTTLS, bob fetches it over IMAP with STARTTLS; login without TLS is refused', async () => {
    await onMgr(`cat > /root/comms-ca.crt <<'PEM'\n${fs.readFileSync(path.join(certs, 'ca.crt'), 'utf8')}PEM`);
    const subject = `fleet comms ${Date.now()}`;
    const py = `
import imaplib, smtplib, ssl, time
ctx = ssl.create_default_context(cafile="/root/comms-ca.crt")
addr = "${mgrAddr}"
s = smtplib.SMTP(addr, 587, local_hostname="client.test", timeout=30)
s.ehlo()
assert "auth" not in s.esmtp_features, "AUTH offered before TLS"
s._host = "${MAIL_HOST}"  # the name the certificate is verified for
s.starttls(context=ctx)
s.login("alice@${DOMAIN}", "alice-Passw0rd-x")
s.sendmail("alice@${DOMAIN}", ["bob@${DOMAIN}"], "From: alice@${DOMAIN}\\r\\nTo: bob@${DOMAIN}\\r\\nSubject: ${subject}\\r\\n\\r\\nhi bob\\r\\n")
s.quit()
for i in range(60):
    m = imaplib.IMAP4(addr, 143)
    m.host = "${MAIL_HOST}"  # the name the certificate is verified for
    m.starttls(ssl_context=ctx)
    m.login("bob@${DOMAIN}", "bob-Passw0rd-y")
    m.select("INBOX")
    typ, ids = m.search(None, 'SUBJECT', '"${subject}"')
    if ids[0]:
        typ, data = m.fetch(ids[0].split()[0], "(RFC822)")
        print(data[0][1].decode())
        break
    m.logout()
    time.sleep(1)
else:
    raise SystemExit("bob never got the mail")
`;
    const out = await onMgr(`python3 - <<'PY'\n${py}\nPY`, 180_000);
    expect(out).toContain(`Subject: ${subject}`);
    expect(out).toContain('hi bob');
    expect(out).toMatch(/^Received: from client\.test/m);
  }, 240_000);

  it('PostgreSQL: the generated password works over TCP, a wrong one is refused; C locale; no trust', async () => {
    const c = (await onMgr("docker ps -q --filter label=com.docker.swarm.service.name=comms-db_postgres | head -n 1")).trim();
    expect(c).not.toBe('');
    const psql = (pw: string, sql: string) => sshRun(mgr, `docker exec -e PGPASSWORD="${pw}" ${c} psql -h 127.0.0.1 -U synapse -d synapse -tAc "${sql}"`);
    const pw = (await onMgr(`docker exec ${c} cat /run/secrets/postgres_password`)).trim();
    expect(pw).toMatch(/^[A-Za-z0-9]{40}$/);
    // The one fleet generated into the project's secrets store.
    const stored = await runWith(['secrets', 'get', 'comms_postgres_password']);
    expect(stored.code, explain(stored)).toBe(0);
    expect(stored.stdout.trim()).toBe(pw);
    const ok = await psql(pw, "SELECT datcollate || ' ' || datctype FROM pg_database WHERE datname = 'synapse'");
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe('C C');
    const bad = await psql(`${pw}x`, 'SELECT 1');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('password authentication failed for user "synapse"');
    // Over the socket too: no password, no way in.
    const sock = await sshRun(mgr, `docker exec ${c} psql -U synapse -d synapse -tAc 'SELECT 1'`);
    expect(sock.code).not.toBe(0);
    expect(await onMgr(`docker exec ${c} sh -c "grep -v '^#' /var/lib/postgresql/data/pg_hba.conf | grep -c trust || true"`)).toBe('0\n');
  }, 120_000);

  it('a second apply changes nothing and restarts no task; check then exits 0', async () => {
    const before = await serviceTasks();
    const again = await comms();
    expect(again.code, explain(again)).toBe(0);
    expect(again.recap?.hosts[mgr]?.changed, explain(again)).toBe(0);
    expect(await serviceTasks()).toBe(before);
    // And check agrees: nothing to change (exit 0), every self-check passing.
    const check = await runWith(['check', 'playbooks/comms.yml']);
    expect(check.code, explain(check)).toBe(0);
    for (const n of ['self-check: HTTPS', 'self-check: SMTP', 'self-check: IMAP']) expect(taskEvents(check, mgr).find((e) => e.task.startsWith(n))?.status, n).toBe('ok');
  }, 600_000);
  it('fleet check after someone scaled Caddy by hand shows the drift with a diff, changes nothing and exits 2', async () => {
    // Host-mode port 443 on one node: the second task cannot start, the first keeps serving.
    await onMgr('docker service scale -d comms-proxy_caddy=2 >/dev/null');
    const check = await runWith(['check', 'playbooks/comms.yml', '--diff']);
    expect(check.code, explain(check)).toBe(2);
    const events = taskEvents(check, mgr);
    const proxy = events.find((e) => e.task.startsWith('stack proxy'));
    expect(proxy?.status, explain(check)).toBe('changed');
    expect(proxy?.diff).toContain('-  replicas: 2');
    expect(proxy?.diff).toContain('+  replicas: 1');
    // Only the drifted stack would change; the self-checks still pass.
    for (const n of ['stack db', 'stack mail', 'self-check: HTTPS', 'self-check: SMTP', 'self-check: IMAP']) expect(events.find((e) => e.task.startsWith(n))?.status, n).toBe('ok');
    expect((await onMgr("docker service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' comms-proxy_caddy")).trim()).toBe('2');
  }, 600_000);
});
