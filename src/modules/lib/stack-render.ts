// A docker_stack task rendered to what `docker stack deploy` reads: a compose file (JSON,
// which docker's YAML reader takes as is, so no YAML 1.1 surprise turns "yes" into true),
// configs and secrets named by a hash of their content, and per service the fields fleet
// compares with what the swarm runs. Pure: no I/O beyond what prepare() hands in.
import { createHash } from 'node:crypto';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Obj = Record<string, unknown>;

/** One config or secret as swarm creates it. */
export interface StackObject {
  key: string;
  /** `<stack>_<key>_<12 hex of sha256(content)>`: new content, new name. */
  name: string;
  content: string;
}

/** What fleet compares per service, as display lines ("image: x"); same shape for the live side. */
export type ServiceView = Record<string, string[]>;

export interface RenderedStack {
  name: string;
  /** The compose file, JSON text (no secret content: secrets are files next to it). */
  compose: string;
  configs: StackObject[];
  secrets: StackObject[];
  /** Per service (short name): the compared fields and the definition's hash. */
  services: Record<string, { view: ServiceView; hash: string }>;
}

export const HASH_LABEL = 'fleet.stack.hash';
const MAX_OBJECT_NAME = 64;

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Keys sorted at every depth: the same definition always hashes the same. */
function stable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stable);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, stable((v as Obj)[k])]));
  return v;
}

/** docker stack deploy interpolates ${VAR} and $VAR in every string: `$$` is a literal `$`. */
export function escapeDollars(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(/\$/g, '$$$$');
  if (Array.isArray(v)) return v.map(escapeDollars);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, escapeDollars(x)]));
  return v;
}

export function objectName(stack: string, key: string, content: string): string {
  const name = `${stack}_${key}_${sha256(content).slice(0, 12)}`;
  if (name.length > MAX_OBJECT_NAME) throw new Error(`stack ${stack}: config/secret name ${name} is longer than docker's ${MAX_OBJECT_NAME} characters: shorten the key '${key}'`);
  return name;
}

const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

/** environment as a map or a list -> sorted "K=V" lines, as docker keeps them. */
export function envLines(env: unknown, where: string): string[] {
  if (env === undefined) return [];
  const lines: string[] = [];
  if (Array.isArray(env)) {
    for (const e of env) {
      if (typeof e !== 'string' || !e.includes('=')) throw new Error(`${where}: environment entry ${JSON.stringify(e)} is not "NAME=value" (a bare name would copy the deploying shell's variable)`);
      lines.push(e);
    }
  } else if (env && typeof env === 'object') {
    for (const [k, v] of Object.entries(env)) {
      if (v === null || v === undefined || typeof v === 'object') throw new Error(`${where}: environment ${k} has no value (give a string or number: a bare name would copy the deploying shell's variable)`);
      lines.push(`${k}=${String(v)}`);
    }
  } else throw new Error(`${where}: environment must be a mapping or a list of "NAME=value"`);
  return lines.sort();
}

/** Published ports in short or long syntax -> "published:target/proto mode" lines. */
export function portLines(ports: unknown, where: string): string[] {
  if (ports === undefined) return [];
  if (!Array.isArray(ports)) throw new Error(`${where}: ports must be a list`);
  return ports
    .map((p) => {
      if (typeof p === 'number' || typeof p === 'string') {
        const m = /^(?:(\d+):)?(\d+)(?:\/(tcp|udp|sctp))?$/.exec(String(p));
        if (!m) throw new Error(`${where}: port ${JSON.stringify(p)} is not "published:target[/proto]" (ranges and addresses: use the long syntax)`);
        return `${m[1] ?? ''}:${m[2]}/${m[3] ?? 'tcp'} ingress`;
      }
      const o = asObj(p);
      if (o.target === undefined) throw new Error(`${where}: a port in long syntax needs target`);
      return `${o.published ?? ''}:${String(o.target)}/${String(o.protocol ?? 'tcp')} ${String(o.mode ?? 'ingress')}`;
    })
    .sort();
}

/** configs/secrets references (short: "key", long: {source, target}) -> "name -> target". */
function refLines(refs: unknown, objects: Map<string, StackObject>, kind: 'config' | 'secret', where: string): string[] {
  if (refs === undefined) return [];
  if (!Array.isArray(refs)) throw new Error(`${where}: ${kind}s must be a list`);
  return refs
    .map((r) => {
      const o = typeof r === 'string' ? { source: r } : asObj(r);
      const source = String(o.source ?? '');
      const obj = objects.get(source);
      if (!obj) throw new Error(`${where}: ${kind} '${source}' is not declared under the stack's ${kind}s`);
      // docker's defaults: a config lands at /<source>, a secret at /run/secrets/<source>.
      const target = o.target !== undefined ? String(o.target) : kind === 'config' ? `/${source}` : source;
      return `${obj.name} -> ${target}`;
    })
    .sort();
}

/** The compared fields of one service as wanted (strings as the container gets them). */
export function desiredView(svc: Obj, configs: Map<string, StackObject>, secrets: Map<string, StackObject>, where: string): ServiceView {
  const deploy = asObj(svc.deploy);
  const labels = asObj(deploy.labels);
  const mode = deploy.mode === 'global' ? 'global' : String(deploy.replicas ?? 1);
  return {
    image: [String(svc.image)],
    environment: envLines(svc.environment, where),
    replicas: [mode],
    configs: refLines(svc.configs, configs, 'config', where),
    secrets: refLines(svc.secrets, secrets, 'secret', where),
    ports: portLines(svc.ports, where),
    placement: (Array.isArray(asObj(deploy.placement).constraints) ? (asObj(deploy.placement).constraints as unknown[]).map(String) : []).sort(),
    labels: Object.keys(labels)
      .filter((k) => k !== HASH_LABEL)
      .sort()
      .map((k) => `${k}=${String(labels[k])}`),
  };
}

export interface StackInput {
  name: string;
  services: Record<string, Obj>;
  networks: Record<string, unknown>;
  volumes: Record<string, unknown>;
  /** Contents already read or rendered, by key. */
  configs: Record<string, string>;
  secrets: Record<string, string>;
}

/** The compose file and everything fleet compares, from the task's (rendered) params. */
export function renderStack(s: StackInput): RenderedStack {
  const configs = new Map(Object.entries(s.configs).map(([k, c]) => [k, { key: k, name: objectName(s.name, k, c), content: c }]));
  const secrets = new Map(Object.entries(s.secrets).map(([k, c]) => [k, { key: k, name: objectName(s.name, k, c), content: c }]));
  const services: RenderedStack['services'] = {};
  const composeServices: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(s.services)) {
    const where = `stack ${s.name}, service ${name}`;
    if (typeof def.image !== 'string' || !def.image) throw new Error(`${where}: image is required (pin a tag or digest)`);
    if (def.env_file !== undefined) throw new Error(`${where}: env_file is not supported (the file would be read on the manager): use environment`);
    if (def.build !== undefined) throw new Error(`${where}: build is not supported by docker stack deploy: build the image first and name it in image`);
    const view = desiredView(def, configs, secrets, where);
    const deploy = asObj(def.deploy);
    const update = { failure_action: 'rollback', ...asObj(deploy.update_config) };
    const withDefaults: Obj = { ...def, deploy: { ...deploy, update_config: update } };
    // The hash covers the whole definition and the names of what it mounts, so a change
    // anywhere (healthcheck, command, update_config, a config's content) is seen.
    const hash = sha256(JSON.stringify(stable({ def: withDefaults, refs: [...view.configs, ...view.secrets] }))).slice(0, 16);
    services[name] = { view, hash };
    const d = asObj(withDefaults.deploy);
    composeServices[name] = escapeDollars({ ...withDefaults, deploy: { ...d, labels: { ...asObj(d.labels), [HASH_LABEL]: hash } } });
  }
  const compose: Obj = { version: '3.8', services: composeServices };
  if (Object.keys(s.networks).length) compose.networks = escapeDollars(s.networks);
  if (Object.keys(s.volumes).length) compose.volumes = escapeDollars(s.volumes);
  if (configs.size) compose.configs = Object.fromEntries([...configs.values()].map((c) => [c.key, { name: c.name, file: `./configs/${c.key}` }]));
  if (secrets.size) compose.secrets = Object.fromEntries([...secrets.values()].map((c) => [c.key, { name: c.name, file: `./secrets/${c.key}` }]));
  return { name: s.name, compose: `${JSON.stringify(stable(compose), null, 2)}\n`, configs: [...configs.values()], secrets: [...secrets.values()], services };
}
