// Secrets over real SSH: a role's generated database password reaches a config file and a
// root-only file, stays stable, and changes exactly those files when rotated; and a canary
// secret never shows up in any output, the cache, or a host's process list.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { base64Forms } from '../../src/report/redact.js';
import {
  describeLab,
  labHosts,
  labInfo,
  makeProject,
  resetHosts,
  runFleet,
  sshRun,
  taskEvents,
  type FleetRun,
  type Project,
} from './helpers/index.js';

const VAULT_FIXTURES = path.resolve(__dirname, '../fixtures/vault');

/** An identity outside every project, as `fleet secrets init` makes it. */
function identityEnv(): { env: NodeJS.ProcessEnv; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-it-identity-'));
  return {
    env: { FLEET_AGE_IDENTITY_FILE: path.join(dir, 'age-identity.txt'), FLEET_AGE_IDENTITY: '' },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

describeLab('secrets: a generated database password on real hosts', () => {
  let project: Project;
  let hosts: string[];
  let id: ReturnType<typeof identityEnv>;
  const fleet = (args: string[], opts: { json?: boolean; input?: string } = {}) =>
    runFleet([...args, '-i', project.inventoryDir], { cwd: project.dir, env: id.env, ...opts });
  const dbValue = async () => {
    const r = await fleet(['secrets', 'get', 'db_password'], { json: false });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  const readBack = async (h: string) => {
    const r = await sshRun(h, 'stat -c "%a %U %G" /etc/dbapp.conf /root/.dbpass; cat /etc/dbapp.conf; echo ---; cat /root/.dbpass');
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    hosts = labHosts()
      .slice(0, 2)
      .map((h) => h.name);
    await resetHosts(hosts);
    id = identityEnv();
    project = makeProject({
      hosts,
      playbook: [{ name: 'database client', hosts: 'lab', roles: ['dbapp'] }],
      roles: {
        dbapp: {
          // The role declares its secret: nobody writes it by hand.
          'secrets.yml': 'db_password:\n  generate: {length: 32}\n  description: the application database password\n',
          'role.yml': { description: 'writes the database password where the application reads it' },
          'tasks.yml': [
            { name: 'config file', template: { src: 'dbapp.conf.hbs', dest: '/etc/dbapp.conf', mode: '0644' } },
            { name: 'root-only password file', copy: { content: '{{ secrets.db_password }}\n', dest: '/root/.dbpass', mode: '0600' } },
            { name: 'a file without secrets', copy: { content: 'static\n', dest: '/etc/dbapp.static' } },
          ],
          'templates/dbapp.conf.hbs': '[database]\nhost = db.internal\nuser = app\npassword = {{ secrets.db_password }}\n',
        },
      },
    });
    const init = await fleet(['secrets', 'init'], { json: false });
    expect(init.code, init.stderr).toBe(0);
  });
  afterAll(() => {
    project?.cleanup();
    id?.cleanup();
  });

  it('check before the first apply generates nothing, writes nothing, and says so', async () => {
    const file = path.join(project.inventoryDir, 'secrets.yml');
    const before = fs.readFileSync(file, 'utf8');
    const run = await fleet(['check', 'playbooks/site.yml', '--diff']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/secret db_password is not generated yet: check mode uses a throwaway value and writes nothing/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    for (const h of hosts) {
      const r = await sshRun(h, 'ls /etc/dbapp.conf /root/.dbpass 2>/dev/null; true');
      expect(r.stdout.trim(), `${h} got a file from a check`).toBe('');
    }
  });

  it('first apply generates the password once, writes both files; the hosts really hold it', async () => {
    const run = await fleet(['apply', 'playbooks/site.yml']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/generated secret db_password, encrypted into .*inventory\/secrets\.yml/);
    for (const h of hosts) expect(run.recap!.hosts[h]).toMatchObject({ changed: 3, failed: 0 });
    const value = await dbValue();
    expect(value).toMatch(/^[A-Za-z0-9]{32}$/);
    const file = fs.readFileSync(path.join(project.inventoryDir, 'secrets.yml'), 'utf8');
    expect(file).toMatch(/db_password:\n\s+generate: \{ length: 32 \}\n\s+value: \|\n\s+-----BEGIN AGE ENCRYPTED FILE-----/);
    expect(file).not.toContain(value);
    for (const h of hosts) {
      expect(await readBack(h)).toBe(
        `644 root root\n600 root root\n[database]\nhost = db.internal\nuser = app\npassword = ${value}\n---\n${value}\n`,
      );
    }
    expect(run.stdout).not.toContain(value);
  });

  it('a second apply changes nothing and generates nothing', async () => {
    const before = fs.readFileSync(path.join(project.inventoryDir, 'secrets.yml'), 'utf8');
    const run = await fleet(['apply', 'playbooks/site.yml']);
    expect(run.code, run.stderr).toBe(0);
    for (const h of hosts) expect(run.recap!.hosts[h]).toMatchObject({ changed: 0, failed: 0, ok: 3 });
    expect(run.stderr).not.toContain('generated secret');
    expect(fs.readFileSync(path.join(project.inventoryDir, 'secrets.yml'), 'utf8')).toBe(before);
  });

  it('after fleet secrets rotate, exactly the two files holding the password change', async () => {
    const old = await dbValue();
    const rot = await fleet(['secrets', 'rotate', 'db_password'], { json: false });
    expect(rot.code, rot.stderr).toBe(0);
    const value = await dbValue();
    expect(value).not.toBe(old);
    const check = await fleet(['check', 'playbooks/site.yml', '--diff']);
    expect(check.code, check.stderr).toBe(2);
    const all = check.stdout + check.stderr;
    expect(all).not.toContain(value);
    expect(all).not.toContain(old); // the diff's old side: the value before the rotation
    const run = await fleet(['apply', 'playbooks/site.yml']);
    expect(run.code, run.stderr).toBe(0);
    for (const h of hosts) {
      const changed = taskEvents(run, h)
        .filter((e) => e.status === 'changed')
        .map((e) => e.task);
      expect(changed.sort()).toEqual(['config file', 'root-only password file']);
      expect(await readBack(h)).toContain(`password = ${value}\n---\n${value}\n`);
    }
    const again = await fleet(['apply', 'playbooks/site.yml']);
    for (const h of hosts) expect(again.recap!.hosts[h]).toMatchObject({ changed: 0, failed: 0 });
  });
});

/** `ps -eo args` on a host, every 50 ms, over its own ssh connection, until stopped. */
function watchProcesses(host: string): { stop: () => Promise<string> } {
  const info = labInfo();
  const h = labHosts().find((x) => x.name === host)!;
  const child: ChildProcess = spawn(
    'ssh',
    [
      '-T',
      '-i',
      info.keyFile,
      '-o',
      `UserKnownHostsFile=${info.knownHostsFile}`,
      '-o',
      'BatchMode=yes',
      '-o',
      'LogLevel=ERROR',
      `root@${h.address}`,
      '--',
      'while :; do ps -eo args; echo @@; sleep 0.05; done',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let seen = '';
  child.stdout!.on('data', (b: Buffer) => (seen += b.toString()));
  return {
    stop: () =>
      new Promise((resolve) => {
        child.on('close', () => resolve(seen));
        child.kill('SIGTERM');
      }),
  };
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

describeLab('secrets: the canary never leaks', () => {
  // ", \ and ' on purpose: JSON and shell quoting change how a value looks in text.
  const CANARY = `cAnArY-7f3a9c1e5d"x\\y'z`;
  const INVENTORY_PW = 'inv-smtp-pw-0b8e1d77';
  const VAULT_PW = 's3cr3t-from-a-vault-file';
  // Every other way a value becomes secret (issue 13): nested under a secret name, not a
  // string, a role default, a role parameter, an -e value.
  const NESTED_PW = 'nested-db-pw-5c1d9e';
  const NUMBER_TOKEN = 918273645546;
  const ROLE_DEFAULT = 'role-default-api-key-3e8a';
  const ROLE_PARAM = 'role-param-secret-6f2b';
  const EXTRA_TOKEN = 'extra-var-token-9d4c';
  let project: Project;
  let hosts: string[];
  let id: ReturnType<typeof identityEnv>;
  let cache: string;
  const outputs: { what: string; text: string }[] = [];
  let processes = '';
  let env: NodeJS.ProcessEnv;

  const fleet = async (
    what: string,
    args: string[],
    opts: { json?: boolean; input?: string; env?: NodeJS.ProcessEnv } = {},
  ): Promise<FleetRun> => {
    const watchers = hosts.map(watchProcesses);
    // The -e secret rides along on every run of the playbook.
    const extra = args[0] === 'apply' || args[0] === 'check' ? ['-e', `{"extra_token": "${EXTRA_TOKEN}"}`] : [];
    const run = await runFleet([...args, ...extra, '-i', project.inventoryDir], {
      cwd: project.dir,
      env: { ...env, ...opts.env },
      json: opts.json,
      input: opts.input,
    });
    for (const w of watchers) processes += await w.stop();
    outputs.push({ what, text: run.stdout + run.stderr });
    return run;
  };

  beforeAll(async () => {
    hosts = labHosts()
      .slice(2, 4)
      .map((h) => h.name);
    await resetHosts(hosts);
    id = identityEnv();
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-it-cache-'));
    env = { ...id.env, XDG_CACHE_HOME: cache, ANSIBLE_VAULT_PASSWORD_FILE: path.join(VAULT_FIXTURES, 'vault-pass.txt') };
    const inventory = {
      all: {
        vars: { smtp_password: INVENTORY_PW, db: { password: NESTED_PW }, backup_token: NUMBER_TOKEN },
        children: {
          lab: {
            hosts: Object.fromEntries(
              labHosts()
                .filter((h) => hosts.includes(h.name))
                .map((h) => [h.name, { ansible_host: h.address, ansible_user: 'root', ansible_ssh_private_key_file: labInfo().keyFile }]),
            ),
          },
        },
      },
    };
    project = makeProject({
      inventory,
      playbook: [{ name: 'canary', hosts: 'lab', roles: [{ role: 'canary', vars: { canary_param_secret: ROLE_PARAM } }] }],
      roles: {
        canary: {
          'role.yml': {
            description: 'handles a secret every way a role can',
            variables: {
              type: 'object',
              properties: {
                canary_fail: { type: 'boolean', default: false },
                canary_api_key: { type: 'string', default: ROLE_DEFAULT },
                canary_param_secret: { type: 'string' },
              },
              additionalProperties: false,
            },
          },
          'tasks.yml': [
            { name: 'config from a template', template: { src: 'canary.conf.hbs', dest: '/etc/canary.conf', mode: '0640' } },
            { name: 'root-only copy', copy: { content: '{{ secrets.canary_token }}', dest: '/root/canary.secret', mode: '0600' } },
            { name: 'a line', line: { path: '/etc/canary.lines', line: 'api={{ secrets.canary_token }}', create: true, mode: '0600' } },
            { name: 'read it back', command: { cmd: 'cat /root/canary.secret' }, changed_when: false, register: 'canary_read' },
            {
              name: 'hash it with the value in the environment',
              shell: { cmd: 'printf "%s" "$TOKEN" | sha256sum', environment: { TOKEN: '{{ secrets.canary_token }}' } },
              changed_when: false,
              register: 'canary_hash',
            },
            {
              name: 'a task that fails and prints it',
              shell: {
                cmd: 'printf "token is %s\\n" "$TOKEN" >&2; printf "%s" "$TOKEN"; exit 3',
                environment: { TOKEN: '{{ secrets.canary_token }}' },
              },
              when: 'canary_fail',
            },
          ],
          'templates/canary.conf.hbs':
            'token = {{ secrets.canary_token }}\nsmtp = {{ smtp_password }}\nvault = {{ vault_db_password }}\n{{json secrets.canary_token}}\n{{b64 secrets.canary_token}}\n' +
            'nested = {{ db.password }}\nnumber = {{ backup_token }}\ndefault = {{ canary_api_key }}\nparam = {{ canary_param_secret }}\n' +
            'extra = {{ extra_token }}\n{{json db}}\n',
        },
      },
    });
    // Ansible users' vaulted group_vars, read with the password from ANSIBLE_VAULT_PASSWORD_FILE.
    fs.mkdirSync(path.join(project.inventoryDir, 'group_vars'), { recursive: true });
    fs.copyFileSync(path.join(VAULT_FIXTURES, 'whole-1.1.yml'), path.join(project.inventoryDir, 'group_vars', 'all.yml'));
    expect((await fleet('init', ['secrets', 'init'], { json: false })).code).toBe(0);
    const set = await fleet('set', ['secrets', 'set', 'canary_token'], { json: false, input: CANARY });
    expect(set.code, set.stderr).toBe(0);
  });
  afterAll(() => {
    project?.cleanup();
    id?.cleanup();
    if (cache) fs.rmSync(cache, { recursive: true, force: true });
  });

  it('apply, a second apply, check, check --diff on a drifted host, FLEET_TRACE, plain output, and a failing task', async () => {
    const first = await fleet('apply --json', ['apply', 'playbooks/site.yml']);
    expect(first.code, first.stderr).toBe(0);
    for (const h of hosts) expect(first.recap!.hosts[h]).toMatchObject({ failed: 0, changed: 3 });
    // The value did reach the hosts, byte for byte.
    for (const h of hosts) {
      const r = await sshRun(h, 'cat /root/canary.secret; echo; head -3 /etc/canary.conf');
      expect(r.stdout).toBe(`${CANARY}\ntoken = ${CANARY}\nsmtp = ${INVENTORY_PW}\nvault = ${VAULT_PW}\n`);
      const more = await sshRun(h, "grep -E '^(nested|number|default|param|extra) = ' /etc/canary.conf");
      expect(more.stdout).toBe(
        `nested = ${NESTED_PW}\nnumber = ${NUMBER_TOKEN}\ndefault = ${ROLE_DEFAULT}\nparam = ${ROLE_PARAM}\nextra = ${EXTRA_TOKEN}\n`,
      );
    }
    const second = await fleet('second apply --json', ['apply', 'playbooks/site.yml']);
    for (const h of hosts) expect(second.recap!.hosts[h]).toMatchObject({ failed: 0, changed: 0 });
    const dump = path.join(cache, 'probe.sh');
    const checked = await fleet('check --json', ['check', 'playbooks/site.yml'], { env: { FLEET_DUMP_PROBE: dump } });
    expect(checked.code, checked.stderr).toBe(0);
    // The dumped script is what a host gets, secrets included: owner-only, and said so.
    expect(fs.statSync(dump).mode & 0o777).toBe(0o600);
    expect(checked.stderr).toMatch(/FLEET_DUMP_PROBE: .* secrets included \(mode 0600\)/);
    fs.rmSync(dump);
    // Drift: an older value on one host; the diff would show it on its old side.
    await sshRun(hosts[0], `sed -i 's/^token = .*/token = an-older-value-${CANARY.slice(0, 6)}/' /etc/canary.conf`);
    const diff = await fleet('check --diff --json', ['check', 'playbooks/site.yml', '--diff']);
    expect(diff.code).toBe(2);
    const drifted = taskEvents(diff, hosts[0]).find((e) => e.task === 'config from a template')!;
    expect(drifted.status).toBe('changed');
    expect(drifted.diff).toContain('********');
    const plain = await fleet('check --diff (plain)', ['check', 'playbooks/site.yml', '--diff'], { json: false });
    expect(plain.stdout).toContain('config from a template');
    const traced = await fleet('apply FLEET_TRACE', ['apply', 'playbooks/site.yml'], { env: { FLEET_TRACE: '1' } });
    expect(traced.stderr).toContain('[trace]');
    // -vvv: the scripts themselves, file bodies included, on stderr.
    await sshRun(hosts[1], "sed -i 's/^nested = .*/nested = old/' /etc/canary.conf");
    const vvv = await fleet('apply -vvv --diff', ['apply', 'playbooks/site.yml', '-vvv', '--diff'], { json: false });
    expect(vvv.code, vvv.stderr).toBe(0);
    expect(vvv.stderr.length).toBeGreaterThan(10_000);
    const logFile = path.join(cache, 'fleet-run.log');
    const failing = await fleet('failing task', ['apply', 'playbooks/site.yml', '-e', '{"canary_fail": true}', '--log-file', logFile]);
    expect(fs.readFileSync(logFile, 'utf8')).toContain('"status":"failed"');
    expect(failing.code).toBe(1);
    const failed = taskEvents(failing).filter((e) => e.status === 'failed');
    expect(failed.length).toBe(hosts.length);
    expect(failed[0].failure!.stderr).toContain('token is ********');
    const failingPlain = await fleet('failing task (plain)', ['apply', 'playbooks/site.yml', '-e', '{"canary_fail": true}'], {
      json: false,
    });
    expect(failingPlain.code).toBe(1);
    const vars = await fleet('fleet vars', ['vars', hosts[0]], { json: false });
    expect(vars.stdout).toContain('smtp_password: "********"');
  });

  it('a wrong vault password fails clearly, naming the file, before any host is contacted', async () => {
    const wrong = path.join(cache, 'wrong-pass');
    fs.writeFileSync(wrong, 'not it\n');
    const r = await fleet('wrong vault password', ['apply', 'playbooks/site.yml'], { env: { ANSIBLE_VAULT_PASSWORD_FILE: wrong } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${path.join(project.inventoryDir, 'group_vars', 'all.yml')}: this file: wrong vault password`);
    expect(r.events.filter((e) => e.type === 'connect')).toEqual([]);
  });

  it('zero hits for the canary in every byte of output, the cache, and the hosts process lists', async () => {
    const forms = [
      CANARY,
      JSON.stringify(CANARY).slice(1, -1),
      CANARY.replaceAll("'", "'\\''"),
      ...base64Forms(CANARY),
      INVENTORY_PW,
      ...base64Forms(INVENTORY_PW),
      VAULT_PW,
      ...[NESTED_PW, String(NUMBER_TOKEN), ROLE_DEFAULT, ROLE_PARAM, EXTRA_TOKEN].flatMap((v) => [v, ...base64Forms(v)]),
    ];
    expect(outputs.length).toBeGreaterThanOrEqual(10);
    for (const o of outputs) for (const f of forms) expect(o.text.includes(f), `${o.what} shows ${JSON.stringify(f)}`).toBe(false);
    const cached = filesUnder(cache).filter((f) => !f.endsWith('wrong-pass'));
    expect(
      cached.some((f) => f.endsWith('.queries.json')),
      'the query cache was written',
    ).toBe(true);
    for (const f of cached) {
      const text = fs.readFileSync(f, 'utf8');
      for (const v of forms) expect(text.includes(v), `${f} holds ${JSON.stringify(v)}`).toBe(false);
    }
    expect(
      cached.some((f) => f.endsWith('fleet-run.log')),
      'the --log-file log was written',
    ).toBe(true);
    // The watchers really saw fleet at work on the hosts.
    expect(processes).toContain('__fleet_script');
    for (const f of forms) expect(processes.includes(f), `a host's process list showed ${JSON.stringify(f)}`).toBe(false);
    // Nothing left behind on the hosts: no temp file beside a destination, no script dir.
    for (const h of hosts) {
      const r = await sshRun(
        h,
        "find /etc /root /tmp -xdev \\( -name '.fleet.*' -o -name 'fleet.*' -o -name 'tmp.*' \\) 2>/dev/null; true",
      );
      expect(r.stdout.trim(), `${h} left temp files`).toBe('');
    }
  });
});
