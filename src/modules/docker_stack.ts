// docker_stack: one swarm stack, written like a compose file, deployed with `docker stack
// deploy` on a manager. Configs and secrets are named by a hash of their content, so a change
// rolls exactly the services that mount them; the probe is the swarm's own view of the
// services (docker service inspect), so check mode shows drift (a hand `docker service
// scale`) as a diff; apply deploys only when something differs, waits for the changed
// services' rollout (failure_action rollback by default) and removes configs and secrets no
// service uses any more. See docs/roles.md ("stack") and README "Stacks".
import { Type } from '@sinclair/typebox';
import type { Change, Module, ModuleResult, Plan } from '../model/module.js';
import { paramsObject, stringEnum, withDefault, type Params } from '../model/params.js';
import { revealSecret } from '../model/secret-values.js';
import { unifiedDiff } from './lib/diff.js';
import { compareStack, parseProbe, type StackPlan } from './lib/stack-compare.js';
import { renderStack, type Obj, type RenderedStack } from './lib/stack-render.js';
import { applyScript, probeScript, removeScript, STATE_DIR } from './lib/stack-script.js';

/** The service keys of compose file format 3.8 that `docker stack deploy` reads. */
const SERVICE_KEYS = [
  'image', 'command', 'entrypoint', 'environment', 'configs', 'secrets', 'volumes', 'networks', 'ports', 'healthcheck', 'deploy',
  'cap_add', 'cap_drop', 'dns', 'dns_search', 'extra_hosts', 'hostname', 'init', 'labels', 'logging', 'stop_grace_period',
  'stop_signal', 'sysctls', 'tmpfs', 'tty', 'stdin_open', 'ulimits', 'user', 'working_dir', 'read_only', 'privileged',
  'security_opt', 'devices', 'expose', 'isolation', 'credential_spec', 'env_file', 'build',
] as const;

const NAME = '^[A-Za-z0-9][A-Za-z0-9_-]*$';

const serviceSchema = Type.Object(Object.fromEntries(SERVICE_KEYS.map((k) => [k, Type.Optional(Type.Unknown())])), { additionalProperties: false, required: ['image'] });

/** Where a config's or secret's content comes from: exactly one of the three. */
const sourceSchema = paramsObject(
  {
    content: Type.Optional(Type.String()),
    template: Type.Optional(Type.String({ minLength: 1, description: "templates/NAME in the task's role" })),
    file: Type.Optional(Type.String({ minLength: 1, description: "files/NAME in the task's role" })),
  },
  { minProperties: 1, maxProperties: 1 },
);

const schema = paramsObject({
  name: Type.String({ pattern: NAME, maxLength: 40 }),
  /** absent: the stack's services, configs, secrets and networks are removed (docker stack rm). */
  state: withDefault(stringEnum(['present', 'absent'] as const), 'present'),
  services: withDefault(Type.Record(Type.String(), serviceSchema), {}),
  networks: withDefault(Type.Record(Type.String(), Type.Unknown()), {}),
  volumes: withDefault(Type.Record(Type.String(), Type.Unknown()), {}),
  configs: withDefault(Type.Record(Type.String(), sourceSchema), {}),
  secrets: withDefault(Type.Record(Type.String(), sourceSchema), {}),
  /** Remove services of this stack that are not listed (docker stack deploy --prune). */
  prune: withDefault(Type.Boolean(), true),
  /** Seconds to wait for the changed services' rollout. */
  timeout: withDefault(Type.Integer({ minimum: 1 }), 300),
  /** never: use the image as named on each node (carried images, no registry). */
  resolve_image: withDefault(stringEnum(['never', 'changed', 'always'] as const), 'never'),
});

type StackParams = Params<typeof schema>;
export type PreparedStack = StackParams & { rendered: RenderedStack };

function checkName(kind: string, stack: string, key: string): void {
  if (!new RegExp(NAME).test(key)) throw new Error(`stack ${stack}: ${kind} name '${key}' must match ${NAME}`);
}

export const dockerStack: Module<typeof schema, StackPlan, PreparedStack> = {
  name: 'docker_stack',
  schema,
  prepare(p, ctx) {
    const read = (kind: string, key: string, src: Params<typeof sourceSchema>): string => {
      checkName(kind, p.name, key);
      if (src.content !== undefined) return src.content;
      if (src.template !== undefined) return ctx.renderTemplate(src.template);
      return ctx.readRoleFile(src.file!).toString('utf8');
    };
    for (const k of Object.keys(p.services)) checkName('service', p.name, k);
    if (p.state === 'present' && !Object.keys(p.services).length) throw new Error(`stack ${p.name}: no services (state: absent removes a stack)`);
    const configs = Object.fromEntries(Object.entries(p.configs).map(([k, s]) => [k, read('config', k, s)]));
    const secrets = Object.fromEntries(Object.entries(p.secrets).map(([k, s]) => [k, read('secret', k, s)]));
    // A secret's content is masked in every output from here on, however it was given.
    for (const v of Object.values(secrets)) revealSecret(v);
    const rendered = renderStack({ name: p.name, services: p.services as Record<string, Obj>, networks: p.networks, volumes: p.volumes, configs, secrets });
    return { ...p, rendered };
  },
  probe: (p) => probeScript(p.name),
  plan(p, out): Plan<StackPlan> {
    const live = parseProbe(out, p.name, p.rendered);
    if (live.docker === 'missing') return { kind: 'blocked', reason: 'docker is not installed' };
    if (live.docker !== 'true') return { kind: 'blocked', reason: live.docker === 'false' ? 'this host is not a swarm manager (docker stack deploy runs on a manager)' : 'the docker daemon does not answer' };
    if (p.state === 'absent') {
      const left = [...[...live.services.keys()].map((n) => `service ${n}`), ...[...live.configs.keys()].map((n) => `config ${n}`), ...live.secrets.map((n) => `secret ${n}`)];
      if (!left.length && live.composeFile === undefined) return { kind: 'ok', note: `stack ${p.name} is absent` };
      const diff = `--- stack ${p.name} (swarm)\n+++ stack ${p.name} (absent)\n${left.map((l) => `-${l}`).join('\n')}\n`;
      return { kind: 'change', summary: `remove stack ${p.name}${left.length ? ` (${left.join(', ')})` : ''}`, diff, data: { deploy: [], remove: [...live.services.keys()], unused: [], lines: [], diff } };
    }
    const plan = compareStack(p.rendered, live, p.prune);
    if (!plan.lines.length) return { kind: 'ok', note: `stack ${p.name}: ${Object.keys(p.rendered.services).length} services as wanted` };
    let diff = plan.diff;
    if (live.composeFile !== undefined && live.composeFile !== p.rendered.compose) diff += unifiedDiff(`${STATE_DIR}/${p.name}/compose.json`, live.composeFile, p.rendered.compose);
    return { kind: 'change', summary: `stack ${p.name}: ${plan.lines.join('; ')}`, diff, data: plan };
  },
  apply: (p, change: Change<StackPlan>) =>
    p.state === 'absent' ? removeScript(p.name, p.timeout) : applyScript(p.rendered, { deploy: change.data.deploy, remove: change.data.remove, prune: p.prune, timeout: p.timeout, resolveImage: p.resolve_image }),
  result(p, o): ModuleResult {
    if (o.rc === 0) return { failed: false, registered: { services: Object.keys(p.rendered.services) } };
    // The service's own error (fleet: lines and docker's task errors) is the message.
    const why = o.stderr.split('\n').filter((l) => l.startsWith('fleet: ')).map((l) => l.slice(7));
    return { failed: true, msg: why.length ? why.join('; ') : `docker stack deploy ${p.name} failed`, cmd: `docker stack deploy ${p.name}` };
  },
  resources: (p) => [`stack:${p.name}`],
};
