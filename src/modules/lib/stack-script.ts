// The shell of docker_stack: the probe (the swarm's view of one stack) and the apply (write
// the compose file and its configs/secrets to a private temp dir, docker stack deploy, wait
// for the changed services' rollout, remove configs/secrets no service uses any more).
import { b64Heredoc, q } from './sh.js';
import { MARK } from './stack-compare.js';
import type { RenderedStack } from './stack-render.js';

export const STATE_DIR = '/var/lib/fleet/stacks';
/** Seconds (by the clock, not polls: a poll costs seconds on a loaded host) every task of a
 * service must run in a row before its rollout counts as done. */
export const STABLE_SECONDS = 5;

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

/** The rollout wait, per service. A rollout is an UpdateStatus that started after the
 * deploy: followed until completed (a rollback or pause is the service's failure). Whether
 * or not one started (a scale or a label change starts none, and docker's own spec
 * comparison is not ours to guess), every task must run, a task with a healthcheck only
 * once healthy, for STABLE seconds in a row: like docker's own `--detach=false` monitor,
 * this also covers the moment before the orchestrator has picked the change up. The changed
 * services are waited for side by side (each in its own subshell), not one after another. */
// A plain template literal: $\{ is the shell's ${.
export const WAIT_FN = `fleet_svc_error() {
	echo "fleet: service $1: $2" >&2
	docker service ps --no-trunc --format '  {{.Name}} {{.Image}} {{.CurrentState}} {{.Error}}' "$1" 2>&1 | head -n 8 >&2
}
fleet_wait() {
	svc=$1 before=$2 since= reps=
	while :; do
		st=$(docker service inspect --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}|{{.UpdateStatus.StartedAt}}|{{.UpdateStatus.Message}}{{end}}' "$svc") || return 1
		state=none started=
		if [ -n "$st" ]; then state=$\{st%%|*} rest=$\{st#*|}; started=$\{rest%%|*} msg=$\{rest#*|}; fi
		[ "$started" != "$before" ] || state=none
		case $state in
		paused|rollback_paused|rollback_completed)
			fleet_svc_error "$svc" "update $state: $msg"
			return 1 ;;
		updating|rollback_started)
			since= ;;
		*)
			reps=$(docker service ls --filter "name=$svc" --format '{{.Name}} {{.Replicas}}' | awk -v s="$svc" '$1 == s { print $2 }')
			if [ -n "$reps" ] && [ "$\{reps%%/*}" = "$\{reps#*/}" ]; then
				now=$(date +%s)
				[ -n "$since" ] || since=$now
				[ $((now - since)) -lt ${STABLE_SECONDS} ] || return 0
			else
				since=
				# A new service has no previous version: tasks failing again and again are its error.
				if [ "$before" = @absent ]; then
					failed=$(docker service ps --filter desired-state=shutdown --format '{{.CurrentState}}' "$svc" | grep -c -E '^(Failed|Rejected)' || :)
					if [ "$failed" -ge 3 ]; then fleet_svc_error "$svc" "its tasks keep failing ($failed failed, $reps running)"; return 1; fi
				fi
			fi ;;
		esac
		if [ "$(date +%s)" -ge "$deadline" ]; then
			if [ "$state" = updating ]; then
				fleet_svc_error "$svc" "the rollout did not finish within $timeout s: rolling back to the previous version"
				docker service rollback -d "$svc" >/dev/null 2>&1 || echo "fleet: docker service rollback $svc failed" >&2
			else
				fleet_svc_error "$svc" "its tasks did not all run within $timeout s ($\{reps:-no} running)"
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
      out.push(`b_${i}=$(docker service inspect --format '{{if .UpdateStatus}}{{.UpdateStatus.StartedAt}}{{end}}' ${q(`${stack}_${s}`)} 2>/dev/null || echo @absent)`);
    }
    const args = ['docker stack deploy', `--resolve-image ${q(w.resolveImage)}`, ...(w.prune ? ['--prune'] : []), '-c "$d/compose.json"', q(stack)];
    out.push(`( cd "$d" && ${args.join(' ')} ) >&2 || { echo "fleet: docker stack deploy ${stack} failed" >&2; exit 1; }`);
    out.push('rm -rf "$d/secrets"');
    out.push('deadline=$(( $(date +%s) + timeout ))', 'rc=0');
    for (const [i, s] of w.deploy.entries()) out.push(`fleet_wait ${q(`${stack}_${s}`)} "$b_${i}" & w_${i}=$!`);
    for (const [i] of w.deploy.entries()) out.push(`wait "$w_${i}" || rc=1`);
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

/** state: absent. docker stack rm returns before the services' tasks, networks, configs and
 * secrets are gone: wait until nothing of the stack is left (a network still in use by a
 * task being shut down is removed by docker when it frees). */
export function removeScript(stack: string, timeout: number): string {
  return [
    `docker stack rm ${q(stack)} >&2 || { echo "fleet: docker stack rm ${stack} failed" >&2; exit 1; }`,
    `deadline=$(( $(date +%s) + ${timeout} ))`,
    `while [ -n "$(docker service ls -q --filter ${ns(stack)}; docker network ls -q --filter ${ns(stack)})" ]; do`,
    `	[ "$(date +%s)" -lt "$deadline" ] || { echo "fleet: stack ${stack}: still not gone after ${timeout} s" >&2; exit 1; }`,
    '	sleep 1',
    'done',
    `rm -rf ${q(`${STATE_DIR}/${stack}`)}`,
    '',
  ].join('\n');
}
