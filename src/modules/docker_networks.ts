// docker_networks: docker networks (overlays for the swarm, optionally encrypted), created
// once on a manager; one probe reads them all. A network cannot be changed in place: when a
// live one differs, the plan shows how as a diff, and applying recreates it (docker refuses
// while services still use it, and the task fails with docker's own message). An encrypted
// overlay on a kernel that cannot make docker's IPsec state is refused (see ESP_CHECK).
import type { Module, Plan } from '../model/module.js';
import { Type } from '@sinclair/typebox';
import { paramsObject, withDefault, type Params } from '../model/params.js';
import { q } from './lib/sh.js';

const networkSchema = paramsObject({
  name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' }),
  driver: withDefault(Type.String({ minLength: 1 }), 'overlay'),
  /** Overlay only: IPsec between nodes (needs ESP, IP protocol 50, open between them). */
  encrypted: withDefault(Type.Boolean(), false),
  attachable: withDefault(Type.Boolean(), false),
  internal: withDefault(Type.Boolean(), false),
  subnet: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f.:]+/[0-9]{1,3}$' })),
  gateway: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f.:]+$' })),
  labels: withDefault(Type.Record(Type.String(), Type.String()), {}),
});

const schema = paramsObject({ networks: Type.Array(networkSchema) });

export type NetworkSpec = Params<typeof networkSchema>;
export type DockerNetworksParams = { networks: NetworkSpec[] };

interface Live {
  Driver?: string;
  Attachable?: boolean;
  Internal?: boolean;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
  IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] | null };
}

interface Work {
  spec: NetworkSpec;
  recreate: boolean;
}

const MISSING_DOCKER = '@@fleet-no-docker';
const ABSENT = '@@fleet-network-absent';
const MARK = '@@fleet-network ';
const ESP = '@@fleet-esp ';

/** Whether this kernel can hold the IPsec state docker programs for an encrypted overlay
 * (ESP, transport mode, AEAD rfc4106(gcm(aes)) with a 64-bit ICV, as libnetwork's
 * encryption.go), tried in a throwaway network namespace. Where it cannot (no
 * CONFIG_INET_ESP, as on the lab's kernel), docker still creates the network, only logs
 * "Failed Adding ... SA: function not implemented", and its xfrm policy then drops every
 * packet between nodes on it (XfrmOutNoStates): tasks on different nodes never reach each
 * other. Prints "ok", "no: <the kernel's error>" or "unknown: <why>". */
const ESP_CHECK = [
  `printf '%s' ${q(ESP)}`,
  'if ! command -v unshare >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1; then echo "unknown: no unshare or ip command"',
  "elif e=$(unshare -n ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x100 reqid 1 mode transport aead 'rfc4106(gcm(aes))' 0x000102030405060708090a0b0c0d0e0f10111213 64 2>&1); then echo ok",
  // unshare itself refused (no CAP_SYS_ADMIN): the kernel was not asked.
  'elif ! unshare -n true 2>/dev/null; then echo "unknown: cannot make a network namespace to try"',
  'else echo "no: $(printf \'%s\' "$e" | tr \'\\n\' \' \')"; fi',
].join('\n');

function settings(s: Omit<NetworkSpec, 'name'>): string[] {
  return [
    `driver: ${s.driver}`,
    `encrypted: ${s.encrypted}`,
    `attachable: ${s.attachable}`,
    `internal: ${s.internal}`,
    ...(s.subnet ? [`subnet: ${s.subnet}`] : []),
    ...(s.gateway ? [`gateway: ${s.gateway}`] : []),
    ...Object.keys(s.labels).sort().map((k) => `label ${k}=${s.labels[k]}`),
  ];
}

function createCmd(p: NetworkSpec): string {
  const args = [`--driver ${q(p.driver)}`];
  if (p.encrypted) args.push('--opt encrypted');
  if (p.attachable) args.push('--attachable');
  if (p.internal) args.push('--internal');
  if (p.subnet) args.push(`--subnet ${q(p.subnet)}`);
  if (p.gateway) args.push(`--gateway ${q(p.gateway)}`);
  for (const [k, v] of Object.entries(p.labels)) args.push(`--label ${q(`${k}=${v}`)}`);
  return `docker network create ${args.join(' ')} ${q(p.name)}`;
}

/** Compare one network; undefined when it is as wanted. */
function compare(spec: NetworkSpec, text: string): { work: Work; summary: string; diff: string } | undefined {
  const want = settings(spec);
  if (text === ABSENT || text === '') {
    return {
      work: { spec, recreate: false },
      summary: `create ${spec.driver} network ${spec.name}${spec.encrypted ? ' (encrypted)' : ''}`,
      diff: `--- network ${spec.name} (absent)\n+++ network ${spec.name}\n${want.map((l) => `+${l}`).join('\n')}\n`,
    };
  }
  let live: Live;
  try {
    live = JSON.parse(text) as Live;
  } catch {
    throw new Error(`docker network inspect ${spec.name} printed no JSON: ${text.slice(0, 200)}`);
  }
  const cfg = live.IPAM?.Config?.[0] ?? {};
  const have = settings({
    driver: live.Driver ?? '',
    encrypted: Object.prototype.hasOwnProperty.call(live.Options ?? {}, 'encrypted'),
    attachable: !!live.Attachable,
    internal: !!live.Internal,
    // Unset subnet/gateway mean "whatever docker picks": compared only when asked for.
    subnet: spec.subnet ? cfg.Subnet : undefined,
    gateway: spec.gateway ? cfg.Gateway : undefined,
    labels: live.Labels ?? {},
  });
  if (have.join('\n') === want.join('\n')) return undefined;
  const diff = [
    `--- network ${spec.name} (live)`,
    `+++ network ${spec.name} (wanted)`,
    ...have.map((l) => (want.includes(l) ? ` ${l}` : `-${l}`)),
    ...want.filter((l) => !have.includes(l)).map((l) => `+${l}`),
  ];
  return { work: { spec, recreate: true }, summary: `recreate network ${spec.name} (its settings differ; docker refuses while services use it)`, diff: diff.join('\n') + '\n' };
}

export const dockerNetworks: Module<typeof schema, Work[], DockerNetworksParams> = {
  name: 'docker_networks',
  schema,
  probe: (p) =>
    `command -v docker >/dev/null 2>&1 || { echo ${MISSING_DOCKER}; exit 0; }\n` +
    (p.networks.some((n) => n.encrypted) ? `${ESP_CHECK}\n` : '') +
    p.networks.map((n) => `echo ${q(MARK + n.name)}\ndocker network inspect --format '{{json .}}' ${q(n.name)} 2>/dev/null || echo ${ABSENT}\n`).join(''),
  plan: (p, out): Plan<Work[]> => {
    if (out.trim() === MISSING_DOCKER) return { kind: 'blocked', reason: 'docker is not installed' };
    const found = new Map<string, string>();
    let cur: string | undefined;
    let esp = '';
    for (const line of out.split('\n')) {
      if (line.startsWith(ESP)) esp = line.slice(ESP.length).trim();
      else if (line.startsWith(MARK)) cur = line.slice(MARK.length);
      else if (cur !== undefined && line.trim()) found.set(cur, line.trim());
    }
    const encrypted = p.networks.filter((n) => n.encrypted).map((n) => n.name);
    if (encrypted.length && esp.startsWith('no')) {
      return {
        kind: 'blocked',
        reason:
          `encrypted overlay ${encrypted.join(', ')}: this host's kernel cannot make the IPsec (ESP) state docker uses (${esp.slice(3).trim() || 'refused'}); ` +
          'docker would create the network and silently drop all traffic between nodes on it. Use a kernel with ESP (CONFIG_INET_ESP, module esp4) or encrypted: false',
      };
    }
    const changes = p.networks.map((n) => compare(n, found.get(n.name) ?? ABSENT)).filter((c): c is NonNullable<typeof c> => !!c);
    if (!changes.length) return { kind: 'ok', note: p.networks.map((n) => n.name).join(', ') || 'no networks' };
    return { kind: 'change', summary: changes.map((c) => c.summary).join('; '), diff: changes.map((c) => c.diff).join(''), data: changes.map((c) => c.work) };
  },
  apply: (_p, plan) =>
    plan.data
      .map((w) => `${w.recreate ? `docker network rm ${q(w.spec.name)} >/dev/null || exit 1\n` : ''}${createCmd(w.spec)} >/dev/null || exit 1\n`)
      .join(''),
  resources: (p) => p.networks.map((n) => `docker-network:${n.name}`),
};
