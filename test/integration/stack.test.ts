// The stack role and docker_stack module on the lab swarm (lab1 manager, two workers, built
// by ensureSwarm: a no-change apply when roles-swarm left it converged): a stack deploys and
// reads back as written; a second apply changes and redeploys nothing; a changed config
// rolls exactly the service that mounts it and its old config object goes; a broken update
// fails the apply with the service's own error while the previous version keeps serving
// (requests during and after); a hand `docker service scale` is drift (check exits 2 with a
// diff); an encrypted overlay is refused where the kernel cannot do IPsec. The lab has no
// IPVS: services use endpoint_mode dnsrr and are reached over the swarm's attachable overlay
// network (fleet-test) from a client container on the manager, the web service running on a
// worker, so every request crosses nodes over VXLAN.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLab, ensureSwarm, sshRun, taskEvents, TEST_IMAGE, type FleetRun, type SwarmProject } from './helpers/index.js';

const STEP_TIMEOUT_MS = 600_000;
const STACK = 'fst';
const SECRET = 'fleet-stack-canary-Vq81xPz';
const explain = (run: FleetRun) => `exit ${run.code}\n${run.stderr.slice(-3000)}\n${JSON.stringify(run.recap?.failures ?? [], null, 1)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The stack as the inventory would write it; `page` is the web service's config content. */
function stackVars(page: string, webCommand = 'cp /conf/index.html /www/index.html && exec httpd -f -p 8080 -h /www') {
  return {
    name: STACK,
    services: {
      web: {
        image: TEST_IMAGE,
        command: ['sh', '-c', webCommand],
        environment: { GREETING: 'a$b' },
        configs: [{ source: 'page', target: '/conf/index.html' }],
        networks: ['fleet-test'],
        healthcheck: {
          test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/'],
          interval: '2s',
          timeout: '2s',
          retries: 2,
          start_period: '2s',
        },
        deploy: {
          replicas: 1,
          endpoint_mode: 'dnsrr',
          labels: { app: 'web' },
          // Not where the client runs: requests cross nodes.
          placement: { constraints: ['node.role == worker'] },
          update_config: { order: 'start-first', monitor: '4s' },
        },
      },
      side: {
        image: TEST_IMAGE,
        command: ['sleep', '100000'],
        configs: [{ source: 'other', target: '/other.txt' }],
        secrets: ['token'],
        networks: ['fleet-test'],
        ports: [{ target: 8091, published: 8091, mode: 'host' }],
        deploy: { replicas: 1, endpoint_mode: 'dnsrr', placement: { constraints: ['node.role == worker'] } },
      },
    },
    networks: { 'fleet-test': { external: true } },
    configs: { page: { content: page }, other: { content: 'other v1\n' } },
    secrets: { token: { content: SECRET } },
    timeout: 120,
  };
}

describeLab('stacks on the swarm (docker_stack, role stack)', () => {
  let swarm: SwarmProject;
  let mgr: string;
  const outputs: string[] = [];
  const timings: Record<string, number> = {};
  const t0 = Date.now();

  const writePlaybook = (stack: object) =>
    fs.writeFileSync(
      path.join(swarm.project.dir, 'playbooks', 'stack.yml'),
      YAML.stringify([{ name: 'stacks', hosts: 'managers', vars: { stacks: [stack] }, roles: ['stack'] }]),
    );
  const fleet = async (args: string[], label: string): Promise<FleetRun> => {
    const started = Date.now();
    const run = await swarm.fleet(args);
    timings[label] = Math.round((Date.now() - started) / 1000);
    outputs.push(run.stdout, run.stderr);
    return run;
  };
  const onMgr = async (cmd: string) => {
    const r = await sshRun(mgr, cmd);
    expect(r.code, `${cmd}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const deployEvent = (run: FleetRun) => taskEvents(run, mgr).find((e) => e.task === 'deploy stacks')!;
  const tasksOf = async (svc: string) =>
    (await onMgr(`docker service ps -q --filter desired-state=running ${STACK}_${svc}`)).trim().split('\n').sort();
  const inspect = async (svc: string) =>
    JSON.parse(await onMgr(`docker service inspect --format '{{json .Spec}}' ${STACK}_${svc}`)) as {
      Labels: Record<string, string>;
      Mode: { Replicated?: { Replicas: number } };
      TaskTemplate: {
        ContainerSpec: {
          Image: string;
          Env?: string[];
          Args?: string[];
          Configs?: { ConfigName: string; File: { Name: string } }[];
          Secrets?: { SecretName: string }[];
        };
      };
    };
  // busybox-static's wget crashes resolving names over the overlay's DNS (getaddrinfo in a
  // static binary): the request is made with nc, the body is what follows the headers.
  const get = () =>
    sshRun(mgr, `docker exec fst-client sh -c "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 web 8080"`).then((r) =>
      r.code === 0 && r.stdout.startsWith('HTTP/1.')
        ? r.stdout.slice(r.stdout.indexOf('\r\n\r\n') + 4)
        : `failed (${r.code}): ${r.stdout}${r.stderr}`,
    );
  const configs = async () =>
    (await onMgr(`docker config ls --filter label=com.docker.stack.namespace=${STACK} --format '{{.Name}}'`)).trim().split('\n').sort();

  beforeAll(async () => {
    const started = Date.now();
    swarm = await ensureSwarm();
    timings['ensure swarm'] = Math.round((Date.now() - started) / 1000);
    mgr = swarm.manager;
    await sshRun(mgr, `docker stack rm ${STACK} >/dev/null 2>&1; docker rm -f fst-client >/dev/null 2>&1; sleep 2`);
    // A client on the swarm's attachable overlay: services answer there by their short name.
    await onMgr(`docker run -d --name fst-client --network fleet-test ${TEST_IMAGE} sleep 100000 >/dev/null`);
  }, 1_200_000);

  afterAll(async () => {
    process.stderr.write(
      `[stack test] seconds per step: ${JSON.stringify(timings)}; whole file ${Math.round((Date.now() - t0) / 1000)} s\n`,
    );
    if (mgr)
      await sshRun(
        mgr,
        `docker stack rm ${STACK} >/dev/null 2>&1; docker rm -f fst-client >/dev/null 2>&1; rm -rf /var/lib/fleet/stacks/${STACK}`,
      );
    swarm?.cleanup();
  }, STEP_TIMEOUT_MS);

  it(
    'deploys the stack: docker service inspect reads back what was written; a second apply changes and redeploys nothing',
    async () => {
      writePlaybook(stackVars('hello v1\n'));
      const check = await fleet(['check', 'playbooks/stack.yml', '--diff'], 'check before deploy');
      expect(check.code, explain(check)).toBe(2);
      expect(deployEvent(check).msg).toMatch(/create service web.*create service side/);
      expect(
        await sshRun(mgr, `docker service ls -q --filter label=com.docker.stack.namespace=${STACK}`).then((r) => r.stdout.trim()),
      ).toBe('');

      const run = await fleet(['apply', 'playbooks/stack.yml', '--diff'], 'first deploy');
      expect(run.code, explain(run)).toBe(0);
      expect(deployEvent(run).status).toBe('changed');
      const web = await inspect('web');
      expect(web.TaskTemplate.ContainerSpec.Image).toBe(TEST_IMAGE);
      // `$` reached the container as written (docker stack deploy would have interpolated it).
      expect(web.TaskTemplate.ContainerSpec.Env).toEqual(['GREETING=a$b']);
      expect(web.Labels.app).toBe('web');
      expect(web.Mode.Replicated?.Replicas).toBe(1);
      const [pageCfg] = web.TaskTemplate.ContainerSpec.Configs!;
      expect(pageCfg.ConfigName).toMatch(new RegExp(`^${STACK}_page_[0-9a-f]{12}$`));
      expect(pageCfg.File.Name).toBe('/conf/index.html');
      const side = await inspect('side');
      expect(side.TaskTemplate.ContainerSpec.Secrets!.map((s) => s.SecretName)).toEqual([
        expect.stringMatching(new RegExp(`^${STACK}_token_[0-9a-f]{12}$`)),
      ]);
      // The first request, right after the apply, from the manager to a task on a worker.
      expect(await get()).toBe('hello v1\n');
      // placement: node.role == worker
      for (const svc of ['web', 'side']) {
        expect((await onMgr(`docker service ps --filter desired-state=running --format '{{.Node}}' ${STACK}_${svc}`)).trim()).not.toBe(mgr);
      }

      const before = { web: await tasksOf('web'), side: await tasksOf('side') };
      const again = await fleet(['apply', 'playbooks/stack.yml'], 'second apply');
      expect(again.code, explain(again)).toBe(0);
      expect(again.recap!.hosts[mgr]).toMatchObject({ changed: 0, failed: 0 });
      expect(deployEvent(again).status).toBe('ok');
      expect({ web: await tasksOf('web'), side: await tasksOf('side') }).toEqual(before);
      const check2 = await fleet(['check', 'playbooks/stack.yml'], 'check with nothing to change');
      expect(check2.code, explain(check2)).toBe(0);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'a changed config rolls exactly the service that mounts it, and its old config object is removed',
    async () => {
      const oldCfg = (await inspect('web')).TaskTemplate.ContainerSpec.Configs![0].ConfigName;
      const before = { web: await tasksOf('web'), side: await tasksOf('side') };
      writePlaybook(stackVars('hello v2\n'));
      const check = await fleet(['check', 'playbooks/stack.yml', '--diff'], 'check a changed config');
      expect(check.code, explain(check)).toBe(2);
      const ev = deployEvent(check);
      expect(ev.msg).toContain('update service web (configs)');
      expect(ev.msg).not.toContain('side');
      expect(ev.diff).toContain('-    | hello v1');
      expect(ev.diff).toContain('+    | hello v2');

      const run = await fleet(['apply', 'playbooks/stack.yml'], 'apply a changed config');
      expect(run.code, explain(run)).toBe(0);
      const web = await inspect('web');
      const newCfg = web.TaskTemplate.ContainerSpec.Configs![0].ConfigName;
      expect(newCfg).not.toBe(oldCfg);
      expect(await tasksOf('web')).not.toEqual(before.web);
      expect(await tasksOf('side')).toEqual(before.side);
      expect(await get()).toBe('hello v2\n');
      const left = await configs();
      expect(left).toContain(newCfg);
      expect(left).not.toContain(oldCfg);
      expect(left).toHaveLength(2);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'a broken update fails the apply with the service error and the previous version keeps serving (requests during and after)',
    async () => {
      const good = await inspect('web');
      writePlaybook(stackVars('hello v2\n', 'echo fleet-broken-update >&2; exit 3'));
      let done = false;
      const answers: string[] = [];
      const poll = (async () => {
        while (!done) {
          answers.push(await get());
          await sleep(500);
        }
      })();
      let run: FleetRun;
      try {
        run = await fleet(['apply', 'playbooks/stack.yml'], 'broken update');
      } finally {
        done = true;
        await poll;
        writePlaybook(stackVars('hello v2\n'));
      }
      expect(run.code, explain(run)).toBe(1);
      const failure = run.recap!.failures.find((f) => f.host === mgr)!;
      expect(failure.task).toBe('deploy stacks');
      expect(failure.msg).toMatch(/service fst_web: update rollback_completed/);
      expect(failure.stderr).toMatch(/non-zero exit \(3\)/);
      expect(answers.length).toBeGreaterThan(2);
      expect(answers.filter((a) => a !== 'hello v2\n')).toEqual([]);
      expect(await get()).toBe('hello v2\n');
      const now = await inspect('web');
      expect(now.TaskTemplate.ContainerSpec.Args).toEqual(good.TaskTemplate.ContainerSpec.Args);
      expect(now.Labels['fleet.stack.hash']).toBe(good.Labels['fleet.stack.hash']);
      // Back to the good definition (written above): nothing to do.
      const check = await fleet(['check', 'playbooks/stack.yml'], 'check after rollback');
      expect(check.code, explain(check)).toBe(0);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "an encrypted overlay is refused where the kernel cannot make docker's IPsec state, and nothing is created",
    async () => {
      // The kernel's own build configuration says whether it has ESP (the lab's: not set).
      const config = await onMgr('zcat /proc/config.gz | grep -E "^(# )?CONFIG_INET_ESP[ =]"');
      const hasEsp = /^CONFIG_INET_ESP=[ym]$/m.test(config);
      fs.writeFileSync(
        path.join(swarm.project.dir, 'playbooks', 'enc.yml'),
        YAML.stringify([{ name: 'enc', hosts: 'managers', tasks: [{ name: 'encrypted network', docker_networks: { networks: [{ name: 'fst-enc', encrypted: true, attachable: true }] } }] }]),
      );
      const check = await fleet(['check', 'playbooks/enc.yml', '--diff'], 'check an encrypted overlay');
      if (hasEsp) {
        expect(check.code, explain(check)).toBe(2);
        expect(taskEvents(check, mgr).find((e) => e.task === 'encrypted network')!.msg).toContain('create overlay network fst-enc (encrypted)');
      } else {
        expect(check.code, explain(check)).toBe(1);
        expect(check.recap!.failures.find((f) => f.host === mgr)!.msg).toMatch(
          /^encrypted overlay fst-enc: this host's kernel cannot make the IPsec \(ESP\) state docker uses \(.+\); docker would create the network and silently drop all traffic between nodes on it/,
        );
      }
      expect((await sshRun(mgr, 'docker network inspect fst-enc')).code).not.toBe(0);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'a service scaled by hand is drift: check exits 2 with the diff and changes nothing; apply puts it back',
    async () => {
      await onMgr(`docker service scale -d ${STACK}_side=3 >/dev/null`);
      const check = await fleet(['check', 'playbooks/stack.yml', '--diff'], 'check drift');
      expect(check.code, explain(check)).toBe(2);
      const ev = deployEvent(check);
      expect(ev.msg).toContain('update service side (replicas)');
      expect(ev.diff).toContain('-  replicas: 3');
      expect(ev.diff).toContain('+  replicas: 1');
      expect((await inspect('side')).Mode.Replicated?.Replicas).toBe(3);
      const run = await fleet(['apply', 'playbooks/stack.yml'], 'apply repairing drift');
      expect(run.code, explain(run)).toBe(0);
      expect((await inspect('side')).Mode.Replicated?.Replicas).toBe(1);
      // The secret's content is in no output of any run.
      const all = outputs.join('\n');
      expect(all.length).toBeGreaterThan(1000);
      expect(all.includes(SECRET)).toBe(false);
      expect(all.includes(Buffer.from(SECRET).toString('base64'))).toBe(false);
    },
    STEP_TIMEOUT_MS,
  );
});
