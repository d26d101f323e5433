// What the swarm runs (the docker_stack probe's output) against what the stack wants: per
// service the compared fields as lines, and a readable diff of the differences.
import { HASH_LABEL, type RenderedStack, type ServiceView } from './stack-render.js';

export const MARK = '@@fleet-stack ';

export interface LiveService {
  name: string;
  view: ServiceView;
  hash?: string;
  /** Configs and secrets its spec mounts (swarm names). */
  uses: string[];
}

export interface LiveStack {
  docker: string;
  services: Map<string, LiveService>;
  configs: Map<string, string>;
  secrets: string[];
  /** The compose file fleet deployed last, if any. */
  composeFile?: string;
}

/** `docker service inspect --format '{{json .}}'`, the parts fleet reads. */
interface InspectedService {
  Spec?: {
    Name?: string;
    Labels?: Record<string, string> | null;
    Mode?: { Replicated?: { Replicas?: number }; Global?: object };
    TaskTemplate?: {
      ContainerSpec?: {
        Image?: string;
        Env?: string[] | null;
        Configs?: { ConfigName?: string; File?: { Name?: string } }[] | null;
        Secrets?: { SecretName?: string; File?: { Name?: string } }[] | null;
      };
      Placement?: { Constraints?: string[] | null };
    };
    EndpointSpec?: { Ports?: { Protocol?: string; TargetPort?: number; PublishedPort?: number; PublishMode?: string }[] | null };
  };
}

/** The live view of one service; `wantedImage` decides whether a digest docker appended counts. */
export function liveView(s: InspectedService, wantedImage?: string): LiveService {
  const spec = s.Spec ?? {};
  const cs = spec.TaskTemplate?.ContainerSpec ?? {};
  let image = cs.Image ?? '';
  // docker pins the digest it resolved (image@sha256:...); a tag asked for is compared as a tag.
  if (wantedImage && !wantedImage.includes('@')) image = image.replace(/@sha256:[0-9a-f]+$/, '');
  const labels = spec.Labels ?? {};
  const configs = (cs.Configs ?? []).map((c) => `${c.ConfigName ?? ''} -> ${c.File?.Name ?? ''}`).sort();
  const secrets = (cs.Secrets ?? []).map((c) => `${c.SecretName ?? ''} -> ${c.File?.Name ?? ''}`).sort();
  return {
    name: spec.Name ?? '',
    hash: labels[HASH_LABEL],
    uses: [...(cs.Configs ?? []).map((c) => c.ConfigName ?? ''), ...(cs.Secrets ?? []).map((c) => c.SecretName ?? '')],
    view: {
      image: [image],
      environment: [...(cs.Env ?? [])].sort(),
      replicas: [spec.Mode?.Global ? 'global' : String(spec.Mode?.Replicated?.Replicas ?? 0)],
      configs,
      secrets,
      ports: (spec.EndpointSpec?.Ports ?? []).map((p) => `${p.PublishedPort ?? ''}:${p.TargetPort ?? ''}/${p.Protocol ?? 'tcp'} ${p.PublishMode ?? 'ingress'}`).sort(),
      placement: [...(spec.TaskTemplate?.Placement?.Constraints ?? [])].sort(),
      labels: Object.keys(labels)
        .filter((k) => k !== HASH_LABEL && !k.startsWith('com.docker.stack.'))
        .sort()
        .map((k) => `${k}=${labels[k]}`),
    },
  };
}

/** Split the probe's output into its sections. */
export function parseProbe(out: string, stack: string, wanted: RenderedStack): LiveStack {
  const sections = new Map<string, string[]>();
  let cur = '';
  for (const line of out.split('\n')) {
    if (line.startsWith(MARK)) {
      cur = line.slice(MARK.length).trim();
      sections.set(cur, []);
    } else if (cur) sections.get(cur)!.push(line);
  }
  const docker = (sections.get('docker') ?? []).join('').trim() || 'missing';
  const live: LiveStack = { docker, services: new Map(), configs: new Map(), secrets: [] };
  if (docker !== 'true') return live;
  if (!sections.has('end')) throw new Error(`the probe of stack ${stack} was cut short (no end marker)`);
  for (const line of sections.get('services') ?? []) {
    if (!line.trim()) continue;
    let s: InspectedService;
    try {
      s = JSON.parse(line) as InspectedService;
    } catch {
      throw new Error(`docker service inspect printed no JSON for stack ${stack}: ${line.slice(0, 200)}`);
    }
    const full = s.Spec?.Name ?? '';
    const short = full.startsWith(`${stack}_`) ? full.slice(stack.length + 1) : full;
    live.services.set(short, liveView(s, wanted.services[short] ? wanted.services[short].view.image[0] : undefined));
  }
  for (const line of sections.get('configs') ?? []) {
    const [name, data] = line.trim().split(' ');
    const b64: unknown = data ? JSON.parse(data) : null;
    if (name) live.configs.set(name, typeof b64 === 'string' ? Buffer.from(b64, 'base64').toString('utf8') : '');
  }
  live.secrets = (sections.get('secrets') ?? []).map((l) => l.trim()).filter(Boolean);
  const file = (sections.get('file') ?? []).join('').trim();
  if (file) live.composeFile = Buffer.from(file, 'base64').toString('utf8');
  return live;
}

export interface StackPlan {
  /** Services created or changed (short names): the rollout waits for these. */
  deploy: string[];
  /** Services the stack no longer has (removed by --prune). */
  remove: string[];
  /** Configs and secrets no service will use: removed after the rollout. */
  unused: string[];
  /** One line per change, for the summary. */
  lines: string[];
  /** Field diff per service (and per config content). */
  diff: string;
}

/** Lines of one field: " x" kept, "-x" live only, "+x" wanted only. */
function fieldDiff(field: string, have: string[], want: string[]): string[] {
  if (have.join('\n') === want.join('\n')) return [];
  const one = have.length <= 1 && want.length <= 1;
  if (one) return [`-  ${field}: ${have[0] ?? '(none)'}`, `+  ${field}: ${want[0] ?? '(none)'}`];
  return [`   ${field}:`, ...have.filter((l) => !want.includes(l)).map((l) => `-    ${l}`), ...want.filter((l) => !have.includes(l)).map((l) => `+    ${l}`)];
}

export function compareStack(wanted: RenderedStack, live: LiveStack, prune: boolean): StackPlan {
  const plan: StackPlan = { deploy: [], remove: [], unused: [], lines: [], diff: '' };
  const out: string[] = [];
  for (const [name, w] of Object.entries(wanted.services)) {
    const l = live.services.get(name);
    if (!l) {
      plan.deploy.push(name);
      plan.lines.push(`create service ${name}`);
      out.push(` service ${name} (absent):`, ...Object.entries(w.view).flatMap(([f, v]) => (v.length ? fieldDiff(f, [], v) : [])));
      continue;
    }
    const fields = Object.keys(w.view).flatMap((f) => fieldDiff(f, l.view[f] ?? [], w.view[f]));
    const defChanged = l.hash !== w.hash;
    if (!fields.length && !defChanged) continue;
    plan.deploy.push(name);
    const changed = Object.keys(w.view).filter((f) => (l.view[f] ?? []).join('\n') !== w.view[f].join('\n'));
    plan.lines.push(`update service ${name} (${changed.length ? changed.join(', ') : 'definition'})`);
    out.push(` service ${name}:`, ...fields);
    if (defChanged && !fields.length) out.push(`   definition changed (hash ${l.hash ?? 'none'} -> ${w.hash}): see the compose file diff`);
  }
  if (prune) {
    for (const name of live.services.keys()) {
      if (!wanted.services[name]) {
        plan.remove.push(name);
        plan.lines.push(`remove service ${name}`);
        out.push(`-service ${name}`);
      }
    }
  }
  // What will be in use after the deploy: the wanted objects, plus what kept services use.
  const keep = new Set([...wanted.configs, ...wanted.secrets].map((o) => o.name));
  if (!prune) for (const [name, l] of live.services) if (!wanted.services[name]) l.uses.forEach((u) => keep.add(u));
  plan.unused = [...live.configs.keys(), ...live.secrets].filter((n) => !keep.has(n)).sort();
  if (plan.unused.length) plan.lines.push(`remove unused ${plan.unused.join(', ')}`);
  // A changed config: show its content (configs are not secret; secrets only by name).
  for (const c of wanted.configs) {
    if (live.configs.has(c.name)) continue;
    const old = [...live.configs.entries()].find(([n]) => n.startsWith(`${wanted.name}_${c.key}_`) && /_[0-9a-f]{12}$/.test(n) && n.length === c.name.length);
    if (!old) continue;
    out.push(` config ${c.key}: ${old[0]} -> ${c.name}`, ...contentDiff(old[1], c.content));
  }
  if (out.length) plan.diff = [`--- stack ${wanted.name} (swarm)`, `+++ stack ${wanted.name} (wanted)`, ...out].join('\n') + '\n';
  return plan;
}

/** A small line diff of a config's content (whole lines added or removed). */
function contentDiff(a: string, b: string): string[] {
  const x = a.split('\n');
  const y = b.split('\n');
  return [...x.filter((l) => !y.includes(l)).map((l) => `-    | ${l}`), ...y.filter((l) => !x.includes(l)).map((l) => `+    | ${l}`)];
}
