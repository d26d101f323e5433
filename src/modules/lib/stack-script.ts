// The shell of docker_stack: the probe (the swarm's view of one stack) and the apply (write
// the compose file and its configs/secrets to a private temp dir, docker stack deploy, wait
// for the changed services' rollout, remove configs/secrets no service uses any more).
import { b64Heredoc, q } from './sh.js';
import { MARK } from './stack-compare.js';
import type { RenderedStack } from './stack-render.js';

export const STATE_DIR = '/var/lib/fleet/stacks';

const ns = (stack: string) => q(`label=com.docker.stack.namespace=${stack}`);

export function probeScript(stack: string): string {
  const m = (s: string) => `echo ${q(MARK + s)}`;
  return [
    m('docker'),
    'if ! command -v docker >/dev/null 2>&1; then echo missing; exit 0; fi',
    "docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null || echo down",
    "[ \"$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)\" = true ] || exit 0",
    m('services'),
    `ids=$(docker service ls -q --filter ${ns(stack)}) || exit 1`,
    `[ -z "$ids" ] || docker service inspect --format '{{json .}}' $ids || exit 1`,
    m('configs'),
    `ids=$(docker config ls -q --filter ${ns(stack)}) || exit 1`,
    `[ -z "$ids" ] || docker config inspect --format '{{.Spec.Name}} {{json .Spec.Data}}' $ids || exit 1`,
    m('secrets'),
    `docker secret ls --filter ${ns(stack)} --format '{{.Name}}' || exit 1`,
    m('file'),
    `f=${q(`${STATE_DIR}/${stack}/compose.json`)}`,
    '[ ! -f "$f" ] || base64 -w0 "$f"',
    'echo',
    m('end'),
    '',
  ].join('\n');
}

export interface ApplyWork {
  deploy: string[];
  remove: string[];
  prune: boolean;
  timeout: number;
  resolveImage: string;
}

/** The rollout wait, per service: follow UpdateStatus when its task template changed,
 * then until every task runs (a task with a healthcheck runs only once healthy). */
// A plain template literal: $\{ is the shell's ${.
const WAIT_FN = `fleet_svc_error() {
	echo "fleet: service $1: $2" >&2
	docker service ps --no-trunc --format '  {{.Name}} {{.Image}} {{.CurrentState}} {{.Error}}' "$1" 2>&1 | head -n 8 >&2
}
fleet_wait() {
	svc=$1 before=$2
	rolling=$(docker service inspect --format '{{if .PreviousSpec}}{{if ne (json .Spec.TaskTemplate) (json .PreviousSpec.TaskTemplate)}}yes{{end}}{{end}}' "$svc") || return 1
	while :; do
		st=$(docker service inspect --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}|{{.UpdateStatus.StartedAt}}|{{.UpdateStatus.Message}}{{end}}' "$svc") || return 1
		state=$\{st%%|*} rest=$\{st#*|}
		started=$\{rest%%|*} msg=$\{rest#*|}
		[ -n "$st" ] || state=none
		if [ "$rolling" = yes ] && [ "$started" = "$before" ]; then state=pending; fi
		case $state in
		paused|rollback_paused|rollback_completed)
			fleet_svc_error "$svc" "update $state: $msg"
			return 1 ;;
		completed|none)
			reps=$(docker service ls --filter "name=$svc" --format '{{.Name}} {{.Replicas}}' | awk -v s="$svc" '$1 == s { print $2 }')
			run=$\{reps%%/*} want=$\{reps#*/}
			if [ -n "$reps" ] && [ "$run" = "$want" ]; then return 0; fi
			if [ "$rolling" != yes ]; then
				failed=$(docker service ps --filter desired-state=shutdown --format '{{.CurrentState}}' "$svc" | grep -c -E '^(Failed|Rejected)' || :)
				if [ "$failed" -ge 3 ]; then fleet_svc_error "$svc" "its tasks keep failing ($failed failed, $reps running)"; return 1; fi
			fi ;;
		esac
		if [ "$(date +%s)" -ge "$deadline" ]; then
			if [ "$rolling" = yes ]; then
				fleet_svc_error "$svc" "no rollout within $timeout s (state $state): rolling back to the previous version"
				docker service rollback -d "$svc" >/dev/null 2>&1 || echo "fleet: docker service rollback $svc failed" >&2
			else
				fleet_svc_error "$svc" "its tasks did not all run within $timeout s ($reps running)"
			fi
			return 1
		fi
		sleep 1
	done
}
`;

export function applyScript(r: RenderedStack, w: ApplyWork): string {
  const stack = r.name;
  const out: string[] = [
    'set -u',
    'umask 077',
    `timeout=${w.timeout}`,
    'd=$(mktemp -d /run/fleet-stack.XXXXXX) || exit 1',
    "trap 'rm -rf \"$d\"' EXIT",
    'mkdir "$d/configs" "$d/secrets"',
  ];
  if (w.deploy.length || w.remove.length) {
    for (const c of r.configs) out.push(b64Heredoc(`base64 -d > "$d/configs/"${q(c.key)}`, Buffer.from(c.content)).trimEnd());
    for (const c of r.secrets) out.push(b64Heredoc(`base64 -d > "$d/secrets/"${q(c.key)}`, Buffer.from(c.content)).trimEnd());
    out.push(b64Heredoc('base64 -d > "$d/compose.json"', Buffer.from(r.compose)).trimEnd());
    out.push(WAIT_FN);
    // When each changed service's last update started: a new rollout is one that started after.
    for (const [i, s] of w.deploy.entries()) {
      out.push(`b_${i}=$(docker service inspect --format '{{if .UpdateStatus}}{{.UpdateStatus.StartedAt}}{{end}}' ${q(`${stack}_${s}`)} 2>/dev/null || :)`);
    }
    const args = ['docker stack deploy', `--resolve-image ${q(w.resolveImage)}`, ...(w.prune ? ['--prune'] : []), '-c "$d/compose.json"', q(stack)];
    out.push(`( cd "$d" && ${args.join(' ')} ) >&2 || { echo "fleet: docker stack deploy ${stack} failed" >&2; exit 1; }`);
    out.push('rm -rf "$d/secrets"');
    out.push('deadline=$(( $(date +%s) + timeout ))', 'rc=0');
    for (const [i, s] of w.deploy.entries()) out.push(`fleet_wait ${q(`${stack}_${s}`)} "$b_${i}" || rc=1`);
    out.push('[ $rc -eq 0 ] || exit 1');
    out.push(`mkdir -p ${q(`${STATE_DIR}/${stack}`)} && install -m 0600 "$d/compose.json" ${q(`${STATE_DIR}/${stack}/compose.json`)} || exit 1`);
  }
  // After a successful rollout: what no service of the stack uses any more goes.
  out.push(
    `used=" $(ids=$(docker service ls -q --filter ${ns(stack)}); [ -z "$ids" ] || docker service inspect --format '{{range .Spec.TaskTemplate.ContainerSpec.Configs}}{{.ConfigName}} {{end}}{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}} {{end}}' $ids | tr '\\n' ' ') "`,
    `for c in $(docker config ls --filter ${ns(stack)} --format '{{.Name}}'); do case $used in *" $c "*) ;; *) docker config rm "$c" >/dev/null && echo "removed config $c" ;; esac; done`,
    `for c in $(docker secret ls --filter ${ns(stack)} --format '{{.Name}}'); do case $used in *" $c "*) ;; *) docker secret rm "$c" >/dev/null && echo "removed secret $c" ;; esac; done`,
    '',
  );
  return out.join('\n');
}
