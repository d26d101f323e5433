// The shell text that joins a host to a swarm. `docker swarm join` takes the token only as an
// argument, where any local user of the host reads it from /proc for as long as the join takes
// (and a manager token lets them join as a manager). So where curl and docker's socket are
// there, the join goes to the engine's API with the token in the request body, read by curl
// from a here-document: in no process's arguments or environment. Elsewhere the CLI joins.
import { q } from '../../model/shell.js';

export interface JoinSpec {
  token: string;
  advertise: string;
  listen: string;
  via: string;
  /** docker's socket (its default unless a test says otherwise). */
  socket?: string;
}

const END = 'FLEET_SWARM_JOIN';

export function swarmJoinScript(j: JoinSpec): string {
  const socket = q(j.socket ?? '/var/run/docker.sock');
  // POST /swarm/join takes what the CLI sends for these flags (docker's own client: cli/command/swarm/join.go).
  const body = JSON.stringify({ ListenAddr: j.listen, AdvertiseAddr: j.advertise, RemoteAddrs: [j.via], JoinToken: j.token });
  if (body.includes(END) || body.includes('\n')) throw new Error('swarm join: a value holds a line break or the here-document end marker');
  return [
    `if command -v curl >/dev/null 2>&1 && [ -S ${socket} ]; then`,
    // The answer's last line is the HTTP status; the rest, an error's message, goes to stderr.
    `  fleet_join_out=$(curl -sS --unix-socket ${socket} -X POST -H 'Content-Type: application/json' --data-binary @- -w '\\n%{http_code}' http://localhost/swarm/join <<'${END}'`,
    body,
    END,
    '  ) || exit $?',
    '  fleet_join_status=${fleet_join_out##*\n}',
    '  [ "$fleet_join_status" = 200 ] || { printf \'%s (docker API: HTTP %s)\\n\' "${fleet_join_out%\n*}" "$fleet_join_status" >&2; exit 1; }',
    'else',
    `  FLEET_SWARM_TOKEN=${q(j.token)}`,
    `  docker swarm join --token "$FLEET_SWARM_TOKEN" --advertise-addr ${q(j.advertise)} --listen-addr ${q(j.listen)} ${q(j.via)} >/dev/null`,
    'fi',
  ].join('\n');
}
