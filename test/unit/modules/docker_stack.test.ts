// docker_stack: the compose file it renders (content-hashed config/secret names, `$` kept
// literal, rollback by default), the comparison of what the swarm runs with what is wanted
// (no change, drift, a changed config, removed services, unused objects), and its shell.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerStack, type PreparedStack } from '../../../src/modules/docker_stack.js';
import { MARK } from '../../../src/modules/lib/stack-compare.js';
import { STABLE_SECONDS, WAIT_FN } from '../../../src/modules/lib/stack-script.js';
import { knownSecrets } from '../../../src/model/secret-values.js';
import { isValid, params } from './helpers.js';

const ctx = {
  renderTemplate: (f: string) => `rendered ${f}\n`,
  readRoleFile: (f: string) => Buffer.from(`file ${f}\n`),
};

function stack(over: Record<string, unknown> = {}): PreparedStack {
  const raw = {
    name: 'app',
    services: {
      web: {
        image: 'example/web:1.2',
        environment: { GREETING: 'a$b', N: 3 },
        configs: [{ source: 'page', target: '/www/index.html' }],
        ports: ['8080:80', { target: 443, published: 8443, mode: 'host' }],
        deploy: { replicas: 2, labels: { app: 'web' }, placement: { constraints: ['node.labels.zone == a'] } },
      },
      db: { image: 'example/db:15', secrets: ['dbpass'], environment: ['PGDATA=/data'] },
    },
    configs: { page: { content: 'hello\n' } },
    secrets: { dbpass: { content: 'unit-secret-value-81' } },
    ...over,
  };
  return dockerStack.prepare!(params(dockerStack, raw), ctx);
}

/** What `docker service inspect` shows for a stack deployed from `p` (as docker would keep it). */
function inspected(p: PreparedStack, tweak: (name: string, spec: any) => void = () => {}): string {
  const lines = Object.entries(p.rendered.services).map(([name, s]) => {
    const v = s.view;
    const spec: any = {
      Name: `${p.name}_${name}`,
      Labels: { 'com.docker.stack.namespace': p.name, 'fleet.stack.hash': s.hash, ...Object.fromEntries(v.labels.map((l) => l.split('='))) },
      Mode: v.replicas[0] === 'global' ? { Global: {} } : { Replicated: { Replicas: Number(v.replicas[0]) } },
      TaskTemplate: {
        ContainerSpec: {
          Image: `${v.image[0]}@sha256:${'a'.repeat(64)}`,
          Env: v.environment.length ? v.environment : undefined,
          Configs: v.configs.map((c) => ({ ConfigName: c.split(' -> ')[0], File: { Name: c.split(' -> ')[1] } })),
          Secrets: v.secrets.map((c) => ({ SecretName: c.split(' -> ')[0], File: { Name: c.split(' -> ')[1] } })),
        },
        Placement: v.placement.length ? { Constraints: v.placement } : {},
      },
      EndpointSpec: {
        Ports: v.ports.map((l) => {
          const m = /^(\d*):(\d+)\/(\w+) (\w+)$/.exec(l)!;
          return { Protocol: m[3], TargetPort: Number(m[2]), PublishedPort: Number(m[1]), PublishMode: m[4] };
        }),
      },
    };
    tweak(name, spec);
    return JSON.stringify({ Spec: spec });
  });
  return probeOut(lines, p.rendered.configs.map((c) => `${c.name} ${JSON.stringify(Buffer.from(c.content).toString('base64'))}`), p.rendered.secrets.map((s) => s.name));
}

function probeOut(services: string[], configs: string[], secrets: string[], file = ''): string {
  return [`${MARK}docker`, 'true', `${MARK}services`, ...services, `${MARK}configs`, ...configs, `${MARK}secrets`, ...secrets, `${MARK}file`, file, `${MARK}end`, ''].join('\n');
}

describe('docker_stack rendering', () => {
  it('names configs and secrets by a hash of their content, and the compose file refers to them by that name', () => {
    const p = stack();
    const compose = JSON.parse(p.rendered.compose);
    expect(compose.configs.page.name).toMatch(/^app_page_[0-9a-f]{12}$/);
    expect(compose.configs.page.file).toBe('./configs/page');
    expect(compose.secrets.dbpass.name).toMatch(/^app_dbpass_[0-9a-f]{12}$/);
    expect(stack({ configs: { page: { content: 'hello\n' } } }).rendered.configs[0].name).toBe(p.rendered.configs[0].name);
    expect(stack({ configs: { page: { content: 'hello!\n' } } }).rendered.configs[0].name).not.toBe(p.rendered.configs[0].name);
  });

  it('keeps secret content out of the compose file and marks it secret', () => {
    const p = stack();
    expect(p.rendered.compose).not.toContain('unit-secret-value-81');
    expect(knownSecrets().has('unit-secret-value-81')).toBe(true);
  });

  it('writes $ as $$ (docker stack deploy interpolates), and compares the value the container gets', () => {
    const p = stack();
    expect(JSON.parse(p.rendered.compose).services.web.environment.GREETING).toBe('a$$b');
    expect(p.rendered.services.web.view.environment).toEqual(['GREETING=a$b', 'N=3']);
  });

  it('defaults update_config.failure_action to rollback, keeping what the role set', () => {
    const p = stack({ services: { web: { image: 'x:1', deploy: { update_config: { order: 'start-first' } } } }, configs: {}, secrets: {} });
    expect(JSON.parse(p.rendered.compose).services.web.deploy.update_config).toEqual({ failure_action: 'rollback', order: 'start-first' });
    const pause = stack({ services: { web: { image: 'x:1', deploy: { update_config: { failure_action: 'pause' } } } }, configs: {}, secrets: {} });
    expect(JSON.parse(pause.rendered.compose).services.web.deploy.update_config.failure_action).toBe('pause');
  });

  it('reads config content from a template or a file of the role', () => {
    const p = stack({ configs: { page: { template: 'page.j2' }, extra: { file: 'x.conf' } } });
    expect(p.rendered.configs.map((c) => c.content)).toEqual(['rendered page.j2\n', 'file x.conf\n']);
  });

  it('refuses what it cannot deploy honestly, naming the stack and service', () => {
    expect(() => stack({ services: { web: { image: 'x:1', configs: ['nope'] } } })).toThrow(/stack app, service web: config 'nope' is not declared/);
    expect(() => stack({ services: { web: { image: 'x:1', environment: { HOME: null } } } })).toThrow(/service web: environment HOME has no value/);
    expect(() => stack({ services: { web: { image: 'x:1', env_file: 'a.env' } } })).toThrow(/env_file is not supported/);
    expect(() => stack({ services: { 'bad name': { image: 'x:1' } } })).toThrow(/service name 'bad name'/);
    expect(isValid(dockerStack, { name: 'a', services: { web: { image: 'x', imgae: 'typo' } } })).toBe(false);
    expect(isValid(dockerStack, { name: 'a', services: { web: { command: 'x' } } })).toBe(false);
    expect(isValid(dockerStack, { name: 'a', services: {}, configs: { c: { content: 'a', file: 'b' } } })).toBe(false);
  });
});

describe('docker_stack comparison', () => {
  it('is ok when the swarm runs what is wanted (a digest docker appended to a tag does not count)', () => {
    const p = stack();
    expect(dockerStack.plan(p, inspected(p))).toMatchObject({ kind: 'ok' });
  });

  it('shows a hand scale as drift with a readable diff, for that service only', () => {
    const p = stack();
    const plan = dockerStack.plan(p, inspected(p, (n, s) => n === 'web' && (s.Mode.Replicated.Replicas = 3)));
    expect(plan.kind).toBe('change');
    if (plan.kind !== 'change') return;
    expect(plan.summary).toBe('stack app: update service web (replicas)');
    expect(plan.diff).toContain(' service web:\n-  replicas: 3\n+  replicas: 2\n');
    expect(plan.data.deploy).toEqual(['web']);
  });

  it('sees changed image, environment, ports, placement and labels', () => {
    const p = stack();
    const plan = dockerStack.plan(
      p,
      inspected(p, (n, s) => {
        if (n !== 'web') return;
        s.TaskTemplate.ContainerSpec.Image = 'example/web:1.1';
        s.TaskTemplate.ContainerSpec.Env = ['GREETING=x', 'N=3'];
        s.EndpointSpec.Ports = [];
        s.TaskTemplate.Placement = {};
        s.Labels.app = 'other';
      }),
    );
    expect(plan.kind === 'change' && plan.summary).toBe('stack app: update service web (image, environment, ports, placement, labels)');
    expect(plan.kind === 'change' && plan.diff).toContain('-  image: example/web:1.1\n+  image: example/web:1.2');
    expect(plan.kind === 'change' && plan.diff).toContain('-    GREETING=x\n+    GREETING=a$b');
  });

  it('a changed config changes exactly the services that mount it, with its content as the diff; the old object is unused', () => {
    const old = stack();
    const p = stack({ configs: { page: { content: 'hello v2\n' } } });
    const plan = dockerStack.plan(p, inspected(old));
    expect(plan.kind).toBe('change');
    if (plan.kind !== 'change') return;
    expect(plan.data.deploy).toEqual(['web']);
    expect(plan.data.unused).toEqual([old.rendered.configs[0].name]);
    expect(plan.diff).toContain(`config page: ${old.rendered.configs[0].name} -> ${p.rendered.configs[0].name}`);
    expect(plan.diff).toContain('-    | hello\n+    | hello v2');
  });

  it('a changed secret rolls its service but shows only names', () => {
    const old = stack();
    const p = stack({ secrets: { dbpass: { content: 'unit-secret-value-82' } } });
    const plan = dockerStack.plan(p, inspected(old));
    expect(plan.kind === 'change' && plan.data.deploy).toEqual(['db']);
    expect(JSON.stringify(plan)).not.toMatch(/unit-secret-value-8[12]/);
  });

  it('any other change of the definition (a healthcheck) is seen by its hash, with the compose file as the diff', () => {
    const old = stack();
    const p = stack({ services: { ...(stack().services as object), db: { image: 'example/db:15', secrets: ['dbpass'], environment: ['PGDATA=/data'], healthcheck: { test: ['CMD', 'true'] } } } });
    const out = inspected(old).replace(`${MARK}file\n`, `${MARK}file\n${Buffer.from(old.rendered.compose).toString('base64')}`);
    const plan = dockerStack.plan(p, out);
    expect(plan.kind === 'change' && plan.summary).toBe('stack app: update service db (definition)');
    expect(plan.kind === 'change' && plan.diff).toContain('+      "healthcheck": {');
  });

  it('new services are created, services no longer listed are removed (prune), or kept with prune: false', () => {
    const p = stack();
    const extra = JSON.stringify({ Spec: { Name: 'app_old', Labels: {}, Mode: { Replicated: { Replicas: 1 } }, TaskTemplate: { ContainerSpec: { Image: 'o:1', Configs: [{ ConfigName: 'app_x_0123456789ab' }] } } } });
    // db runs under another name (old2), and a service old mounts a config of its own.
    const withOld = inspected(p, (n, s) => n === 'db' && (s.Name = 'app_old2'))
      .replace(`${MARK}configs\n`, `${MARK}configs\napp_x_0123456789ab null\n`)
      .replace(`${MARK}services\n`, `${MARK}services\n${extra}\n`);
    const plan = dockerStack.plan(p, withOld);
    expect(plan.kind === 'change' && plan.summary).toBe('stack app: create service db; remove service old; remove service old2; remove unused app_x_0123456789ab');
    const keep = dockerStack.plan({ ...p, prune: false }, withOld);
    expect(keep.kind === 'change' && keep.summary).toBe('stack app: create service db');
  });

  it('is blocked without docker or off a manager, and refuses a probe cut short', () => {
    const p = stack();
    expect(dockerStack.plan(p, `${MARK}docker\nmissing\n`)).toEqual({ kind: 'blocked', reason: 'docker is not installed' });
    expect(dockerStack.plan(p, `${MARK}docker\nfalse\n`)).toMatchObject({ kind: 'blocked', reason: expect.stringMatching(/not a swarm manager/) });
    expect(() => dockerStack.plan(p, `${MARK}docker\ntrue\n${MARK}services\n`)).toThrow(/cut short/);
  });
});

describe('docker_stack state: absent', () => {
  it('removes what is left of the stack (check shows it), and is ok when nothing is', () => {
    const p = stack();
    const gone = dockerStack.prepare!(params(dockerStack, { name: 'app', state: 'absent' }), ctx);
    const plan = dockerStack.plan(gone, inspected(p));
    expect(plan.kind === 'change' && plan.summary).toMatch(/^remove stack app \(service web, service db, config app_page_[0-9a-f]{12}, secret app_dbpass_[0-9a-f]{12}\)$/);
    expect(plan.kind === 'change' && plan.diff).toContain('-service web');
    expect(dockerStack.plan(gone, probeOut([], [], []))).toEqual({ kind: 'ok', note: 'stack app is absent' });
    const script = dockerStack.apply(gone, plan as never);
    expect(script).toContain('docker stack rm app');
    expect(spawnSync('sh', ['-n'], { input: script }).status).toBe(0);
  });

  it('a present stack needs services', () => {
    expect(() => dockerStack.prepare!(params(dockerStack, { name: 'app' }), ctx)).toThrow(/stack app: no services/);
  });
});

describe('docker_stack shell', () => {
  it('probe and apply are valid sh; apply deploys only when services change, and always cleans up unused objects', () => {
    const p = stack();
    const deploy = dockerStack.apply(p, { kind: 'change', summary: '', data: { deploy: ['web'], remove: [], unused: [], lines: [], diff: '' } });
    const cleanup = dockerStack.apply(p, { kind: 'change', summary: '', data: { deploy: [], remove: [], unused: ['x'], lines: [], diff: '' } });
    for (const s of [dockerStack.probe(p), deploy, cleanup]) expect(spawnSync('sh', ['-n'], { input: s }).status).toBe(0);
    expect(deploy).toContain('docker stack deploy --resolve-image never --prune -c "$d/compose.json" app');
    expect(deploy).toContain('fleet_wait app_web');
    expect(deploy).not.toContain('fleet_wait app_db');
    expect(cleanup).not.toContain('docker stack deploy');
    expect(cleanup).toContain('docker config rm');
  });

  it('a failed rollout is the service\'s own error', () => {
    const p = stack();
    const r = dockerStack.result!(p, { rc: 1, stdout: '', stderr: 'fleet: service app_web: update rollback_completed: update rolled back due to failure\n  app_web.1 x Failed task: non-zero exit (3)\n' });
    expect(r).toMatchObject({ failed: true, msg: 'service app_web: update rollback_completed: update rolled back due to failure' });
  });
});

describe('docker_stack rollout wait (against a scripted docker)', () => {
  /** Runs fleet_wait with a fake docker: each `service inspect` prints the next line of
   * `statuses` (the last one repeats), `service ls` the replicas, `service ps` the tasks. */
  function wait(o: { before: string; statuses: string[]; replicas: string; ps?: string; timeout?: number }) {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-fake-docker-'));
    try {
      writeFileSync(join(dir, 'statuses'), o.statuses.join('\n') + '\n');
      writeFileSync(join(dir, 'ps'), o.ps ? `${o.ps}\n` : '');
      writeFileSync(
        join(dir, 'docker'),
        `#!/bin/sh
d=${dir}
case "$1 $2" in
"service inspect") n=$(cat $d/n 2>/dev/null || echo 1); echo $((n + 1)) > $d/n
  l=$(sed -n "\${n}p" $d/statuses); [ -n "$l" ] || l=$(tail -n 1 $d/statuses); [ "$l" = - ] && l=; echo "$l" ;;
"service ls") echo "app_web ${o.replicas}" ;;
"service ps") cat $d/ps ;;
"service rollback") echo "$@" >> $d/rollback ;;
esac
`,
        { mode: 0o755 },
      );
      // Stable for 1 s by the clock (not STABLE_SECONDS), polled every 0.1 s.
      const script = `PATH=${dir}:$PATH\nsleep() { command sleep 0.1; }\n${WAIT_FN.replace(`-lt ${STABLE_SECONDS} ]`, '-lt 1 ]')}\ntimeout=${o.timeout ?? 60}\ndeadline=$(( $(date +%s) + timeout ))\nfleet_wait app_web '${o.before}'\necho rc=$?\n`;
      const r = spawnSync('sh', ['-s'], { input: script, encoding: 'utf8', timeout: 90_000 });
      let rollback = '';
      try {
        rollback = readFileSync(join(dir, 'rollback'), 'utf8');
      } catch {
        /* none */
      }
      return { out: r.stdout, err: r.stderr, rollback };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('a rollout that completes and tasks that keep running: done', () => {
    const r = wait({ before: 'T0', statuses: ['completed|T0|old', 'updating|T1|', 'updating|T1|', 'completed|T1|done'], replicas: '2/2' });
    expect(r.out).toBe('rc=0\n');
  });

  it('a rollout rolled back by docker fails with its message and the tasks\' errors', () => {
    const r = wait({ before: 'T0', statuses: ['updating|T1|', 'rollback_started|T1|', 'rollback_completed|T1|update rolled back due to failure'], replicas: '1/1', ps: '  app_web.1 img Failed 2 seconds ago "task: non-zero exit (3)"' });
    expect(r.out).toBe('rc=1\n');
    expect(r.err).toContain('fleet: service app_web: update rollback_completed: update rolled back due to failure');
    expect(r.err).toContain('task: non-zero exit (3)');
    expect(r.rollback).toBe('');
  });

  it('an old rollback (started before this deploy) is not this deploy\'s failure: a scale back is done once its tasks run', () => {
    const r = wait({ before: 'T0', statuses: ['rollback_completed|T0|rollback completed'], replicas: '1/1' });
    expect(r.out).toBe('rc=0\n');
  });

  it('a rollout still updating at the timeout is rolled back by fleet, and fails', () => {
    const r = wait({ before: 'T0', statuses: ['updating|T1|'], replicas: '1/1', timeout: 1 });
    expect(r.out).toBe('rc=1\n');
    expect(r.err).toMatch(/did not finish within 1 s: rolling back/);
    expect(r.rollback).toContain('service rollback -d app_web');
  });

  it('a new service whose tasks keep failing fails with their errors; an old one just waits', () => {
    const ps = 'Failed 1 second ago\nFailed 3 seconds ago\nRejected 5 seconds ago';
    const fresh = wait({ before: '@absent', statuses: ['-'], replicas: '0/1', ps });
    expect(fresh.out).toBe('rc=1\n');
    expect(fresh.err).toContain('its tasks keep failing (3 failed, 0/1 running)');
    const old = wait({ before: '', statuses: ['-'], replicas: '0/1', ps, timeout: 1 });
    expect(old.err).toContain('its tasks did not all run within 1 s (0/1 running)');
    expect(old.rollback).toBe('');
  });
});
