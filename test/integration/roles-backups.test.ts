// The backups role and `fleet backup` over real SSH on three lab hosts: two clients back up
// to a restic repository on the third over SFTP (next to harden-ssh, which owns sshd_config
// there). Proven by a restore drill (files and a PostgreSQL table destroyed, restored,
// compared), a status that fails when the repository host is blocked during a run or the
// last snapshot is too old, a password that shows up nowhere, a wrong password that changes
// nothing, idempotence and drift.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import YAML from 'yaml';
import { ageGenerateIdentity, ageRecipientOf } from '../../src/secrets/age-sync.js';
import { SecretStore } from '../../src/secrets/store.js';
import { BUILD_POSTGRES_IMAGE, REPO_ROOT, describeLab, runPostgresContainer, labHosts, labInfo, makeProject, resetHost, runFleet, sshRun, taskEvents, type FleetRun, type Project } from './helpers/index.js';

const PASSWORD = 'Tr0ub4dor-and-3-horses-battery-staple';
// The controller's age identity for the secrets store (its own, not the machine's).
const IDENTITY = ageGenerateIdentity();
const STORE_SECRET = 'backups_repository_password';
const changed = (run: FleetRun, host: string) => run.recap?.hosts[host]?.changed ?? -1;
const explain = (run: FleetRun) => `exit ${run.code}\n${run.stdout.slice(-3000)}\n${run.stderr}\n${JSON.stringify(run.recap?.failures ?? [], null, 1)}`;

async function must(host: string, cmd: string, timeoutMs?: number): Promise<string> {
  const r = await sshRun(host, cmd, { timeoutMs });
  if (r.code !== 0) throw new Error(`${host}: '${cmd.slice(0, 200)}' exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Poll until fn() holds, with a generous deadline (the machine is shared and slow). */
async function until<T>(what: string, fn: () => Promise<T | undefined | false>, deadlineMs = 120_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const FILES = '/srv/data';
const WRITE_FILES = `set -e
rm -rf ${FILES}; mkdir -p ${FILES}/sub ${FILES}/cache ${FILES}/app/.cache
printf 'hello from %s\\n' "$(hostname)" > ${FILES}/hello.txt
head -c 300000 /dev/urandom > ${FILES}/sub/blob.bin
printf 'it'"'"'s "quoted" and spaced\\n' > '${FILES}/sub/name with spaces.txt'
chmod 0640 ${FILES}/sub/blob.bin
head -c 50000 /dev/urandom > ${FILES}/cache/skip.bin
head -c 50000 /dev/urandom > ${FILES}/app/.cache/skip.bin
`;
/** Checksums, modes and owners of everything that must come back (caches are excluded). */
const SUMS = `cd ${FILES} && find . -path ./cache -prune -o -path ./app/.cache -prune -o -type f -print | LC_ALL=C sort | while IFS= read -r f; do printf '%s %s ' "$(stat -c '%a %U' "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"; printf '%s\\n' "$f"; done`;
const PSQL = (sql: string) => `cd / && runuser -u postgres -- psql -d app -tAc "${sql}"`;
const TABLE_FINGERPRINT = PSQL("SELECT count(*) || ' ' || md5(string_agg(id || ':' || v, ',' ORDER BY id)) FROM t");

describeLab('role backups and fleet backup', () => {
  let a: ReturnType<typeof labHosts>[number];
  let b: ReturnType<typeof labHosts>[number];
  let repo: ReturnType<typeof labHosts>[number];
  let project: Project;
  let cacheDir: string;
  const outputs: string[] = [];
  const fleet = async (args: string[], json = true): Promise<FleetRun> => {
    const r = await runFleet([...args, '-i', project.inventoryDir], { cwd: project.dir, json, env: { XDG_CACHE_HOME: cacheDir, FLEET_AGE_IDENTITY: IDENTITY } });
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const converge = (cmd: 'apply' | 'check', extra: string[] = []) => fleet([cmd, project.playbook, ...extra]);
  // The failure webhook's receiver, on the controller's address on the lab bridge.
  const hooks: { path?: string; type?: string; body: string }[] = [];
  let server: http.Server | undefined;
  // PostgreSQL's install is the slowest step: it runs while the check on new hosts runs (a
  // check takes no package lock) and is awaited before the first apply.
  let postgres: Promise<string> | undefined;
  // docker for the volume and container tests, installed on a (which has PostgreSQL's
  // binaries for the container image) while the tests before them run: after the first
  // apply, which installs restic there (one package install at a time).
  let docker: Promise<string> | undefined;
  // Every repository password the store generated in this file (none may show up anywhere).
  const generated = new Set<string>();

  beforeAll(async () => {
    [a, b, repo] = labHosts();
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hooks.push({ path: req.url, type: req.headers['content-type'], body });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, labInfo().controllerAddress, resolve));
    const hookUrl = `http://${labInfo().controllerAddress}:${(server.address() as AddressInfo).port}/backup-failed`;
    await Promise.all([a, b, repo].map((h) => resetHost(h.name)));
    // PostgreSQL from Debian's package, through the lab's package source.
    postgres = must(a.name, 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null && systemctl is-active postgresql', 600_000);
    postgres.catch(() => undefined);
    const pub = fs.readFileSync(`${labInfo().keyFile}.pub`, 'utf8').trim();
    const hv = (h: typeof a) => ({ ansible_host: h.address, ansible_user: 'root', ansible_ssh_private_key_file: labInfo().keyFile });
    project = makeProject({
      inventory: {
        all: {
          children: {
            clients: { hosts: { [a.name]: hv(a), [b.name]: hv(b) } },
            repositories: { hosts: { [repo.name]: hv(repo) } },
          },
        },
      },
      // harden-ssh owns sshd_config on the repository host: the backups drop-in must live with it.
      playbook: [
        { name: 'harden the repository host', hosts: 'repositories', roles: ['harden-ssh'] },
        { name: 'backups', hosts: 'all', roles: ['backups'] },
      ],
      files: {
        'inventory/group_vars/all.yml': {
          admin_keys: [pub],
          ssh_permit_root_login: 'prohibit-password',
          backups_repository_host: repo.name,
          backups_password: PASSWORD,
          backups_paths: [FILES],
          backups_on_failure_command: 'printf "%s\\n" "$FLEET_BACKUPS_MESSAGE" > /var/lib/fleet-backups/failure-hook.txt',
          backups_on_failure_url: hookUrl,
        },
        'inventory/group_vars/repositories.yml': { backups_enabled: false },
        [`inventory/host_vars/${a.name}.yml`]: { backups_postgres: [{ name: 'app', database: 'app' }] },
      },
    });
    fs.symlinkSync(path.join(REPO_ROOT, 'roles'), path.join(project.dir, 'roles'));
    cacheDir = path.join(project.dir, 'cache');
  }, 300_000);

  afterAll(async () => {
    server?.close();
    await postgres?.catch(() => undefined);
    await docker?.catch(() => undefined);
    project?.cleanup();
    if (a) await Promise.all([a, b, repo].map((h) => resetHost(h.name)));
  });

  it('check mode on new hosts says what it would do, initialising included, and touches nothing', async () => {
    const run = await converge('check');
    expect(run.code, explain(run)).toBe(2);
    const init = taskEvents(run, a.name).find((e) => e.task === 'initialise the repository');
    expect(init?.status).toBe('changed');
    const user = taskEvents(run, repo.name).find((e) => e.task === 'create the backup users');
    expect(user?.status).toBe('changed');
    for (const h of [a, b]) expect((await sshRun(h.name, 'test -e /etc/fleet-backups || test -e /usr/local/sbin/fleet-backups')).code).not.toBe(0);
    expect((await sshRun(repo.name, `getent group fleet-backups || test -e /etc/ssh/sshd_config.d/50-fleet-backups.conf`)).code).not.toBe(0);
  });

  it('first apply: two clients, a chrooted SFTP-only repository on the third, the timer listed', async () => {
    expect(await postgres).toMatch(/^active$/m);
    const run = await converge('apply', ['--diff']);
    expect(run.code, explain(run)).toBe(0);
    for (const h of [a, b, repo]) expect(changed(run, h.name)).toBeGreaterThan(0);

    // The repository host: harden-ssh's sshd_config is intact and sshd itself confines the users.
    const sshd = await must(repo.name, `grep -c 'role harden-ssh' /etc/ssh/sshd_config; /usr/sbin/sshd -T -C user=backup-${a.name},host=x,addr=${a.address}; stat -c '%U %a' /srv/fleet-backups/backup-${a.name} /srv/fleet-backups/backup-${a.name}/repo; id -nG backup-${a.name}`);
    expect(sshd).toMatch(/^1$/m);
    expect(sshd).toMatch(/^chrootdirectory \/srv\/fleet-backups\/%u$/m);
    expect(sshd).toMatch(/^authorizedkeysfile \/etc\/ssh\/fleet-backups-keys\/%u$/m);
    expect(sshd).toMatch(/^permittty no$/m);
    expect(sshd).toMatch(/^forcecommand internal-sftp -d \/repo$/m);
    expect(sshd).toMatch(/^permitrootlogin without-password$/m);
    expect(sshd).toMatch(new RegExp(`^root 755\\nbackup-${a.name} 700$`, 'm'));
    expect(sshd).toMatch(/^fleet-backups$/m);
    // The client's key opens SFTP only, and only its own directory.
    const sftp = await must(a.name, `printf 'ls -a /\\nls -a /repo\\n' | sftp -q -F /etc/fleet-backups/ssh_config -b - fleet-backups-repository; ssh -F /etc/fleet-backups/ssh_config fleet-backups-repository id </dev/null 2>&1 || true`);
    expect(sftp).toMatch(/\bconfig\b/);
    expect(sftp).not.toContain(`backup-${b.name}`);
    expect(sftp).toContain('This service allows sftp connections only.');
    expect(sftp).not.toMatch(/uid=/);

    for (const h of [a, b]) {
      const st = await must(h.name, 'systemctl is-active fleet-backups.timer; systemctl is-enabled fleet-backups.timer; systemctl list-timers --all fleet-backups.timer --no-pager; stat -c "%U %a" /etc/fleet-backups/password /etc/fleet-backups; cat /etc/systemd/system/fleet-backups.timer; /usr/local/sbin/fleet-backups restic cat config >/dev/null && echo repository-opens');
      expect(st).toMatch(/^active\nenabled$/m);
      expect(st).toMatch(/fleet-backups\.timer\s+fleet-backups\.service/);
      expect(st).toMatch(/^root 600\nroot 700$/m);
      expect(st).toMatch(/^RandomizedDelaySec=1h$/m);
      expect(st).toMatch(/^Persistent=true$/m);
      expect(st).toMatch(/^repository-opens$/m);
    }
    // The repository host's keys pinned on the client are exactly those the inventory pins.
    const pinned = (await must(a.name, 'cat /etc/fleet-backups/known_hosts')).split('\n').filter((l) => l.startsWith('fleet-backups-repository '));
    const controllerPins = fs
      .readFileSync(project.knownHostsFile, 'utf8')
      .split('\n')
      .filter((l) => l.split(' ')[0].split(',').includes(repo.address))
      .map((l) => `fleet-backups-repository ${l.split(' ').slice(1, 3).join(' ')}`);
    expect(controllerPins.length).toBeGreaterThan(0);
    expect(pinned.sort()).toEqual(controllerPins.sort());
    docker = must(a.name, 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 docker.io >/dev/null && docker version --format "{{.Server.Version}}"', 600_000);
    docker.catch(() => undefined);
  }, 900_000); // PostgreSQL's install may still be running: it is awaited here.

  it('a second apply changes nothing', async () => {
    const run = await converge('apply');
    expect(run.code, explain(run)).toBe(0);
    for (const h of [a, b, repo]) expect(changed(run, h.name), h.name).toBe(0);
  });

  let sumsA = '';
  let sumsB = '';
  let table = '';
  let snapshotB = '';

  it('restore drill: files and a PostgreSQL table backed up, destroyed, restored identical; the password never on the process list', async () => {
    await must(a.name, WRITE_FILES);
    await must(b.name, WRITE_FILES);
    await must(a.name, `cd / && runuser -u postgres -- createdb app && ${PSQL("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) || ' row ''' || g FROM generate_series(1, 5000) g")}`);
    sumsA = await must(a.name, SUMS);
    sumsB = await must(b.name, SUMS);
    table = (await must(a.name, TABLE_FINGERPRINT)).trim();
    expect(table).toMatch(/^5000 [0-9a-f]{32}$/);
    expect(sumsA.split('\n').filter(Boolean)).toHaveLength(3);

    // Watch a's process list and every readable environment while the backup runs, over a
    // separate connection, until the test says stop.
    const watch = sshRun(
      a.name,
      `rm -f /tmp/stop-watch; n=0; while [ ! -e /tmp/stop-watch ] && [ $n -lt 3000 ]; do n=$((n + 1)); ps -eo args; for e in /proc/[0-9]*/environ; do tr '\\0' '\\n' < "$e" 2>/dev/null; done; sleep 0.05; done; echo "rounds=$n"`,
      { timeoutMs: 400_000 },
    );
    const run = await fleet(['backup', 'run', 'clients'], false);
    await must(a.name, 'touch /tmp/stop-watch');
    const watched = await watch;
    expect(run.code, explain(run)).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^${a.name}: ok: snapshot [0-9a-f]{8}`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^${b.name}: ok: snapshot [0-9a-f]{8}`, 'm'));
    // The watch really saw the backup (restic and its ssh to the repository), and never the password.
    expect(watched.stdout).toMatch(/^restic .*backup/m);
    expect(watched.stdout).toMatch(/^ssh -F \/etc\/fleet-backups\/ssh_config fleet-backups-repository -s sftp$/m);
    expect(watched.stdout).toMatch(/^RESTIC_PASSWORD_FILE=\/etc\/fleet-backups\/password$/m);
    expect(watched.stdout).not.toContain(PASSWORD);

    const st = await fleet(['backup', 'status', 'clients', '--json'], false);
    expect(st.code, explain(st)).toBe(0);
    const rows = st.stdout.trim().split('\n').map((l) => JSON.parse(l));
    snapshotB = rows.find((r) => r.host === b.name).snapshot;
    expect(snapshotB).toMatch(/^[0-9a-f]{8}$/);
    // Caches are not in the snapshot.
    const ls = await must(a.name, `/usr/local/sbin/fleet-backups restic ls latest`);
    expect(ls).toContain(`${FILES}/sub/blob.bin`);
    expect(ls).not.toContain('skip.bin');
    expect(ls).toContain('/var/lib/fleet-backups/dumps/app.pgdump');

    // Destroy, restore, compare.
    await must(a.name, `rm -rf ${FILES} && cd / && runuser -u postgres -- dropdb app`);
    await must(b.name, `rm -rf ${FILES}`);
    const ra = await fleet(['backup', 'restore', a.name, '--snapshot', 'latest', '--path', FILES, '--database', 'app'], false);
    expect(ra.code, explain(ra)).toBe(0);
    const rb = await fleet(['backup', 'restore', b.name, '--snapshot', snapshotB, '--path', FILES], false);
    expect(rb.code, explain(rb)).toBe(0);
    expect(await must(a.name, SUMS)).toBe(sumsA);
    expect(await must(b.name, SUMS)).toBe(sumsB);
    expect((await must(a.name, TABLE_FINGERPRINT)).trim()).toBe(table);

    // Into a running database whose rows were changed, and files under another directory.
    await must(a.name, PSQL('DELETE FROM t WHERE id > 10; UPDATE t SET v = \'x\''));
    const again = await fleet(['backup', 'restore', a.name, '--snapshot', 'latest', '--database', 'app', '--path', `${FILES}/sub`, '--to', '/tmp/restored'], false);
    expect(again.code, explain(again)).toBe(0);
    expect((await must(a.name, TABLE_FINGERPRINT)).trim()).toBe(table);
    const under = await must(a.name, `cd /tmp/restored${FILES}/sub && sha256sum blob.bin 'name with spaces.txt' | cut -d' ' -f1`);
    for (const sum of under.trim().split('\n')) expect(sumsA).toContain(sum);
  });

  it('status: zero when all is well, non-zero when the last snapshot is older than the threshold', async () => {
    const ok = await fleet(['backup', 'status'], false);
    expect(ok.code, explain(ok)).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^${a.name}\\s+[0-9a-f]{8}\\s+\\S+`, 'm'));
    expect(ok.stdout).toMatch(new RegExp(`^${repo.name}\\s.*\\boff$`, 'm'));
    const old = await until('the snapshots to be older than 2s', async () => {
      const r = await fleet(['backup', 'status', 'clients', '--max-age', '2s'], false);
      return r.code !== 0 && r;
    });
    expect(old.code).toBe(1);
    expect(old.stdout).toMatch(new RegExp(`^${a.name}: last snapshot is \\S+ old \\(limit 2s\\)$`, 'm'));
  });

  it('status fails when the repository host is down during the scheduled run; the failure hook is called; the next run recovers', async () => {
    // The repository host refuses this client's connections: the timer's service runs and fails.
    const block = `iptables -I INPUT -s ${b.address} -p tcp -j REJECT --reject-with tcp-reset`;
    await must(repo.name, block);
    try {
      const r = await sshRun(b.name, 'systemctl start fleet-backups.service');
      expect(r.code).not.toBe(0);
      const st = await fleet(['backup', 'status'], false);
      expect(st.code, explain(st)).toBe(1);
      expect(st.stdout).toMatch(new RegExp(`^${b.name}: last run failed .*Connection refused`, 'm'));
      expect(st.stdout).not.toMatch(new RegExp(`^${a.name}: `, 'm'));
      const hook = await until('the failure hook', async () => {
        const h = await sshRun(b.name, 'cat /var/lib/fleet-backups/failure-hook.txt');
        return h.code === 0 && h.stdout;
      });
      expect(hook).toContain(`backup of ${b.name} failed`);
      const posted = await until('the failure webhook', async () => hooks.find((h) => h.body.includes(`"host":"${b.name}"`)));
      expect(posted.path).toBe('/backup-failed');
      expect(posted.type).toBe('application/json');
      const body = JSON.parse(posted.body);
      expect(body).toMatchObject({ host: b.name, result: 'failed' });
      expect(body.message).toMatch(/Connection refused/);
      expect(body.text).toContain(`backup of ${b.name} failed`);
    } finally {
      await must(repo.name, block.replace('-I INPUT', '-D INPUT'));
    }
    const run = await fleet(['backup', 'run', b.name], false);
    expect(run.code, explain(run)).toBe(0);
    const st = await fleet(['backup', 'status'], false);
    expect(st.code, explain(st)).toBe(0);
  });

  it('a wrong password fails with restic\'s message and changes nothing', async () => {
    const before = await must(a.name, 'sha256sum /etc/fleet-backups/password; /usr/local/sbin/fleet-backups restic snapshots --json | tr "," "\\n" | grep -c \'"id"\'; /usr/local/sbin/fleet-backups restic key list | wc -l');
    const run = await converge('apply', ['-l', `${a.name}:${repo.name}`, '-e', 'backups_password=not-the-password-at-all']);
    expect(run.code, explain(run)).toBe(1);
    expect(changed(run, a.name)).toBe(0);
    expect(changed(run, repo.name)).toBe(0);
    const failure = run.recap?.failures.find((f) => f.host === a.name);
    expect(failure?.task).toBe('store the repository password');
    expect(failure?.stderr).toContain('Fatal: wrong password or no key found');
    // The same password file, snapshots and keys: the repository opens as before.
    expect(await must(a.name, 'sha256sum /etc/fleet-backups/password; /usr/local/sbin/fleet-backups restic snapshots --json | tr "," "\\n" | grep -c \'"id"\'; /usr/local/sbin/fleet-backups restic key list | wc -l')).toBe(before);
  });

  it('drift (timer disabled by hand, retention edited) is shown by check with a diff, and left alone', async () => {
    await must(a.name, 'systemctl disable --now fleet-backups.timer && sed -i "s/^BACKUPS_KEEP_DAILY=7$/BACKUPS_KEEP_DAILY=1/" /etc/fleet-backups/config');
    const run = await converge('check', ['--diff', '-l', `${a.name}:${repo.name}`]);
    expect(run.code, explain(run)).toBe(2);
    const timer = taskEvents(run, a.name).find((e) => e.task === 'run the backup timer');
    expect(timer?.status).toBe('changed');
    expect(timer?.msg).toMatch(/start fleet-backups\.timer.*enable fleet-backups\.timer/);
    const config = taskEvents(run, a.name).find((e) => e.task === 'write the backup configuration');
    expect(config?.status).toBe('changed');
    expect(config?.diff).toMatch(/^-BACKUPS_KEEP_DAILY=1$/m);
    expect(config?.diff).toMatch(/^\+BACKUPS_KEEP_DAILY=7$/m);
    expect(changed(run, repo.name)).toBe(0);
    expect(await must(a.name, 'systemctl is-enabled fleet-backups.timer || true; grep ^BACKUPS_KEEP_DAILY= /etc/fleet-backups/config')).toBe('disabled\nBACKUPS_KEEP_DAILY=1\n');
    const fix = await converge('apply', ['-l', `${a.name}:${repo.name}`]);
    expect(fix.code, explain(fix)).toBe(0);
    expect(await must(a.name, 'systemctl is-active fleet-backups.timer; grep ^BACKUPS_KEEP_DAILY= /etc/fleet-backups/config')).toBe('active\nBACKUPS_KEEP_DAILY=7\n');
  });

  // ---- the password from the secrets store -------------------------------------------------
  const secretsFile = () => path.join(project.inventoryDir, 'secrets.yml');
  /** This host's value in the store, read as a new process would (the test's own store). */
  const storeValue = (host: string) => {
    const v = new SecretStore(secretsFile(), { env: { FLEET_AGE_IDENTITY: IDENTITY } }).reveal(`${STORE_SECRET}@${host}`);
    generated.add(v);
    return v;
  };
  const sha = (v: string) => createHash('sha256').update(v).digest('hex');
  const REPO_FACTS = `sha256sum < /etc/fleet-backups/password | cut -d' ' -f1; /usr/local/sbin/fleet-backups restic snapshots --json | tr "," "\\n" | grep -c '"id"'; /usr/local/sbin/fleet-backups restic key list | grep -c '^[ *][0-9a-f]'`;
  /** Does this password (sent on stdin, into a root-only file) open the host's repository? */
  const opens = async (host: string, password: string) =>
    (await sshRun(host, `f=$(mktemp); cat > "$f"; /usr/local/sbin/fleet-backups restic --no-lock --password-file "$f" cat config >/dev/null 2>&1; rc=$?; rm -f "$f"; exit $rc`, { input: password })).code === 0;
  const before: Record<string, string[]> = {};

  it('the password from the secrets store: the first apply generates one per host, encrypted into the secrets file, and moves the repository onto it', async () => {
    // An operator's project gets a secrets file, and the hand-set password goes.
    const init = await fleet(['secrets', 'init'], false);
    expect(init.code, explain(init)).toBe(0);
    const allVars = path.join(project.inventoryDir, 'group_vars', 'all.yml');
    const vars = YAML.parse(fs.readFileSync(allVars, 'utf8')) as Record<string, unknown>;
    delete vars.backups_password;
    fs.writeFileSync(allVars, YAML.stringify(vars));
    for (const h of [a, b]) before[h.name] = (await must(h.name, REPO_FACTS)).trim().split('\n');
    expect(before[a.name][0]).toBe(sha(PASSWORD));
    expect(before[a.name][2]).toBe('1');

    const run = await converge('apply');
    expect(run.code, explain(run)).toBe(0);
    // Generated for the two clients only (the repository host backs nothing up), and said so.
    for (const h of [a, b]) expect(run.stderr).toContain(`note: generated secret ${STORE_SECRET}@${h.name}, encrypted into ${secretsFile()}`);
    expect(run.stderr).not.toContain('throwaway');
    const file = fs.readFileSync(secretsFile(), 'utf8');
    const entries = new SecretStore(secretsFile(), { env: { FLEET_AGE_IDENTITY: IDENTITY } }).entries().map((e) => e.name).sort();
    expect(entries).toEqual([`${STORE_SECRET}@${a.name}`, `${STORE_SECRET}@${b.name}`].sort());
    expect(new SecretStore(secretsFile()).recipients).toEqual([ageRecipientOf(IDENTITY)]);
    for (const h of [a, b]) {
      const value = storeValue(h.name);
      expect(value).toMatch(/^[A-Za-z0-9]{48}$/);
      expect(file).not.toContain(value);
      // The host's password file is the store's value; restic opens the repository with it,
      // every snapshot is still there, and the hand-set password's key is gone.
      const now = (await must(h.name, REPO_FACTS)).trim().split('\n');
      expect(now).toEqual([sha(value), before[h.name][1], '1']);
      expect(await opens(h.name, value)).toBe(true);
      expect(await opens(h.name, PASSWORD)).toBe(false);
      const ev = (task: string) => taskEvents(run, h.name).find((e) => e.task === task)?.status;
      expect(ev('store the repository password')).toBe('changed');
      expect(ev('remove the key of a rotated-out password')).toBe('changed');
    }
    expect(changed(run, repo.name)).toBe(0);
  });

  it('a second apply reuses the stored password: 0 changed, the secrets file untouched, a backup runs with it', async () => {
    const file = fs.readFileSync(secretsFile(), 'utf8');
    const run = await converge('apply');
    expect(run.code, explain(run)).toBe(0);
    for (const h of [a, b, repo]) expect(changed(run, h.name), h.name).toBe(0);
    expect(run.stderr).not.toContain('generated secret');
    expect(fs.readFileSync(secretsFile(), 'utf8')).toBe(file);
    for (const h of [a, b]) expect((await must(h.name, REPO_FACTS)).trim().split('\n')[0]).toBe(sha(storeValue(h.name)));
    const bk = await fleet(['backup', 'run', b.name], false);
    expect(bk.code, explain(bk)).toBe(0);
    expect(bk.stdout).toMatch(new RegExp(`^${b.name}: ok: snapshot [0-9a-f]{8}`, 'm'));
  });

  it('fleet secrets rotate: the next apply adds the new key, replaces the password file, removes the old key; snapshots stay', async () => {
    const old = { [a.name]: storeValue(a.name), [b.name]: storeValue(b.name) };
    const counts = Object.fromEntries(await Promise.all([a, b].map(async (h) => [h.name, (await must(h.name, REPO_FACTS)).trim().split('\n')[1]])));
    const rot = await fleet(['secrets', 'rotate', STORE_SECRET], false);
    expect(rot.code, explain(rot)).toBe(0);
    const run = await converge('apply');
    expect(run.code, explain(run)).toBe(0);
    for (const h of [a, b]) {
      const value = storeValue(h.name);
      expect(value).not.toBe(old[h.name]);
      expect((await must(h.name, REPO_FACTS)).trim().split('\n')).toEqual([sha(value), counts[h.name], '1']);
      expect(await opens(h.name, value)).toBe(true);
      expect(await opens(h.name, old[h.name])).toBe(false);
      expect(taskEvents(run, h.name).find((e) => e.task === 'remove the key of a rotated-out password')?.status).toBe('changed');
    }
    // Restores still work with the rotated password.
    const st = await fleet(['backup', 'status', 'clients'], false);
    expect(st.code, explain(st)).toBe(0);
  });

  // ---- docker volumes, for real ------------------------------------------------------------
  it('a docker volume: backed up by the role, the volume destroyed, restored by fleet backup restore, identical', async () => {
    expect(await docker).toMatch(/^\d+\.\d+/m);
    const VOL = 'fleet-test-data';
    await must(a.name, `docker volume rm -f ${VOL} >/dev/null; docker volume create ${VOL} >/dev/null`);
    const mp = (await must(a.name, `docker volume inspect --format '{{ .Mountpoint }}' ${VOL}`)).trim();
    expect(mp).toBe(`/var/lib/docker/volumes/${VOL}/_data`);
    await must(a.name, `set -e; cd ${mp}; mkdir -p db/sub; head -c 400000 /dev/urandom > db/sub/data.bin; printf 'volume of %s\\n' "$(hostname)" > 'a file.txt'; chown 999:999 db/sub/data.bin; chmod 0600 db/sub/data.bin`);
    const volSums = `cd ${mp} && find . -type f | LC_ALL=C sort | while IFS= read -r f; do printf '%s %s %s\\n' "$(stat -c '%a %u' "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)" "$f"; done`;
    const sums = await must(a.name, volSums);
    expect(sums.trim().split('\n')).toHaveLength(2);

    fs.writeFileSync(path.join(project.inventoryDir, 'host_vars', `${a.name}.yml`), YAML.stringify({ backups_postgres: [{ name: 'app', database: 'app' }], backups_docker_volumes: [VOL] }));
    const run = await converge('apply', ['-l', `${a.name}:${repo.name}`]);
    expect(run.code, explain(run)).toBe(0);
    expect(taskEvents(run, a.name).find((e) => e.task === 'write the backup configuration')?.status).toBe('changed');
    const bk = await fleet(['backup', 'run', a.name], false);
    expect(bk.code, explain(bk)).toBe(0);
    expect(await must(a.name, '/usr/local/sbin/fleet-backups restic ls latest')).toContain(`${mp}/db/sub/data.bin`);

    // Destroyed with the volume itself; a new, empty volume of the same name takes its place.
    await must(a.name, `docker volume rm ${VOL} >/dev/null && docker volume create ${VOL} >/dev/null && test -z "$(ls -A ${mp})"`);
    const rs = await fleet(['backup', 'restore', a.name, '--snapshot', 'latest', '--path', mp], false);
    expect(rs.code, explain(rs)).toBe(0);
    expect(await must(a.name, volSums)).toBe(sums);
    // docker sees the data in its volume.
    expect(await must(a.name, `docker volume inspect --format '{{ .Mountpoint }}' ${VOL} && cat '${mp}/a file.txt'`)).toBe(`${mp}\nvolume of ${a.name}\n`);
  }, 900_000); // docker's install may still be running: it is awaited here.

  it('PostgreSQL in a container: dumped with docker exec before the snapshot, the database dropped, restored by fleet backup restore --database, identical', async () => {
    // The image: Debian's PostgreSQL from a's own package (see helpers/postgres-image.ts).
    expect((await must(a.name, BUILD_POSTGRES_IMAGE, 300_000)).trim()).toMatch(/^\d+$/);
    await must(a.name, `docker volume rm -f fleet-pgdata >/dev/null 2>&1; ${runPostgresContainer('fleet-pg', 'fleet-pgdata')}`, 120_000);
    const psql = (sql: string) => `docker exec fleet-pg psql -U postgres -d shop -v ON_ERROR_STOP=1 -tAc "${sql}"`;
    const fingerprint = psql("SELECT count(*) || ' ' || md5(string_agg(id || ':' || v, ',' ORDER BY id)) FROM orders");
    await must(a.name, `docker exec fleet-pg createdb -U postgres shop && ${psql("CREATE TABLE orders (id int PRIMARY KEY, v text); INSERT INTO orders SELECT g, md5(g::text) || ' order ''' || g FROM generate_series(1, 3000) g")}`);
    const rows = (await must(a.name, fingerprint)).trim();
    expect(rows).toMatch(/^3000 [0-9a-f]{32}$/);
    // The server really runs in the container: its process is the container's, not a host service.
    expect(await must(a.name, 'docker top fleet-pg -eo pid,args')).toMatch(/^\s*\d+\s+postgres$/m);

    fs.writeFileSync(
      path.join(project.inventoryDir, 'host_vars', `${a.name}.yml`),
      YAML.stringify({ backups_postgres: [{ name: 'app', database: 'app' }, { name: 'shop', database: 'shop', container: 'fleet-pg' }] }),
    );
    const run = await converge('apply', ['-l', `${a.name}:${repo.name}`]);
    expect(run.code, explain(run)).toBe(0);
    const bk = await fleet(['backup', 'run', a.name], false);
    expect(bk.code, explain(bk)).toBe(0);
    expect(await must(a.name, '/usr/local/sbin/fleet-backups restic ls latest')).toContain('/var/lib/fleet-backups/dumps/shop.pgdump');

    // Dropped: restored by creating it from the dump.
    await must(a.name, 'docker exec fleet-pg dropdb -U postgres shop');
    const r1 = await fleet(['backup', 'restore', a.name, '--snapshot', 'latest', '--database', 'shop'], false);
    expect(r1.code, explain(r1)).toBe(0);
    expect((await must(a.name, fingerprint)).trim()).toBe(rows);
    // Changed in place: restored into the running database.
    await must(a.name, psql("DELETE FROM orders WHERE id > 10; UPDATE orders SET v = 'x'"));
    const r2 = await fleet(['backup', 'restore', a.name, '--snapshot', 'latest', '--database', 'shop'], false);
    expect(r2.code, explain(r2)).toBe(0);
    expect((await must(a.name, fingerprint)).trim()).toBe(rows);
  }, 600_000);

  it('the password is in no output, event, cache or log', async () => {
    expect(outputs.length).toBeGreaterThan(10);
    expect(generated.size).toBeGreaterThanOrEqual(4); // two hosts, before and after the rotation
    const all = [PASSWORD, ...generated];
    for (const o of outputs) for (const pw of all) expect(o).not.toContain(pw);
    for (const h of hooks) for (const pw of all) expect(h.body).not.toContain(pw);
    const cached = fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()) : [];
    expect(cached.length).toBeGreaterThan(0);
    for (const f of cached) for (const pw of all) expect(fs.readFileSync(path.join(f.parentPath, f.name), 'utf8')).not.toContain(pw);
    for (const h of [a, b]) {
      // The passwords go in on stdin, into a file outside the searched directories.
      const r = await sshRun(
        h.name,
        `pf=/run/fleet-test-patterns; cat > $pf; grep -rlF -f $pf /var/cache/fleet-backups /root/.cache /var/lib/fleet-backups /tmp /var/log 2>/dev/null; journalctl --no-pager -q | grep -cF -f $pf; rm -f $pf`,
        { input: `${all.join('\n')}\n` },
      );
      expect(r.stdout.trim(), h.name).toBe('0');
    }
  });
});
